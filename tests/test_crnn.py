"""crnn.py on tiny generated 16 kHz wavs whose tags are audible textures: a steady tone (at a random
pitch), loud noise and repeated fast sweeps, mixed over a faint noise floor.

Textures rather than tones at fixed pitches: VGGish's convolutions are the same at every mel band
and the CRNN averages its last 4 mel columns, so *where* a tone sits is mostly pooled away, while
horizontal lines, diagonal lines and noise stay distinct even through random VGGish weights.
Runs are kept small (1 s crops, 16 RNN units, batches of 4) and shared between tests through module
fixtures, because every run traces a VGGish-sized graph.
"""

import hashlib
import json
import subprocess
import sys
from functools import partial

import keras
import numpy as np
import pytest
import soundfile
import tensorflow as tf
from click.testing import CliRunner

from augli.clips import Crop, Wav, middle_crop, pad_front, read_crop, training_crops, window_crops
from augli.crnn_training import Split, crop_predictor, middle_crops
from augli.data import TSV_COLUMNS
from augli.experiment import Experiment
from augli.metrics import decide, evaluate, format_metrics, macro_auc, youden_thresholds
from augli.models import crnn_tagger
from augli.training import RunRecorder
from conftest import REPO, assert_refused, keras2_parameter_count
from crnn import main
from vggish.model import vggish
from vggish.params import CONV_PARAMETERS
from vggish.weights import write_dtaoo_weights

RATE = 16000
TAGS = ("mood/theme---calm", "mood/theme---dark", "mood/theme---happy")
SIZES = {"train": 24, "validation": 12, "test": 6}
SHORT_SECONDS = 0.6  # one validation track is shorter than the window
SMALL = ["-vw", "none", "-e", "1", "-w", "1", "-ru", "16", "-rl", "1", "-bs", "4", "-lr", "0.003", "-dornn", "0.1", "-dof", "0.1",
         "-nw", "2"]
# Phase 1: 2 epochs on the frozen VGGish; phase 2: 2 epochs fine-tuning.
SCHEDULE = ["-e", "4", "-ftp", "0.5"]


def texture_track(tags, seconds, rng):
    """calm: a steady tone; dark: loud noise; happy: a 200 -> 4000 Hz sweep every 0.25 s."""
    time = np.arange(int(seconds * RATE)) / RATE
    audio = 0.005 * rng.standard_normal(len(time))
    if TAGS[0] in tags:
        audio += 0.3 * np.sin(2 * np.pi * rng.uniform(300, 2000) * time)
    if TAGS[1] in tags:
        audio += 0.1 * rng.standard_normal(len(time))
    if TAGS[2] in tags:
        frequency = 200 * 20 ** (time % 0.25 / 0.25)
        audio += 0.3 * np.sin(2 * np.pi * np.cumsum(frequency) / RATE)
    return audio.astype(np.float32)


def write_split(root, split, n_tracks, rng):
    """The split's TSV (MTG layout, CRLF) and wavs under root/MEDIAEVAL19/wav; returns the TSV path and labels."""
    lines, labels = ["\t".join(TSV_COLUMNS)], []
    for track in range(n_tracks):
        path = f"{track % 3:02d}/{split}{track}.mp3"
        tags = [tag for index, tag in enumerate(TAGS) if index == track % len(TAGS) or rng.random() < 0.1]
        seconds = SHORT_SECONDS if (split, track) == ("validation", 1) else rng.uniform(3, 6)
        wav = root / "MEDIAEVAL19" / "wav" / path.replace(".mp3", ".wav")
        wav.parent.mkdir(parents=True, exist_ok=True)
        soundfile.write(wav, texture_track(tags, seconds, rng), RATE, subtype="PCM_16")
        lines.append("\t".join([str(track), "artist", "album", path, f"{seconds:.1f}", *tags]))
        labels.append([tag in tags for tag in TAGS])
    tsv = root / f"autotagging_moodtheme-{split}.tsv"
    tsv.write_text("\r\n".join(lines) + "\r\n")
    return tsv, np.array(labels)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("tones")
    rng = np.random.default_rng(0)
    paths, labels = {}, {}
    for split, n_tracks in SIZES.items():
        paths[split], labels[split] = write_split(root, split, n_tracks, rng)
    paths["mep"], paths["wav"], paths["labels"] = root / "MEDIAEVAL19", root / "MEDIAEVAL19" / "wav", labels
    return paths


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    """A VGGish weights file in DTaoo's layout holding Keras' initial (random) weights."""
    keras.utils.set_random_seed(0)
    model = vggish(include_top=False)
    path = tmp_path_factory.mktemp("vggish") / "vggish_audioset_weights_without_fc2.h5"
    write_dtaoo_weights(path, {layer.name: layer.get_weights() for layer in model.layers if layer.weights})
    return path


def arguments(dataset, ebp, *extra):
    return ["-mep", str(dataset["mep"]), "-ebp", str(ebp), "-tr", str(dataset["train"]), "-v",
            str(dataset["validation"]), "-te", str(dataset["test"]), *SMALL, *extra]


def train(*args):
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result


def history(experiment):
    rows = [line.split(",") for line in experiment.history.read_text().splitlines()]
    return [dict(zip(rows[0], map(float, row))) for row in rows[1:]]


@pytest.fixture(scope="module")
def gru_run(dataset, weights, tmp_path_factory):
    ebp = tmp_path_factory.mktemp("gru") / "run"
    result = train(*arguments(dataset, ebp, "-rt", "gru", "-vw", str(weights), *SCHEDULE, "--quiet"))
    return Experiment(ebp), result


# --- the runs --------------------------------------------------------------------------------------------

def test_learns_the_audible_tags_over_two_phases(dataset, weights, gru_run):
    experiment, result = gru_run
    rows = history(experiment)
    assert [row["epoch"] for row in rows] == [1, 2, 3, 4]
    assert max(row["val_roc_auc"] for row in rows) >= 0.8
    assert "epoch 4/4  loss " in result.output

    config = json.loads(experiment.config.read_text())
    pipeline = config["input_pipeline"]
    assert pipeline["window_seconds"] == 1 and pipeline["sample_rate_hz"] == RATE
    assert pipeline["test_crops"] == "middle" and pipeline["test_batch_size"] == 1
    assert pipeline["noise_std"] == pytest.approx(0.03745401188473625)
    assert pipeline["vggish_weights"] == str(weights.resolve())
    assert pipeline["vggish_weights_sha256"] == hashlib.sha256(weights.read_bytes()).hexdigest()
    assert pipeline["audio_dir"] == str(dataset["wav"])
    assert pipeline["front_end"]["mel_bands"] == 64 and pipeline["front_end"]["stft_hop_samples"] == 256

    # Phase 2 left VGGish trainable at a tenth of the learning rate.
    model = keras.models.load_model(experiment.last_model)
    assert model.get_layer("vggish").trainable
    assert float(model.optimizer.learning_rate) == pytest.approx(0.0003)


def test_outputs_with_shapes_dtypes_and_consistency(dataset, gru_run):
    experiment, _ = gru_run
    assert sorted(path.name for path in experiment.root.iterdir()) == sorted(
        ["checkpoints", "config.json", "decisions.npy", "evaluation-on-test.tsv", "history.csv", "log",
         "predictions.npy", "thresholds.tsv", "validation-predictions.npy", "validation-truth.npy"])
    assert sorted(path.name for path in experiment.checkpoints.iterdir()) == ["best.weights.h5", "last-state.json",
                                                                                "last.keras"]
    predictions, decisions = np.load(experiment.predictions), np.load(experiment.decisions)
    validation_predictions = np.load(experiment.validation_predictions)
    assert predictions.shape == decisions.shape == (SIZES["test"], len(TAGS))
    assert validation_predictions.shape == (SIZES["validation"], len(TAGS))  # every validation track scored
    assert predictions.dtype == validation_predictions.dtype == np.float32 and decisions.dtype == bool

    rows = history(experiment)
    best = int(np.argmax([row["val_roc_auc"] for row in rows]))
    truth = dataset["labels"]["validation"]
    np.testing.assert_array_equal(np.load(experiment.validation_truth), truth.astype(bool))  # for tag.py
    assert macro_auc(truth, validation_predictions)[0] == pytest.approx(rows[best]["val_roc_auc"], abs=1e-6)
    thresholds = np.array([float(line.split("\t")[1]) for line in experiment.thresholds.read_text().splitlines()])
    np.testing.assert_allclose(thresholds, youden_thresholds(truth, validation_predictions), atol=1e-6)
    np.testing.assert_array_equal(decisions, decide(predictions, thresholds))
    assert experiment.evaluation.read_text() == format_metrics(evaluate(dataset["labels"]["test"], predictions,
                                                                         decisions))


def test_same_seed_killed_at_the_phase_boundary_and_in_phase_2_then_resumed_repeats_the_run(
        dataset, weights, gru_run, tmp_path, monkeypatch):
    experiment, _ = gru_run
    resumed = Experiment(tmp_path / "resumed")
    args = arguments(dataset, resumed.root, "-rt", "gru", "-vw", str(weights), *SCHEDULE)  # not --quiet: no matter
    record = RunRecorder.on_epoch_end

    def kill_after(last_epoch):
        def recorded_then_killed(self, epoch, logs=None):
            record(self, epoch, logs)
            if epoch == last_epoch:
                raise KeyboardInterrupt
        monkeypatch.setattr(RunRecorder, "on_epoch_end", recorded_then_killed)

    kill_after(1)  # the last epoch of phase 1
    assert CliRunner().invoke(main, args).exit_code != 0
    # Same seed, same epochs: every number so far is the uninterrupted run's.
    assert resumed.history.read_text() == "".join(experiment.history.read_text().splitlines(keepends=True)[:3])
    kill_after(2)  # the first epoch of phase 2
    assert CliRunner().invoke(main, args + ["--resume"]).exit_code != 0
    assert json.loads(resumed.last_state.read_text())["epochs_done"] == 3 and not resumed.predictions.exists()
    monkeypatch.setattr(RunRecorder, "on_epoch_end", record)

    result = train(*args, "--resume")
    assert "epoch 4/4" in result.output and "epoch 3/4" not in result.output
    assert resumed.history.read_text() == experiment.history.read_text()
    for output in ("predictions", "validation_predictions", "decisions"):
        np.testing.assert_array_equal(np.load(getattr(resumed, output)), np.load(getattr(experiment, output)))
    assert resumed.thresholds.read_text() == experiment.thresholds.read_text()


@pytest.mark.parametrize("rnn_type", ["lstm", "bilstm"])
def test_smoke_one_plus_one_epochs(rnn_type, dataset, weights, tmp_path):
    """lstm: random VGGish (trained in both phases) and --test-crops all; bilstm: pretrained-layout weights."""
    experiment = Experiment(tmp_path / rnn_type)
    extra = ["--test-crops", "all"] if rnn_type == "lstm" else ["-vw", str(weights)]
    train(*arguments(dataset, experiment.root, "-rt", rnn_type, "-e", "2", "-ftp", "0.5", "--quiet", *extra))
    assert [row["epoch"] for row in history(experiment)] == [1, 2]
    for path in (experiment.config, experiment.best_weights, experiment.last_model, experiment.last_state,
                 experiment.thresholds, experiment.evaluation):
        assert path.is_file() and path.stat().st_size > 0
    assert any(experiment.log.rglob("events.out.tfevents.*"))
    assert np.load(experiment.predictions).shape == (SIZES["test"], len(TAGS))
    assert np.load(experiment.validation_predictions).shape == (SIZES["validation"], len(TAGS))
    pipeline = json.loads(experiment.config.read_text())["input_pipeline"]
    assert (pipeline["vggish_weights"] is None) == (rnn_type == "lstm")
    assert pipeline["test_crops"] == ("all" if rnn_type == "lstm" else "middle")


@pytest.mark.parametrize("portion, fine_tuned", [("1.0", True), ("0", False)])
def test_all_or_no_epochs_fine_tuning(portion, fine_tuned, dataset, weights, tmp_path):
    experiment = Experiment(tmp_path / "run")
    train(*arguments(dataset, experiment.root, "-vw", str(weights), "-e", "1", "-ftp", portion, "-rn", "0",
                     "--quiet"))
    assert len(history(experiment)) == 1
    model = keras.models.load_model(experiment.last_model)
    assert model.get_layer("vggish").trainable == fine_tuned
    assert float(model.optimizer.learning_rate) == pytest.approx(0.0003 if fine_tuned else 0.003)
    assert "additive_noise" not in [layer.name for layer in model.layers]


# --- the pieces ------------------------------------------------------------------------------------------

def test_model_matches_the_original_parameter_counts():
    # VGGish's convolutions plus the original's head with 256 units, 2 layers, 56 tags (augli-facts 5.3;
    # the GRU count is Keras 2's reset_after=False); 20 s of audio become 79 steps of 512.
    heads = {"gru": 1_311_288, "lstm": 1_639_480, "bilstm": 3_740_728}
    for rnn_type, head in heads.items():
        model = crnn_tagger(56, rnn_type, 256, 2, 0.3, 0.3, noise_std=0.05)
        assert keras2_parameter_count(model) == CONV_PARAMETERS + head, rnn_type
    sequence = keras.Model(model.inputs, model.get_layer("sequence").output)
    assert sequence.predict(np.zeros((1, 20 * RATE), np.float32), verbose=0).shape == (1, 79, 512)
    assert model.get_layer("rnn_dense").units == 1024


def write_wav(path, audio):
    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(path, audio, RATE, subtype="PCM_16")
    return Wav(path, len(audio))


def test_crops_follow_the_original_rules(tmp_path):
    long = Wav(tmp_path / "long.wav", 100 * RATE)
    short = Wav(tmp_path / "short.wav", 30 * RATE)
    tiny = Wav(tmp_path / "tiny.wav", int(1.5 * RATE))
    assert middle_crop(long, 20) == Crop(long.path, 50 * RATE, 20 * RATE, 20 * RATE)  # d/2 > w: from the middle
    assert middle_crop(short, 20) == Crop(short.path, 0, 20 * RATE, 20 * RATE)  # d/2 <= w: from the start
    assert middle_crop(tiny, 20) == Crop(tiny.path, 0, int(1.5 * RATE), int(1.5 * RATE))
    assert [crop.start for crop in window_crops(long, 20)] == [0, 20 * RATE, 40 * RATE, 60 * RATE, 80 * RATE]
    assert len(window_crops(tiny, 20)) == 1

    order, crops = training_crops([long, short, tiny], 20, seed=42, epoch=3)
    again_order, again = training_crops([long, short, tiny], 20, seed=42, epoch=3)
    assert list(order) == list(again_order) and crops == again  # (seed, epoch) decides everything
    assert sorted(order) == [0, 1, 2]
    starts = {index: [] for index in range(3)}
    for epoch in range(2000):
        order, crops = training_crops([long, short, tiny], 20, seed=42, epoch=epoch)
        for index, crop in zip(order, crops):
            assert crop.start % RATE == 0  # whole seconds
            starts[index].append(crop.start // RATE)
    assert set(starts[0]) == set(range(0, 81))  # [0, max(1, int(d - w))], both ends included
    assert set(starts[1]) == set(range(0, 11))
    assert set(starts[2]) == {0, 1}
    _, stretched = training_crops([long], 20, seed=1, epoch=0, time_stretch=0.25, pitch_shift=2)
    assert stretched[0].frames == 25 * RATE and stretched[0].keep == 20 * RATE
    assert 0.75 <= stretched[0].stretch_rate <= 1.25 and stretched[0].pitch_steps in range(-2, 3)


def test_read_crop_reads_exactly_the_crop(tmp_path):
    audio = (np.arange(5 * RATE) % 20000 - 10000).astype(np.int16)
    wav = write_wav(tmp_path / "ramp.wav", audio)
    crop = read_crop(Crop(wav.path, 2 * RATE + 7, RATE, RATE))
    np.testing.assert_array_equal(crop, audio[2 * RATE + 7:3 * RATE + 7] / 32768)
    assert crop.dtype == np.float32
    end = read_crop(middle_crop(wav, 2))  # 2.5 s: 2 s from the middle
    np.testing.assert_array_equal(end, audio[int(2.5 * RATE):int(4.5 * RATE)] / 32768)
    augmented = read_crop(Crop(wav.path, 0, 2 * RATE, RATE, stretch_rate=1.2, pitch_steps=1))
    assert augmented.shape == (RATE,)


class MeanModel:
    """Stands in for the CRNN: two 'tag scores' per crop, its mean sample and its batch's size."""

    def __call__(self, batch, training=False):
        size = tf.shape(batch)[0]
        return tf.stack([tf.reduce_mean(batch, axis=1), tf.fill([size], tf.cast(size, tf.float32))], axis=1)


def test_test_crops_all_average_every_window_in_batches(tmp_path):
    steps = np.repeat(np.arange(7, dtype=np.int16) * 1000, RATE)  # 7 s, one level per second
    wavs = [write_wav(tmp_path / "a.wav", steps), write_wav(tmp_path / "b.wav", steps[:3 * RATE])]
    per_track = [window_crops(wav, 2) for wav in wavs]  # 3 windows of a, 1 of b
    scores = crop_predictor(per_track, batch_size=3, workers=2, description="test", quiet=True)(MeanModel())
    levels = np.array([[500, 2500, 4500], [500, 500, 500]]) / 32768
    np.testing.assert_allclose(scores[:, 0], levels.mean(axis=1), rtol=1e-6)
    np.testing.assert_array_equal(scores[:, 1], [3, 1])  # a's windows made one batch, b's the next
    middle = crop_predictor(middle_crops(Split(tmp_path, paths=[], wavs=wavs, y=None), 2), 1, 1, "test", True)(MeanModel())
    np.testing.assert_allclose(middle[:, 0], [4000 / 32768, 500 / 32768], rtol=1e-6)  # a: 3.5 s to 5.5 s


def test_pad_front():
    batch = pad_front([np.ones(3, np.float32), np.full(5, 2, np.float32)])
    np.testing.assert_array_equal(batch, [[0, 0, 1, 1, 1], [2, 2, 2, 2, 2]])
    np.testing.assert_array_equal(pad_front([np.ones(3, np.float32)], length=4), [[0, 1, 1, 1]])


# --- refusals: one line, non-zero exit, nothing written -----------------------------------------------------

refused = partial(assert_refused, main)


def copy_wavs(dataset, tmp_path):
    wavs = tmp_path / "wav"
    for path in dataset["wav"].rglob("*.wav"):
        target = wavs / path.relative_to(dataset["wav"])
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes())
    return wavs


def test_refuses_missing_wavs_naming_the_first_few(dataset, tmp_path):
    wavs = copy_wavs(dataset, tmp_path)
    gone = [wavs / f"{track % 3:02d}/train{track}.wav" for track in (3, 5, 7, 9)]
    for path in gone:
        path.unlink()
    refused(arguments(dataset, tmp_path / "run", "--audio-dir", str(wavs)),
            f"4 of the 24 wavs of {dataset['train']} are missing: {', '.join(map(str, gone[:3]))}, ... "
            f"(looked below {wavs}; make them with prepare_audio.py or point --audio-dir at them)", tmp_path / "run")


@pytest.mark.parametrize("problem", ["corrupt", "rate", "stereo"])
def test_refuses_an_unusable_wav(problem, dataset, tmp_path):
    wavs = copy_wavs(dataset, tmp_path)
    bad = wavs / "01" / "validation4.wav"
    if problem == "corrupt":
        bad.write_bytes(b"RIFF\x00\x00not a wav at all")
        message = f"{bad} is not a readable audio file ("
    else:
        rate, channels = (22050, 1) if problem == "rate" else (RATE, 2)
        soundfile.write(bad, np.zeros((rate, channels), np.float32), rate)
        message = (f"{bad} is {rate} Hz with {channels} channels; the CRNN reads 16000 Hz mono wavs: "
                   "convert the audio with prepare_audio.py")
    result = CliRunner().invoke(main, arguments(dataset, tmp_path / "run", "--audio-dir", str(wavs)))
    assert result.exit_code == 1 and result.output.splitlines()[-1].startswith(f"Error: {message}")
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert not (tmp_path / "run").exists()


def test_refuses_a_tsv_without_path_or_tags(dataset, tmp_path):
    bad = tmp_path / "bad.tsv"
    bad.write_text("TRACK_ID\tARTIST_ID\tALBUM_ID\tDURATION\n1\t2\t3\t30.0\n")
    refused(arguments(dataset, tmp_path / "run") + ["-tr", str(bad)],
            f"{bad} is not an MTG-Jamendo split TSV: the header must be {' '.join(TSV_COLUMNS)}", tmp_path / "run")


def test_refuses_an_empty_split(dataset, tmp_path):
    empty = tmp_path / "empty.tsv"
    empty.write_text("\t".join(TSV_COLUMNS) + "\r\n")
    refused(arguments(dataset, tmp_path / "run") + ["-te", str(empty)], f"{empty} lists no tracks", tmp_path / "run")


def test_refuses_vggish_weights_missing_or_of_the_wrong_layout(dataset, tmp_path):
    missing = tmp_path / "nope.h5"
    result = CliRunner().invoke(main, arguments(dataset, tmp_path / "run", "-vw", str(missing)))
    assert result.exit_code == 1 and result.output.count("\n") == 1
    assert result.output.startswith(f"Error: VGGish weights {missing} not found: download ")
    assert result.output.endswith("`-vw none` starts VGGish from random weights\n")
    assert not (tmp_path / "run").exists()

    keras_3 = tmp_path / "keras3.weights.h5"
    vggish(include_top=False).save_weights(keras_3)
    refused(arguments(dataset, tmp_path / "run", "-vw", str(keras_3)),
            f"{keras_3} is not a VGGish weights file: expected DTaoo's Keras-2 VGGish h5 layout (root attribute "
            "layer_names listing conv1 ... conv4/conv4_2, one group per layer with its weight_names)", tmp_path / "run")


def test_refuses_a_batch_larger_than_the_training_split(dataset, tmp_path):
    refused(arguments(dataset, tmp_path / "run") + ["-bs", "25"],
            f"{dataset['train']} has 24 tracks, fewer than one batch (-bs 25)", tmp_path / "run")


@pytest.mark.parametrize("script", ["crnn", "train_rnn"])
def test_help_starts_neither_tensorflow_nor_keras(script):
    code = (f"import sys; from click.testing import CliRunner; import {script}; "
            f"assert CliRunner().invoke({script}.main, ['--help']).exit_code == 0; "
            "print(sorted({'tensorflow', 'keras', 'kapre'} & set(sys.modules)))")
    run = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert run.stdout == "[]\n" and run.stderr == ""


def test_options_keep_the_original_names_and_defaults():
    options = {parameter.name: (parameter.opts + parameter.secondary_opts,
                                 False if parameter.is_flag and not parameter.secondary_opts else parameter.default)
               for parameter in main.params}
    assert {name: value for name, value in options.items() if name != "vggish_weights"} == {
        "media_eval_path": (["-mep", "--media-eval-path"], "./MEDIA-EVAL19"),
        # The original's split-0 TSVs below ./MEDIA-EVAL19, now below -mep (tests/test_options.py).
        "train_csv": (["-tr", "--train-csv"], None),
        "val_csv": (["-v", "--val-csv"], None),
        "test_csv": (["-te", "--test-csv"], None),
        "batch_size": (["-bs", "--batch-size"], 32),
        "epochs": (["-e", "--epochs"], 100),
        "learning_rate": (["-lr", "--learning-rate"], 0.001),
        "rnn_dropout": (["-dornn", "--rnn-dropout"], 0.3),
        "dropout_final": (["-dof", "--dropout-final"], 0.3),
        "n_workers": (["-nw", "--n-workers"], 4),
        "experiment_base_path": (["-ebp", "--experiment-base-path"], "./experiments"),
        "rnn_units": (["-ru", "--rnn-units"], 256),
        "rnn_layers": (["-rl", "--rnn-layers"], 2),
        "optimizer": (["-o", "--optimizer"], "rmsprop"),
        "recurrent_activation": (["--recurrent-activation"], "sigmoid"),
        "rnn_type": (["-rt", "--rnn-type"], "gru"),
        "pitch_shift": (["-ps", "--pitch-shift"], None),
        "time_stretch": (["-ts", "--time-stretch"], None),
        "random_noise": (["-rn", "--random-noise"], 0.1),
        "window": (["-w", "--window"], 20),
        "fine_tune_portion": (["-ftp", "--fine_tune_portion"], 0.8),
        "audio_dir": (["--audio-dir"], None),
        "test_batch_size": (["--test-batch-size"], 1),
        "test_crops": (["--test-crops"], "middle"),
        "distribute": (["--distribute"], "none"),
        "devices": (["--devices"], None),
        "mixed_precision": (["--mixed-precision"], False),
        "deterministic": (["--deterministic", "--no-deterministic"], True),
        "seed": (["--seed"], 42),
        "resume": (["--resume"], False),
        "overwrite": (["--overwrite"], False),
        "quiet": (["--quiet"], False),
    }
    assert options["vggish_weights"][0] == ["-vw", "--vggish-weights"]
    assert options["vggish_weights"][1].endswith("vggish/vggish_audioset_weights_without_fc2.h5")
    result = CliRunner().invoke(main, ["--help"], terminal_width=200)
    assert result.exit_code == 0 and "-rt, --rnn-type [lstm|bilstm|gru]" in result.output
