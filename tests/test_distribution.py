"""tf.distribute and mixed precision in both trainers, on the two logical CPU devices of the test session
(conftest.py): a mirrored step equals a one-device step, 2-replica and multi-worker CLI runs write what a
1-replica run writes, and --mixed-precision runs on CPU with float32 outputs.
"""

import functools
import json
import os
import socket
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf
from click.testing import CliRunner

import crnn
import train_rnn
from augli.distribution import adapt_to_strategy, fresh_collective_keys
from augli.experiment import Experiment
from augli.models import compile_tagger, crnn_tagger, sequence_tagger
from augli.training import RunRecorder
from conftest import REPO, TEST_CPU_DEVICES, assert_refused
from test_crnn import write_split
from test_train_rnn import SIZES as RNN_SIZES
from test_train_rnn import toy_split, write_npz

PAPER_LEARNING_RATE = 0.001
TWO_CPUS = ["--distribute", "mirrored", "--devices", f"cpu:{TEST_CPU_DEVICES}"]
# Dropout and noise off: their masks are drawn per replica, so only without them do the runs compare.
NO_DROPOUT = ["-dornn", "0", "-dof", "0"]
# Keras 2's RMSprop, lr g / (sqrt(a) + 1e-7), moves a parameter by up to 3 lr whatever the size of g, so the
# float rounding of gradients that are 0 in exact arithmetic (about 1e-9, other on one device than on two:
# biases before a BatchNormalization, the max pools of a random VGGish) becomes steps of 1e-4. The step is
# elementwise (tests/test_keras2.py); what tf.distribute must get right (gradients, batch statistics) is
# compared under Keras 3's update, which keeps such differences at their size.
COMPARED_OPTIMIZER = "rmsprop-keras3"
RNN_OPTIONS = ["-e", "2", "-ru", "16", "-bs", "20", "-lr", "0.01", *NO_DROPOUT, "-o", COMPARED_OPTIMIZER, "--quiet"]
CRNN_OPTIONS = ["-vw", "none", "-e", "2", "-ftp", "0.5", "-w", "1", "-ru", "16", "-rl", "1", "-bs", "4", "-nw", "2",
                "-rn", "0", *NO_DROPOUT, "--quiet"]
CRNN_SIZES = {"train": 8, "validation": 4, "test": 3}  # test: one track per tag, so that every tag is scored


def one_step(build, x, y, strategy):
    """The weights after building (seeded), compiling as the trainers do, and one step on the global batch (x, y)."""
    with strategy.scope():
        keras.utils.set_random_seed(0)
        model = build()
        compile_tagger(model, PAPER_LEARNING_RATE, COMPARED_OPTIMIZER)
        adapt_to_strategy(model, strategy)
        initial = model.get_weights()
        model.fit(tf.data.Dataset.from_tensors((x, y)), epochs=1, verbose=0)
    return initial, model.get_weights()


def largest_difference(weights, others):
    return max(float(np.abs(a - b).max()) for a, b in zip(weights, others))


def mirrored():
    fresh_collective_keys()
    return tf.distribute.MirroredStrategy([f"/cpu:{index}" for index in range(TEST_CPU_DEVICES)])


rng = np.random.default_rng(0)
SEQUENCES = rng.normal(size=(4, 5, 8)).astype(np.float32)
AUDIO = 0.1 * rng.normal(size=(4, 16000)).astype(np.float32)
LABELS = (rng.random((4, 3)) < 0.5).astype(np.float32)
MODELS = {
    "train_rnn gru": (lambda: sequence_tagger(8, 3, "gru", 16, 2, 0.0, 0.0), SEQUENCES),
    # VGGish trained too, as in phase 2 (a frozen VGGish, phase 1, is the same computation with fewer gradients).
    "crnn": (lambda: crnn_tagger(3, "lstm", 16, 1, 0.0, 0.0, 0.0), AUDIO),
}


@functools.cache
def step_on_one_device(name):
    build, x = MODELS[name]
    return one_step(build, x, LABELS, tf.distribute.get_strategy())


@pytest.mark.parametrize("name", MODELS)
def test_a_mirrored_step_gives_the_weights_of_a_one_device_step(name):
    build, x = MODELS[name]
    initial, alone = step_on_one_device(name)
    _, split = one_step(build, x, LABELS, mirrored())
    assert largest_difference(initial, alone) > 1e-4  # the step did train
    assert largest_difference(alone, split) <= 1e-5


def test_without_synchronised_batch_statistics_the_replicas_would_differ():
    """The control: two replicas each normalising its half of the batch train differently."""
    build, x = MODELS["train_rnn gru"]
    _, alone = step_on_one_device("train_rnn gru")
    strategy = mirrored()
    with strategy.scope():
        keras.utils.set_random_seed(0)
        model = build()
        compile_tagger(model, PAPER_LEARNING_RATE, COMPARED_OPTIMIZER)
        model.fit(tf.data.Dataset.from_tensors((x, LABELS)), epochs=1, verbose=0)
    assert largest_difference(alone, model.get_weights()) > 1e-4


# --- the command lines -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sequences(tmp_path_factory):
    root = tmp_path_factory.mktemp("sequences")
    paths = {split: write_npz(root / f"{split}.npz", *toy_split(n_tracks, seed))
             for seed, (split, n_tracks) in enumerate(RNN_SIZES.items())}
    paths["mep"] = root / "MEDIAEVAL19"
    return paths


def rnn_arguments(paths, ebp, *extra):
    return ["-mep", str(paths["mep"]), "-ebp", str(ebp), "-tr", str(paths["train"]), "-v", str(paths["validation"]),
            "-te", str(paths["test"]), *RNN_OPTIONS, *extra]


def invoke(command, arguments):
    result = CliRunner().invoke(command, arguments)
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def rnn_alone(sequences, tmp_path_factory):
    ebp = tmp_path_factory.mktemp("rnn") / "alone"
    invoke(train_rnn.main, rnn_arguments(sequences, ebp))
    return Experiment(ebp)


@pytest.fixture(scope="module")
def rnn_two(sequences, tmp_path_factory):
    ebp = tmp_path_factory.mktemp("rnn") / "two"
    invoke(train_rnn.main, rnn_arguments(sequences, ebp, *TWO_CPUS))
    return Experiment(ebp)


def written(experiment):
    """The files of a run; TensorBoard's (named by time and process) as their folders."""
    return sorted({str(path.relative_to(experiment.root)) if path.parent.name not in ("train", "validation")
                   else str(path.parent.relative_to(experiment.root))
                   for path in experiment.root.rglob("*") if path.is_file()})


def assert_float32_scores(experiment):
    for name in ("predictions", "validation_predictions"):
        scores = np.load(getattr(experiment, name))
        assert scores.dtype == np.float32 and np.isfinite(scores).all()


def assert_same_run(experiment, alone, atol):
    assert written(experiment) == written(alone)
    assert_float32_scores(experiment)
    for name in ("predictions", "validation_predictions"):
        np.testing.assert_allclose(np.load(getattr(experiment, name)), np.load(getattr(alone, name)), atol=atol)


def test_train_rnn_on_two_replicas_writes_what_one_device_writes(rnn_two, rnn_alone):
    assert_same_run(rnn_two, rnn_alone, atol=1e-4)
    record = json.loads(rnn_two.config.read_text())["distribution"]
    assert (record["strategy"], record["replicas"], record["dtype_policy"]) == ("MirroredStrategy", 2, "float32")
    assert json.loads(rnn_alone.config.read_text())["distribution"]["replicas"] == 1


def test_a_killed_two_replica_run_resumes_on_one_device(sequences, rnn_two, tmp_path, monkeypatch):
    """Checkpoints of a mirrored run hold plain weights: the run goes on where it stopped, on other devices."""
    resumed = Experiment(tmp_path / "resumed")
    record = RunRecorder.on_epoch_end

    def killed_after_epoch_1(self, epoch, logs=None):
        record(self, epoch, logs)
        raise KeyboardInterrupt

    monkeypatch.setattr(RunRecorder, "on_epoch_end", killed_after_epoch_1)
    killed = CliRunner().invoke(train_rnn.main, rnn_arguments(sequences, resumed.root, *TWO_CPUS))
    assert killed.exit_code != 0 and not resumed.predictions.exists()
    monkeypatch.setattr(RunRecorder, "on_epoch_end", record)
    result = invoke(train_rnn.main, rnn_arguments(sequences, resumed.root, "--resume"))
    assert "epoch 1/" not in result.output and "epoch 2/2" in result.output
    assert_same_run(resumed, rnn_two, atol=1e-4)


def test_train_rnn_in_mixed_precision(sequences, tmp_path):
    experiment = Experiment(tmp_path / "mixed")
    invoke(train_rnn.main, rnn_arguments(sequences, experiment.root, "--mixed-precision"))
    assert json.loads(experiment.config.read_text())["distribution"]["dtype_policy"] == "mixed_bfloat16"
    assert_float32_scores(experiment)
    model = keras.models.load_model(experiment.last_model)
    assert model.get_layer("rnn_gru_1").dtype_policy.name == "mixed_bfloat16"
    assert model.get_layer("rnn_output").dtype_policy.name == "float32"
    assert keras.mixed_precision.global_policy().name == "float32"  # restored after the run


def test_the_gpu_policy_scales_the_loss_and_keeps_float32_scores():
    """mixed_float16 (what --mixed-precision picks on GPUs), tried on the CPU."""
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = sequence_tagger(8, 3, "gru", 16, 2, 0.0, 0.0)
        compile_tagger(model, PAPER_LEARNING_RATE)
        model.fit(SEQUENCES, LABELS, epochs=1, verbose=0)
    finally:
        keras.mixed_precision.set_global_policy(previous)
    assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    assert all(weight.dtype == np.float32 and np.isfinite(weight).all() for weight in model.get_weights())
    scores = model.predict_on_batch(SEQUENCES)
    assert scores.dtype == np.float32 and np.isfinite(scores).all()


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    root = tmp_path_factory.mktemp("clips")
    rng = np.random.default_rng(0)
    paths = {split: write_split(root, split, n_tracks, rng)[0] for split, n_tracks in CRNN_SIZES.items()}
    paths["mep"] = root / "MEDIAEVAL19"
    return paths


def crnn_arguments(paths, ebp, *extra):
    return ["-mep", str(paths["mep"]), "-ebp", str(ebp), "-tr", str(paths["train"]), "-v", str(paths["validation"]),
            "-te", str(paths["test"]), *CRNN_OPTIONS, *extra]


@pytest.fixture(scope="module")
def crnn_mixed(clips, tmp_path_factory):
    ebp = tmp_path_factory.mktemp("crnn") / "mixed"
    invoke(crnn.main, crnn_arguments(clips, ebp, "--mixed-precision", "-e", "1"))
    return Experiment(ebp)


def test_crnn_in_mixed_precision(crnn_mixed):
    assert_float32_scores(crnn_mixed)
    model = keras.models.load_model(crnn_mixed.last_model)
    assert model.get_layer("vggish").get_layer("conv1").dtype_policy.name == "mixed_bfloat16"
    assert {model.get_layer(name).dtype_policy.name for name in ("stft", "decibel", "band_normalization",
                                                                  "rnn_output")} == {"float32"}


def test_crnn_on_two_replicas_writes_what_one_device_writes(clips, crnn_mixed, tmp_path):
    """Over both phases. Scores are not compared: unfrozen, VGGish's max pools route gradients by float
    comparisons, so float rounding (and mixed precision) lets runs part after a few steps; the one-step
    test above compares the computation itself."""
    experiment = Experiment(tmp_path / "two")
    invoke(crnn.main, crnn_arguments(clips, experiment.root, *TWO_CPUS))
    assert written(experiment) == written(crnn_mixed)
    assert_float32_scores(experiment)
    assert json.loads(experiment.config.read_text())["distribution"]["replicas"] == 2


@pytest.mark.parametrize("extra, message", [
    (["--devices", "3"], "--devices 3: no GPU 3 (this machine shows 0 GPU(s))"),
    (["--distribute", "none", "--devices", f"cpu:{TEST_CPU_DEVICES}"],
     f"--devices names {TEST_CPU_DEVICES} devices but --distribute none trains on one; pass --distribute mirrored"),
    (["--distribute", "multi-worker"], "--distribute multi-worker needs the TF_CONFIG variable (the cluster's "
                                       "workers and this one's task); see docs/distributed.md"),
])
def test_refuses_devices_it_cannot_use(extra, message, sequences, tmp_path, monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    assert_refused(train_rnn.main, rnn_arguments(sequences, tmp_path / "run", *extra), message, tmp_path / "run")


def test_refuses_a_devices_value_it_cannot_read(sequences, tmp_path):
    result = CliRunner().invoke(train_rnn.main, rnn_arguments(sequences, tmp_path / "run", "--devices", "gpu0"))
    assert result.exit_code == 2 and "give GPU indices such as 0,1 or cpu:N" in result.output


# --- several machines ------------------------------------------------------------------------------------

def free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for each in sockets:
        each.bind(("localhost", 0))
    ports = [each.getsockname()[1] for each in sockets]
    for each in sockets:
        each.close()
    return ports


def test_two_workers_on_localhost_train_as_one_device(sequences, rnn_alone, tmp_path):
    """docs/distributed.md's two-machine example, both machines here: the chief writes -ebp, the other worker its copy."""
    ebp = tmp_path / "cluster"
    workers = [f"localhost:{port}" for port in free_ports(2)]
    environment = dict(os.environ, CUDA_VISIBLE_DEVICES="")
    processes = [subprocess.Popen([sys.executable, str(REPO / "train_rnn.py"), *rnn_arguments(sequences, ebp),
                                   "--distribute", "multi-worker"], cwd=REPO, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True,
                                  env=dict(environment, TF_CONFIG=json.dumps(
                                      {"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}})))
                 for index in range(2)]
    outputs = [process.communicate(timeout=240)[0] for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs
    chief, worker = Experiment(ebp), Experiment(ebp / "workers" / "worker-1")
    assert_same_run(worker, rnn_alone, atol=1e-4)
    assert [name for name in written(chief) if not name.startswith("workers/")] == written(rnn_alone)
    np.testing.assert_allclose(np.load(chief.predictions), np.load(rnn_alone.predictions), atol=1e-4)
    record = json.loads(chief.config.read_text())["distribution"]
    assert (record["strategy"], record["replicas"]) == ("MultiWorkerMirroredStrategy", 2)
