"""train_rnn.py and the shared training machinery, on tiny generated sequence files.

The toy task: 4 tags over 5 windows of 8 features of Gaussian noise; a track with tag k has features
2k and 2k+1 raised by 4 in one random window, so the tags can only be read from the sequence.
"""

import io
import json
import shutil
import zipfile
from functools import partial

import keras
import numpy as np
import pytest
from click.testing import CliRunner

from augli import data
from augli.experiment import Experiment
from augli.metrics import METRICS, decide, evaluate, format_metrics, macro_auc, youden_thresholds
from augli.models import sequence_tagger
from augli.sequences import load_sequences
from augli.training import RunRecorder, ValidationMonitor, evaluation_truth
from conftest import assert_refused, keras2_parameter_count
from train_rnn import main

TAGS = ("mood/theme---calm", "mood/theme---dark", "mood/theme---happy", "mood/theme---sad")
WINDOWS, FEATURES = 5, 8
SIZES = {"train": 200, "validation": 100, "test": 60}
# A model small enough for seconds per run; -bs 20 divides every split, -lr 0.01 learns in 5 epochs.
# -rl is given per test: 2 (the default) for the GRU run most tests share, 1 where only learning matters.
SMALL_MODEL = ["-ru", "16", "-bs", "20", "-lr", "0.01", "-dornn", "0.1", "-dof", "0.1", "--quiet"]
EPOCHS = 5
GRU = ("-rt", "gru", "-rl", "2")


def toy_split(n_tracks, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_tracks, WINDOWS, FEATURES)).astype(np.float32)
    y = (rng.random((n_tracks, len(TAGS))) < 0.3).astype(np.int64)
    for track, tag in zip(*np.nonzero(y)):
        X[track, rng.integers(WINDOWS), 2 * tag:2 * tag + 2] += 4.0
    return X, y


def write_npz(path, X, y, tags=TAGS, leave_out=None, compress=False):
    """The arrays transform_features writes (uncompressed by default, as it does), optionally without one of them."""
    arrays = {"names": np.array([f"{i}/{i}.mp3" for i in range(len(X))]), "X": X, "y": y, "tags": np.array(tags)}
    save = np.savez_compressed if compress else np.savez
    save(path, **{name: value for name, value in arrays.items() if name != leave_out})
    return path


@pytest.fixture(scope="module")
def splits(tmp_path_factory):
    """The three toy splits, and a -mep (the test npz's labels are the ground truth: it needs none)."""
    root = tmp_path_factory.mktemp("toy")
    paths = {}
    for seed, (split, n_tracks) in enumerate(SIZES.items()):
        X, y = toy_split(n_tracks, seed)
        paths[split] = write_npz(root / f"{split}.npz", X, y)
    paths["mep"] = root / "MEDIAEVAL19"
    return paths


def arguments(splits, ebp, *extra, epochs=EPOCHS):
    return ["-mep", str(splits["mep"]), "-ebp", str(ebp), "-tr", str(splits["train"]), "-v", str(splits["validation"]),
            "-te", str(splits["test"]), "-e", str(epochs), *SMALL_MODEL, *extra]


def train(*args):
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def gru_run(splits, tmp_path_factory):
    ebp = tmp_path_factory.mktemp("gru") / "run"
    result = train(*arguments(splits, ebp, *GRU))
    return Experiment(ebp), result


def history(experiment):
    lines = experiment.history.read_text().splitlines()
    return [line.split(",") for line in lines]


# --- learning ------------------------------------------------------------------------------------

@pytest.mark.parametrize("rnn_type", ["gru", "lstm", "bilstm"])
def test_every_rnn_type_learns_the_sequence_task(rnn_type, splits, gru_run, tmp_path):
    if rnn_type == "gru":
        experiment, result = gru_run
    else:
        experiment = Experiment(tmp_path / rnn_type)
        result = train(*arguments(splits, experiment.root, "-rt", rnn_type, "-rl", "1"))
    rows = history(experiment)
    best = max(float(row[rows[0].index("val_roc_auc")]) for row in rows[1:])
    assert best >= 0.9
    assert f"epoch {EPOCHS}/{EPOCHS}  loss " in result.output
    assert json.loads(experiment.config.read_text())["options"]["rnn_type"] == rnn_type


def test_outputs_with_shapes_dtypes_and_consistency(splits, gru_run):
    experiment, result = gru_run
    assert sorted(path.name for path in experiment.root.iterdir()) == sorted(
        ["checkpoints", "config.json", "decisions.npy", "evaluation-on-test.tsv", "history.csv", "log",
         "predictions.npy", "thresholds.tsv", "validation-predictions.npy", "validation-truth.npy"])
    assert sorted(path.name for path in experiment.checkpoints.iterdir()) == ["best.weights.h5", "last-state.json", "last.keras"]
    assert any(experiment.log.rglob("events.out.tfevents.*"))

    predictions = np.load(experiment.predictions)
    decisions = np.load(experiment.decisions)
    validation_predictions = np.load(experiment.validation_predictions)
    assert predictions.shape == decisions.shape == (SIZES["test"], len(TAGS))
    assert validation_predictions.shape == (SIZES["validation"], len(TAGS))
    assert predictions.dtype == validation_predictions.dtype == np.float32
    assert decisions.dtype == bool
    assert ((predictions > 0) & (predictions < 1)).all()

    rows = history(experiment)
    assert rows[0] == ["epoch", "loss", "val_loss", "val_roc_auc", "val_pr_auc"]
    assert [row[0] for row in rows[1:]] == [str(epoch) for epoch in range(1, EPOCHS + 1)]
    roc_aucs = [float(row[3]) for row in rows[1:]]
    best_epoch = int(np.argmax(roc_aucs))  # first maximum

    # The reloaded best model reproduces the best epoch's validation score, and the thresholds are
    # that epoch's Youden cutoffs; decisions are the strict comparison against them.
    validation_truth = np.load(splits["validation"])["y"]
    np.testing.assert_array_equal(np.load(experiment.validation_truth), validation_truth.astype(bool))  # for tag.py
    assert macro_auc(validation_truth, validation_predictions)[0] == pytest.approx(roc_aucs[best_epoch], abs=1e-12)
    lines = experiment.thresholds.read_text().splitlines()
    assert [line.split("\t")[0] for line in lines] == list(TAGS)
    thresholds = np.array([float(line.split("\t")[1]) for line in lines])
    np.testing.assert_array_equal(thresholds, youden_thresholds(validation_truth, validation_predictions))
    np.testing.assert_array_equal(decisions, decide(predictions, thresholds))

    groundtruth = np.load(splits["test"])["y"].astype(bool)
    assert experiment.evaluation.read_text() == format_metrics(evaluate(groundtruth, predictions, decisions))
    assert [line.split("\t")[0] for line in experiment.evaluation.read_text().splitlines()] == list(METRICS)

    config = json.loads(experiment.config.read_text())
    assert config["seed"] == 42
    assert config["options"]["batch_size"] == 20 and config["options"]["epochs"] == EPOCHS
    assert config["packages"]["keras"] == "3.13.2" and config["packages"]["tensorflow"] == "2.20.0"
    assert "git_commit" in config
    state = json.loads(experiment.last_state.read_text())
    assert state["epochs_done"] == EPOCHS and state["best_epoch"] == best_epoch


def test_same_seed_and_compressed_input_repeat_the_memory_mapped_run_exactly(splits, gru_run, tmp_path):
    """A second run with the same seed, on the same arrays saved compressed, gives the same numbers. (The resume
    test below repeats the first epochs from the same memory-mapped files.)"""
    experiment, _ = gru_run
    assert isinstance(load_sequences(splits["train"]).X, np.memmap)  # what every other run here reads
    compressed = dict(splits)
    for split in SIZES:
        with np.load(splits[split]) as arrays:
            compressed[split] = write_npz(tmp_path / f"{split}.npz", arrays["X"], arrays["y"], compress=True)
    assert not isinstance(load_sequences(compressed["train"]).X, np.memmap)
    loaded = Experiment(tmp_path / "loaded")
    train(*arguments(compressed, loaded.root, *GRU))
    assert loaded.history.read_text() == experiment.history.read_text()
    assert loaded.thresholds.read_text() == experiment.thresholds.read_text()
    for name in ("predictions", "validation_predictions", "decisions"):
        np.testing.assert_array_equal(np.load(getattr(loaded, name)), np.load(getattr(experiment, name)))


def test_resume_after_a_kill_repeats_the_uninterrupted_run(splits, gru_run, tmp_path, monkeypatch):
    experiment, _ = gru_run
    resumed = Experiment(tmp_path / "resumed")
    record = RunRecorder.on_epoch_end

    def killed_after_epoch_2(self, epoch, logs=None):
        record(self, epoch, logs)
        if epoch == 1:
            raise KeyboardInterrupt

    monkeypatch.setattr(RunRecorder, "on_epoch_end", killed_after_epoch_2)
    killed = CliRunner().invoke(main, arguments(splits, resumed.root, *GRU))
    assert killed.exit_code != 0 and not resumed.predictions.exists()
    assert json.loads(resumed.last_state.read_text())["epochs_done"] == 2
    monkeypatch.setattr(RunRecorder, "on_epoch_end", record)

    result = train(*arguments(splits, resumed.root, *GRU, "--resume"))
    assert "epoch 1/" not in result.output and f"epoch 3/{EPOCHS}" in result.output
    assert resumed.history.read_text() == experiment.history.read_text()
    np.testing.assert_array_equal(np.load(resumed.predictions), np.load(experiment.predictions))
    assert resumed.thresholds.read_text() == experiment.thresholds.read_text()
    assert sorted(path.name for path in resumed.root.iterdir()) == sorted(path.name for path in experiment.root.iterdir())

    # Resuming a finished run trains no further and rewrites the same outputs.
    again = train(*arguments(splits, resumed.root, *GRU, "--resume"))
    assert "epoch " not in again.output
    np.testing.assert_array_equal(np.load(resumed.predictions), np.load(experiment.predictions))


# --- the pieces --------------------------------------------------------------------------------------

class ScriptedModel:
    """Stands in for a Keras model: predict returns the next scripted validation scores."""

    def __init__(self, scores):
        self.scores = iter(scores)
        self.stop_training = False

    def predict(self, inputs, batch_size=None, verbose=0):
        return next(self.scores)


def test_monitor_keeps_the_first_maximum_and_stops_after_patience():
    truth = np.array([[1, 0], [0, 1], [1, 1], [0, 0]], dtype=np.float32)
    perfect = np.array([[0.9, 0.1], [0.2, 0.8], [0.7, 0.6], [0.1, 0.3]], dtype=np.float32)
    worse = np.array([[0.4, 0.1], [0.5, 0.8], [0.7, 0.2], [0.1, 0.3]], dtype=np.float32)
    monitor = ValidationMonitor(lambda model: model.predict(truth), truth, epochs=10, patience=2)
    monitor.set_model(ScriptedModel([worse, perfect, perfect, worse]))
    stopped = []
    for epoch in range(4):
        logs = {"loss": 0.5}
        monitor.on_epoch_end(epoch, logs)
        stopped.append(monitor.model.stop_training)
    assert monitor.best_epoch == 1 and monitor.best_roc_auc == 1.0
    assert stopped == [False, False, False, True]  # epochs 3 and 4 did not beat epoch 2
    np.testing.assert_array_equal(monitor.best_thresholds, youden_thresholds(truth, perfect))
    assert [row["epoch"] for row in monitor.history] == [1, 2, 3, 4]
    assert logs["val_roc_auc"] == macro_auc(truth, worse)[0]


def test_model_matches_the_original_parameter_counts(monkeypatch):
    # Keras-3 counts of the original train_rnn.py models on 4096 DeepSpectrum features, 56 tags
    # (augli-facts section 6; the GRU count is for reset_after=False). Counts do not depend on initial values,
    # and the QR decompositions of the orthogonal 1024-unit recurrent kernels took most of this test's 17 s.
    monkeypatch.setattr(keras.initializers.Orthogonal, "__call__",
                        lambda self, shape, dtype=None: keras.ops.zeros(shape, dtype=dtype))
    counts = {"gru": 23_145_528, "lstm": 30_487_608, "bilstm": 69_301_304}
    for rnn_type, count in counts.items():
        model = sequence_tagger(4096, 56, rnn_type, units=1024, layers=2, rnn_dropout=0.4, final_dropout=0.4)
        assert keras2_parameter_count(model) == count, rnn_type
    layers = [layer.__class__.__name__ for layer in model.layers]
    assert layers == ["InputLayer", "Bidirectional", "Keras2BatchNormalization", "Bidirectional",
                      "Keras2BatchNormalization", "Dense", "Keras2BatchNormalization", "Activation", "Dropout", "Dense"]
    assert model.layers[1].forward_layer.return_sequences and not model.layers[3].forward_layer.return_sequences
    assert model.output.shape == (None, 56)


# --- refusals: one line, non-zero exit, nothing written ----------------------------------------------------

refused = partial(assert_refused, main)


def test_refuses_a_missing_file(splits, tmp_path):
    missing = tmp_path / "nope.npz"
    args = arguments(splits, tmp_path / "run") + ["-v", str(missing)]
    refused(args, f"Invalid value for '-v' / '--val-npz': File '{missing}' does not exist.", tmp_path / "run", exit_code=2)


@pytest.mark.parametrize("absent", ["X", "y", "tags"])
def test_refuses_an_npz_without_a_required_array(absent, splits, tmp_path):
    X, y = toy_split(20, 7)
    bad = write_npz(tmp_path / "bad.npz", X, y, leave_out=absent)
    held = ", ".join(name for name in ("names", "X", "y", "tags") if name != absent)
    refused(arguments(splits, tmp_path / "run") + ["-tr", str(bad)], f"{bad} has no {absent} array (it holds {held})",
            tmp_path / "run")


def test_refuses_x_and_y_of_different_lengths(splits, tmp_path):
    X, y = toy_split(20, 7)
    bad = write_npz(tmp_path / "bad.npz", X, y[:19])
    refused(arguments(splits, tmp_path / "run") + ["-te", str(bad)], f"{bad}: X holds 20 tracks, y holds 19",
            tmp_path / "run")


def test_refuses_splits_with_different_tags(splits, tmp_path):
    X, y = toy_split(20, 7)
    other_tags = TAGS[:3] + ("mood/theme---epic",)
    bad = write_npz(tmp_path / "bad.npz", X, y, tags=other_tags)
    refused(arguments(splits, tmp_path / "run") + ["-v", str(bad)],
            f"tags differ: {splits['train']} has 4 tags including 'mood/theme---sad', "
            f"{bad} has 4 tags including 'mood/theme---epic'", tmp_path / "run")


def test_refuses_splits_with_tags_in_another_order(splits, tmp_path):
    X, y = toy_split(20, 7)
    bad = write_npz(tmp_path / "bad.npz", X, y, tags=TAGS[::-1])
    refused(arguments(splits, tmp_path / "run") + ["-te", str(bad)],
            f"tags differ: {splits['train']} has 4 tags with 'mood/theme---calm' in column 0, "
            f"{bad} has 4 tags with 'mood/theme---sad' in column 0", tmp_path / "run")


def test_refuses_splits_with_different_feature_sizes(splits, tmp_path):
    X, y = toy_split(20, 7)
    bad = write_npz(tmp_path / "bad.npz", X[:, :, :6], y)
    refused(arguments(splits, tmp_path / "run") + ["-te", str(bad)],
            f"feature sizes differ: {splits['train']} has 8 features per window, {bad} has 6", tmp_path / "run")


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_refuses_non_finite_features(value, splits, tmp_path):
    X, y = toy_split(20, 7)
    X[3, 2, 1] = value
    bad = write_npz(tmp_path / "bad.npz", X, y)
    refused(arguments(splits, tmp_path / "run") + ["-tr", str(bad)],
            f"X in {bad} holds NaN or inf (first at track 3, window 2, feature 1)", tmp_path / "run")


def test_refuses_a_truncated_npz_member(splits, tmp_path):
    X, y = toy_split(20, 7)
    bad = tmp_path / "bad.npz"
    with zipfile.ZipFile(bad, "w") as archive:
        for name, array in {"X": X, "y": y, "tags": np.array(TAGS)}.items():
            member = io.BytesIO()
            np.save(member, array)
            archive.writestr(f"{name}.npy", member.getvalue()[:-100] if name == "X" else member.getvalue())
    refused(arguments(splits, tmp_path / "run") + ["-tr", str(bad)],
            f"X in {bad} is truncated: its header says 20 x 5 x 8 float32 (3200 bytes), the file holds 3100 bytes of it",
            tmp_path / "run")


def test_refuses_labels_that_are_not_binary(splits, tmp_path):
    X, y = toy_split(20, 7)
    y[0, 0] = 2
    bad = write_npz(tmp_path / "bad.npz", X, y)
    refused(arguments(splits, tmp_path / "run") + ["-tr", str(bad)], f"y in {bad} holds values other than 0 and 1",
            tmp_path / "run")


def test_refuses_a_validation_split_without_a_scorable_tag(splits, tmp_path):
    X, y = toy_split(20, 7)
    bad = write_npz(tmp_path / "bad.npz", X, np.zeros_like(y))
    refused(arguments(splits, tmp_path / "run") + ["-v", str(bad)],
            f"{bad}: no tag has both positive and negative tracks, so validation ROC-AUC is undefined", tmp_path / "run")


def test_refuses_a_test_split_with_a_tag_no_track_has(splits, tmp_path):
    X, y = toy_split(20, 8)
    y[:, 2] = 0
    bad = write_npz(tmp_path / "test.npz", X, y)
    refused(arguments(splits, tmp_path / "run") + ["-te", str(bad)],
            f"{bad}: no test track has tag 'mood/theme---happy', so its test ROC-AUC is undefined", tmp_path / "run")


def test_a_disagreeing_official_ground_truth_is_reported_and_the_test_split_used(tmp_path, capsys):
    """A -mep laid out as MediaEval 2019's, whose groundtruth.npy differs from its split-0 test TSV in one cell."""
    names = [f"{i}/{i}.mp3" for i in range(6)]
    y = np.eye(6, len(TAGS), dtype=np.int64) + np.eye(6, len(TAGS), -4, dtype=np.int64)
    dataset = tmp_path / "mep" / data.DATASET_DIR
    rows = ["\t".join(data.TSV_COLUMNS)] + [
        "\t".join([f"track_{i}", "artist", "album", name, "30.0", *(tag for tag, on in zip(TAGS, row) if on)])
        for i, (name, row) in enumerate(zip(names, y))]
    test_tsv = data.split_0_tsv(tmp_path / "mep", "test")
    test_tsv.parent.mkdir(parents=True)
    test_tsv.write_text("\n".join(rows) + "\n")
    (dataset / data.TAG_LIST).parent.mkdir(parents=True)
    (dataset / data.TAG_LIST).write_text("\n".join(TAGS) + "\n")
    official = y.astype(bool)
    official[0, 3] = True
    (dataset / data.GROUNDTRUTH_CANDIDATES[0]).parent.mkdir(parents=True)
    np.save(dataset / data.GROUNDTRUTH_CANDIDATES[0], official)
    truth = evaluation_truth(tmp_path / "mep", names, y, TAGS, "test.npz")
    np.testing.assert_array_equal(truth, y.astype(bool))
    assert capsys.readouterr().err == (f"Warning: {dataset / data.GROUNDTRUTH_CANDIDATES[0]} differs from the test "
                                       "split's tags in 1 cell(s); evaluating against the tags of test.npz\n")
    np.save(dataset / data.GROUNDTRUTH_CANDIDATES[0], y.astype(bool))
    evaluation_truth(tmp_path / "mep", names, y, TAGS, "test.npz")
    assert capsys.readouterr().err == ""


def test_refuses_an_experiment_folder_holding_a_run(splits, gru_run):
    experiment, _ = gru_run
    before = experiment.predictions.read_bytes()
    result = CliRunner().invoke(main, arguments(splits, experiment.root))
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == (
        f"Error: {experiment.root} already holds a run (config.json, history.csv, checkpoints, log, predictions.npy, "
        "decisions.npy, thresholds.tsv, validation-predictions.npy, validation-truth.npy, evaluation-on-test.tsv); "
        "pass --overwrite to replace it or --resume to continue it")
    assert experiment.predictions.read_bytes() == before


def test_refuses_overwrite_with_resume_and_resume_of_nothing(splits, tmp_path):
    refused(arguments(splits, tmp_path / "run") + ["--overwrite", "--resume"],
            "--overwrite and --resume exclude each other: replace the run or continue it", tmp_path / "run")
    refused(arguments(splits, tmp_path / "run") + ["--resume"],
            f"nothing to resume in {tmp_path / 'run'}: {tmp_path / 'run' / 'checkpoints' / 'last-state.json'} "
            "does not exist", tmp_path / "run")


def test_refuses_to_resume_with_other_options(splits, gru_run):
    experiment, _ = gru_run
    result = CliRunner().invoke(main, arguments(splits, experiment.root, *GRU, "-rt", "lstm", "--resume"))
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == (
        f"Error: cannot resume: rnn_type is 'lstm' now but 'gru' in {experiment.config}")


def test_refuses_to_resume_a_run_of_keras_3s_batch_normalization(splits, gru_run, tmp_path):
    """A run written before augli.keras2 holds Keras 3's layers: refused in one line naming the fix."""
    experiment, _ = gru_run
    old = Experiment(tmp_path / "old")
    shutil.copytree(experiment.root, old.root)
    config = json.loads(old.config.read_text())
    del config["batch_normalization"]
    old.config.write_text(json.dumps(config))
    result = CliRunner().invoke(main, arguments(splits, old.root, *GRU, "--resume"))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.splitlines()[-1].startswith(
        f"Error: {old.config}: the model was trained with Keras 3's BatchNormalization, whose state this version "
        "does not load; retrain it")


def test_overwrite_replaces_only_the_runs_outputs_and_needs_no_official_ground_truth(splits, tmp_path):
    """One test for both, as each needs a run of its own: the second run, whose -mep holds no MediaEval
    ground truth and whose test split is smaller, still scores its test split against the split's own tags."""
    experiment = Experiment(tmp_path / "run")
    args = arguments(splits, experiment.root, "-rl", "1", epochs=1)
    train(*args)
    assert experiment.evaluation.exists()
    (experiment.root / "notes.txt").write_text("mine")
    (experiment.log / "stale").write_text("old")
    X, y = toy_split(SIZES["test"] - 20, 9)
    smaller = write_npz(tmp_path / "smaller-test.npz", X, y)
    train(*args, "-mep", str(tmp_path / "elsewhere"), "-te", str(smaller), "--overwrite")
    assert (experiment.root / "notes.txt").read_text() == "mine"
    assert not (experiment.log / "stale").exists()
    assert len(history(experiment)) == 2
    predictions, decisions = np.load(experiment.predictions), np.load(experiment.decisions)
    assert predictions.shape == y.shape
    assert experiment.evaluation.read_text() == format_metrics(evaluate(y.astype(bool), predictions, decisions))


def test_options_keep_the_original_names_and_defaults():
    options = {parameter.name: (parameter.opts + parameter.secondary_opts,
                                 False if parameter.is_flag and not parameter.secondary_opts else parameter.default)
               for parameter in main.params}
    assert options == {
        "media_eval_path": (["-mep", "--media-eval-path"], "./MEDIA-EVAL19"),
        # The original's train.npz, validation.npz and test.npz, now below -mep (tests/test_options.py).
        "train_npz": (["-tr", "--train-npz"], None),
        "val_npz": (["-v", "--val-npz"], None),
        "test_npz": (["-te", "--test-npz"], None),
        "batch_size": (["-bs", "--batch-size"], 32),
        "epochs": (["-e", "--epochs"], 1000),
        "learning_rate": (["-lr", "--learning-rate"], 0.001),
        "rnn_dropout": (["-dornn", "--rnn-dropout"], 0.4),
        "dropout_final": (["-dof", "--dropout-final"], 0.4),
        "experiment_base_path": (["-ebp", "--experiment-base-path"], ".experiments"),
        "rnn_units": (["-ru", "--rnn-units"], 1024),
        "rnn_layers": (["-rl", "--rnn-layers"], 2),
        "optimizer": (["-o", "--optimizer"], "rmsprop"),
        "recurrent_activation": (["--recurrent-activation"], "sigmoid"),
        "rnn_type": (["-rt", "--rnn-type"], "gru"),
        "distribute": (["--distribute"], "none"),
        "devices": (["--devices"], None),
        "mixed_precision": (["--mixed-precision"], False),
        "deterministic": (["--deterministic", "--no-deterministic"], True),
        "seed": (["--seed"], 42),
        "resume": (["--resume"], False),
        "overwrite": (["--overwrite"], False),
        "quiet": (["--quiet"], False),
    }
    result = CliRunner().invoke(main, ["--help"], terminal_width=200)
    assert result.exit_code == 0
    assert "-rt, --rnn-type [lstm|bilstm|gru]" in result.output and "[default: gru]" in result.output


def test_rejects_an_unknown_rnn_type(splits, tmp_path):
    refused(arguments(splits, tmp_path / "run") + ["-rt", "transformer"],
            "Invalid value for '-rt' / '--rnn-type': 'transformer' is not one of 'lstm', 'bilstm', 'gru'.",
            tmp_path / "run", exit_code=2)
