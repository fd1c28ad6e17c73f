"""Paths to the shipped fixtures (see fixtures/SOURCE.md), helpers shared by the tests, and the smoke run."""

import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
import pytest
from click.testing import CliRunner

from augli import data
from augli.toy import make_toy_dataset

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"
MEP = FIXTURES / "MEDIAEVAL19"
DATASET = MEP / "mtg-jamendo-dataset"
SPLIT_0 = DATASET / "data" / "splits" / "split-0"
RESULTS = DATASET / "results" / "mediaeval"
SUBMISSIONS = FIXTURES / "mediaeval2019-task" / "submissions"
SMOKE_SIZES = {"train": 6, "validation": 4, "test": 4}
SMOKE_TAGS = 4
SMOKE_DURATION_S = 6.0
# The smoke run is a named run of another split and subset than MediaEval 2019's, with MTG's genre file names
# and tags and no official ground truth, so that nothing on the way may assume split-0 or mood/theme.
SMOKE_SPLIT, SMOKE_SUBSET, SMOKE_SEED = 3, "genre", 7
SMOKE_RUN_OPTIONS = ("--split", str(SMOKE_SPLIT), "--subset", SMOKE_SUBSET, "--seed", str(SMOKE_SEED))
SMOKE_RUN_NAME = f"{SMOKE_SUBSET}-split{SMOKE_SPLIT}-seed{SMOKE_SEED}"
SMOKE_COMMANDS = 21  # the paper's 20 and the run's own DeepSpectrum label files


def read_result_table(path):
    """An organisers' result table as {row: {metric: "%.6f string"}}, kept as text for exact comparison."""
    header, *rows = Path(path).read_text().splitlines()
    metrics = header.split("\t")[1:]
    return {cells[0]: dict(zip(metrics, cells[1:])) for cells in (row.split("\t") for row in rows)}


def read_metric_lines(path):
    """A `name<TAB>value` file as {name: value string}."""
    return dict(line.split("\t") for line in Path(path).read_text().splitlines())


def scikit_learn_metrics(truth, scores, decisions):
    """The ten official metrics as the challenge's baseline computes them, with scikit-learn."""
    from sklearn import metrics as sk

    figures = {}
    for average in ("macro", "micro"):
        figures[f"ROC-AUC-{average}"] = sk.roc_auc_score(truth, scores, average=average)
        figures[f"PR-AUC-{average}"] = sk.average_precision_score(truth, scores, average=average)
        (figures[f"precision-{average}"], figures[f"recall-{average}"], figures[f"F-score-{average}"],
         _) = sk.precision_recall_fscore_support(truth, decisions, average=average, zero_division=0)
    return figures


def assert_refused(command, args, message, path, exit_code=1):
    """The command refuses `args` with the one line `Error: <message>`, no traceback, and leaves `path` uncreated."""
    result = CliRunner().invoke(command, args)
    assert result.exit_code == exit_code, result.output
    assert result.output.splitlines()[-1] == f"Error: {message}"
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert not path.exists()


def keras2_parameter_count(model):
    """The parameters Keras 2 counted: ours less the BatchNormalization hidden state, which Keras 2 kept outside
    the model (in the TensorFlow session)."""
    from augli.keras2 import debiasing_variables

    return model.count_params() - sum(int(np.prod(variable.shape)) for variable in debiasing_variables(model))


# Keras' VGG16 with its top: (layer, kernel shape, bias size); layers without weights have none.
VGG16_LAYERS = [("input_layer", None, 0)]
for block, (width, convolutions) in enumerate([(64, 2), (128, 2), (256, 3), (512, 3), (512, 3)], start=1):
    inputs = VGG16_LAYERS[-2][1][3] if block > 1 else 3
    for number in range(1, convolutions + 1):
        VGG16_LAYERS.append((f"block{block}_conv{number}", (3, 3, inputs if number == 1 else width, width), width))
    VGG16_LAYERS.append((f"block{block}_pool", None, 0))
VGG16_LAYERS += [("flatten", None, 0), ("fc1", (25088, 4096), 4096), ("fc2", (4096, 4096), 4096),
                 ("predictions", (4096, 1000), 1000)]


def write_legacy_vgg16_weights(path, kernel, fc2_bias, layers=VGG16_LAYERS):
    """Keras 2's save_weights layout, which the ImageNet file has; weights not written read as zeros."""
    with h5py.File(path, "w") as handle:
        handle.attrs["keras_version"] = b"2.2.4"
        handle.attrs["backend"] = b"tensorflow"
        handle.attrs["layer_names"] = [name.encode() for name, _, _ in layers]
        for name, kernel_shape, bias_size in layers:
            group = handle.create_group(name)
            shapes = {f"{name}/kernel:0": kernel_shape, f"{name}/bias:0": (bias_size,)} if kernel_shape else {}
            group.attrs["weight_names"] = [weight.encode() for weight in shapes]
            for weight, shape in shapes.items():
                group.create_dataset(weight, shape=shape, dtype="float32")  # unwritten: zeros, no space on disk
        if "block1_conv1" in handle:
            handle["block1_conv1/block1_conv1/kernel:0"][...] = kernel
            handle["fc2/fc2/bias:0"][...] = fc2_bias


def reproduce_command(*arguments):
    """reproduce.sh's command line and environment: this interpreter's folder first on PATH, so that `python` is
    the project's."""
    environment = dict(os.environ, PATH=f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ['PATH']}")
    return ["bash", str(REPO / "reproduce.sh"), *map(str, arguments)], environment


def reproduce(*arguments, cwd=REPO):
    command, environment = reproduce_command(*arguments)
    return subprocess.run(command, cwd=cwd, env=environment, capture_output=True, text=True)


# --- the smoke run ------------------------------------------------------------------------------------------
# `reproduce.sh --smoke` starts 21 processes, each mostly on one core and mostly starting TensorFlow: minutes.
# It is started in the background at the session's start and the tests that need it run last, so that the
# other tests use the second core meanwhile.

SMOKE_FIXTURE = "smoke_run"


def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: SMOKE_FIXTURE in item.fixturenames)  # stable: otherwise the order stays


@dataclass(frozen=True)
class SmokeRun:
    root: Path  # the toy DATA_ROOT
    out: Path  # the OUTPUT_DIR given to reproduce.sh
    splits: dict  # {split: tracks}, as make_toy_dataset drew them
    result: subprocess.CompletedProcess

    @property
    def run(self):
        """The named run's folder: fusion/ and fusion-results/."""
        return self.out / SMOKE_RUN_NAME

    @property
    def features(self):
        return self.root / "features" / f"{SMOKE_SUBSET}-split{SMOKE_SPLIT}" / "DeepSpectrum"

    def split_tsv(self, split):
        return data.split_tsv(data.split_dir(self.root, SMOKE_SPLIT), split, SMOKE_SUBSET)


@dataclass(frozen=True)
class StartedSmokeRun:
    root: Path
    out: Path
    splits: dict
    process: subprocess.Popen
    stdout: Path
    stderr: Path


@pytest.fixture(scope="session", autouse=True)
def smoke_run_in_background(request, tmp_path_factory):
    """The smoke run on a toy dataset, started before the first test if any selected test needs it; stopped
    (the whole process group) if the session ends before it does."""
    if not any(SMOKE_FIXTURE in item.fixturenames for item in request.session.items):
        yield None
        return
    folder = tmp_path_factory.mktemp("smoke")
    root, out = folder / "MEDIAEVAL19", folder / "build"
    splits = make_toy_dataset(root, SMOKE_SIZES, duration_s=SMOKE_DURATION_S, n_tags=SMOKE_TAGS,
                              split_number=SMOKE_SPLIT, subset=SMOKE_SUBSET)
    command, environment = reproduce_command("--smoke", *SMOKE_RUN_OPTIONS, root, out)
    stdout, stderr = folder / "stdout.txt", folder / "stderr.txt"
    with open(stdout, "w") as out_file, open(stderr, "w") as err_file:
        process = subprocess.Popen(command, cwd=REPO, env=environment, stdout=out_file, stderr=err_file,
                                   start_new_session=True)
    yield StartedSmokeRun(root, out, splits, process, stdout, stderr)
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait()


@pytest.fixture(scope="session")
def smoke_run(smoke_run_in_background):
    """The finished smoke run: the end-to-end test checks its files, and test_tag tags with the models it trained."""
    started = smoke_run_in_background
    returncode = started.process.wait()
    result = subprocess.CompletedProcess(started.process.args, returncode, started.stdout.read_text(),
                                         started.stderr.read_text())
    return SmokeRun(started.root, started.out, started.splits, result)


def assert_smoke_run_succeeded(run):
    assert run.result.returncode == 0, run.result.stdout[-3000:] + run.result.stderr[-3000:]


# Tests of tf.distribute need several devices; TensorFlow can split its CPU only before it starts,
# so the whole session runs with two logical CPU devices. Ops are placed on the first unless a test
# names the second, so nothing else changes.
TEST_CPU_DEVICES = 2


def pytest_configure(config):
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * TEST_CPU_DEVICES)


@pytest.fixture
def op_determinism_kept():
    """For a test that switches TensorFlow's op determinism: the state it found is restored afterwards."""
    from tensorflow.python.framework.config import is_op_determinism_enabled

    from augli.devices import set_op_determinism

    before = is_op_determinism_enabled()
    yield
    set_op_determinism(before)
