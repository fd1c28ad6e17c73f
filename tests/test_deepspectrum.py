"""deepspectrum_features.py: DeepSpectrum's chunks, pictures, network and CSV, resume, and every bad input.

Plumbing tests use a stand-in network (a few picture statistics per row); the weight loading and
the chain into transform_features.py build the real Keras VGG16.
"""

import csv
import functools
import hashlib
import json
import subprocess
import sys
from decimal import Decimal

import numpy as np
import pytest
import soundfile
from click.testing import CliRunner

import augli.deepspectrum as deepspectrum
import transform_features
from augli.data import TSV_COLUMNS, label_csv, read_split
from augli.errors import AugliError
from augli.sequences import load_sequences
from augli.shards import Shard, parse_shard, shard_slice, take_shard
from augli.spectrogram_image import (IMAGE_SIZE_PX, NETWORK_SIZE_PX, colour_table, fft_size, mel_db, render_matplotlib,
                                     render_numpy, resize_for_network)
from augli.track_pictures import chunk_spans, timestamp
from conftest import REPO, VGG16_LAYERS, write_legacy_vgg16_weights
from deepspectrum_features import main

RATE_HZ = 44100
# name -> seconds: a 29 s track as in MTG's split, one exactly one window long, one shorter than a window.
TRACKS = {"48/948.wav": 29.0, "49/1049.flac": 5.0, "50/1050.wav": 1.0}
SEED_FLAGS = ["-t", "5", "5", "-s", "0", "-e", "29", "-en", "VGG16", "-el", "fc2", "-fs", "mel", "-cm", "magma",
              "-m", "mel", "-nl"]


def write_audio(path, seconds):
    """A 440 Hz tone with a faint 5 kHz one, at 44.1 kHz."""
    time_s = np.arange(round(seconds * RATE_HZ)) / RATE_HZ
    tones = 0.3 * np.sin(2 * np.pi * 440 * time_s) + 0.01 * np.sin(2 * np.pi * 5000 * time_s)
    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(path, tones.astype(np.float32), RATE_HZ)


class StandInNetwork:
    """Per picture: the mean and spread of each BGR channel; enough to tell the pictures apart."""

    width = 6
    weights = {"weights": "stand-in"}

    def __init__(self, fail_after_calls=None):
        self.calls = 0
        self.fail_after_calls = fail_after_calls

    def __call__(self, images):
        self.calls += 1
        if self.fail_after_calls is not None and self.calls > self.fail_after_calls:
            raise KeyboardInterrupt
        bgr = images[..., ::-1].astype(np.float32) / 255
        return np.concatenate([bgr.mean(axis=(1, 2)), bgr.std(axis=(1, 2))], axis=1)


@pytest.fixture
def stand_in(monkeypatch):
    network = StandInNetwork()
    monkeypatch.setattr(deepspectrum, "load_network", lambda weights, layer: network)
    return network


@pytest.fixture
def audio(tmp_path):
    root = tmp_path / "audio"
    for name, seconds in TRACKS.items():
        write_audio(root / name, seconds)
    write_audio(root / "51" / "unlisted.wav", 2.0)
    return root


@pytest.fixture
def label_file(tmp_path):
    path = tmp_path / "labels.csv"
    path.write_text("filename,label\n" + "".join(f"{name},mood/theme---calm\n" for name in TRACKS))
    return path


def run(arguments):
    return CliRunner().invoke(main, [str(argument) for argument in arguments])


def expected_rows(audio_dir, name, timestamps):
    """The rows the stand-in network gives for a track's 5 s chunks, drawn from the file directly."""
    mono, rate = soundfile.read(audio_dir / name, dtype="float32")
    colours = colour_table("magma")
    rows = []
    for stamp in timestamps:
        chunk = mono[int(stamp) * rate:(int(stamp) + 5) * rate]
        picture = resize_for_network(render_numpy(mel_db(chunk, rate, 128), rate, colours), "bicubic")
        features = StandInNetwork()(picture[None])[0]
        rows.append(",".join([name, stamp] + [str(value) for value in features]))
    return rows


def test_chunks_and_timestamps_follow_deepspectrum():
    five = Decimal("5")
    # 29 s: five 5 s windows from 0 to 25 s (25-29 s unused), or 29 one-second windows.
    assert chunk_spans(29 * RATE_HZ, RATE_HZ, five, five) == [(n, n * 220500, (n + 1) * 220500) for n in range(5)]
    assert len(chunk_spans(29 * RATE_HZ, RATE_HZ, Decimal(1), Decimal(1))) == 29
    assert chunk_spans(5 * RATE_HZ, RATE_HZ, five, five) == [(0, 0, 220500)]
    # Shorter than the window: DeepSpectrum drew the one shorter chunk; shorter than nfft: nothing.
    assert chunk_spans(RATE_HZ, RATE_HZ, five, five) == [(0, 0, RATE_HZ)]
    assert chunk_spans(fft_size(RATE_HZ) - 1, RATE_HZ, five, five) == []
    # Overlapping windows end at the audio's end; the last ones are cut short.
    assert chunk_spans(3 * RATE_HZ, RATE_HZ, Decimal(2), Decimal(1))[-1] == (2, 2 * RATE_HZ, 3 * RATE_HZ)
    # timeStamps are Decimal sums, written as DeepSpectrum's csv.writer wrote them.
    assert [timestamp(Decimal(0), index, five) for index in range(5)] == ["0", "5", "10", "15", "20"]
    assert [timestamp(Decimal("0"), index, Decimal("0.5")) for index in range(3)] == ["0.0", "0.5", "1.0"]
    assert timestamp(Decimal("1.5"), 2, Decimal(1)) == "3.5"


def test_seed_command_writes_deepspectrum_csv_and_provenance(audio, label_file, tmp_path, stand_in):
    output = tmp_path / "features" / "DeepSpectrum" / "5s" / "train.csv"  # the folders do not exist yet

    result = run([audio, *SEED_FLAGS, "-lf", label_file, "-o", output, "-np", 1])

    assert result.exit_code == 0, result.output
    assert "wrote 7 rows of 3 tracks" in result.output
    text = output.read_bytes().decode("utf-8")
    lines = text.split("\r\n")  # csv.writer's line ends
    assert lines[-1] == ""
    assert lines[0] == "name,timeStamp," + ",".join(f"neuron_{index}" for index in range(StandInNetwork.width))
    assert lines[1:-1] == (expected_rows(audio, "48/948.wav", ["0", "5", "10", "15", "20"])
                           + expected_rows(audio, "49/1049.flac", ["0"])
                           + expected_rows(audio, "50/1050.wav", ["0"]))  # its one chunk is 1 s long
    record = (output.parent / "train.json").read_text()
    for expected in ('"renderer": "numpy"', '"resize": "bicubic"', '"colour_map": "magma"', '"layer": "fc2"',
                     '"extraction_network": "vgg16"', '"weights": "stand-in"', '"tracks": 3', '"rows": 7'):
        assert expected in record
    assert sorted(path.name for path in output.parent.iterdir()) == ["train.csv", "train.json"]


def test_the_record_names_the_device_and_no_deterministic_reaches_tensorflow(audio, label_file, tmp_path, stand_in,
                                                                            op_determinism_kept):
    from tensorflow.python.framework.config import is_op_determinism_enabled

    output = tmp_path / "train.csv"
    result = run([audio, *SEED_FLAGS, "-lf", label_file, "-o", output, "-np", 1, "--no-deterministic"])
    assert result.exit_code == 0, result.output
    assert "CPU only: no GPU visible" in result.output.splitlines()
    assert not is_op_determinism_enabled()
    record = json.loads((tmp_path / "train.json").read_text())
    assert record["options"]["deterministic"] is False
    assert record["computing_on"] == {"summary": "CPU only: no GPU visible", "gpus": [], "gpu_indices": [],
                                      "visible_gpus": 0}


def test_without_a_label_file_every_audio_file_is_extracted(audio, tmp_path, stand_in):
    output = tmp_path / "all.csv"
    result = run([audio, "-t", 1, 1, "-nl", "-o", output, "-np", 1])
    assert result.exit_code == 0, result.output
    rows = [tuple(line.split(",")[:2]) for line in output.read_text().splitlines()[1:]]
    assert rows == ([("48/948.wav", str(second)) for second in range(29)] + [("49/1049.flac", str(second)) for second in range(5)]
                    + [("50/1050.wav", "0"), ("51/unlisted.wav", "0"), ("51/unlisted.wav", "1")])


def test_both_renderers_give_the_same_csv(audio, tmp_path, stand_in):
    (audio / "48" / "948.wav").unlink()
    (audio / "49" / "1049.flac").unlink()
    outputs = {renderer: tmp_path / f"{renderer}.csv" for renderer in ("numpy", "matplotlib")}
    for renderer, output in outputs.items():
        result = run([audio, "-t", 1, 1, "-cm", "magma", "-nl", "-o", output, "--renderer", renderer, "-np", 1])
        assert result.exit_code == 0, result.output
    assert outputs["numpy"].read_bytes() == outputs["matplotlib"].read_bytes()
    assert outputs["numpy"].read_text().count("\n") == 1 + 1 + 2  # header, 1 s track, 2 s track


def signals(seconds, rate):
    time_s = np.arange(round(seconds * rate)) / rate
    return {
        "sine": 0.5 * np.sin(2 * np.pi * 440 * time_s),
        "chirp": 0.5 * np.sin(2 * np.pi * (100 * time_s + (rate / 2 - 100) / (2 * seconds) * time_s**2)),
        "noise": np.random.default_rng(0).uniform(-0.5, 0.5, time_s.size),
        "silence": np.zeros(time_s.size),
    }


@pytest.mark.parametrize("seconds, rate", [(1, 44100), (5, 22050)])
def test_numpy_renderer_draws_matplotlibs_picture(seconds, rate):
    colours = colour_table("magma")
    for name, signal in signals(seconds, rate).items():
        db = mel_db(signal.astype(np.float32), rate, 128)
        reference = render_matplotlib(db, rate, "magma")
        painted = render_numpy(db, rate, colours)
        assert painted.shape == reference.shape == (IMAGE_SIZE_PX, IMAGE_SIZE_PX, 3)
        assert np.mean(np.all(painted == reference, axis=-1)) >= 0.99, name
        assert np.abs(painted.astype(int) - reference).max() <= 2, name


def brightest_row(image):
    return int(np.argmax(image.astype(int).sum(axis=(1, 2))))


def test_picture_puts_high_frequencies_at_the_top_and_silence_in_the_lowest_colour():
    colours = colour_table("magma")
    time_s = np.arange(RATE_HZ) / RATE_HZ
    low, high = (render_numpy(mel_db(np.sin(2 * np.pi * hz * time_s).astype(np.float32), RATE_HZ, 128), RATE_HZ, colours)
                 for hz in (200, 15000))
    assert brightest_row(high) < IMAGE_SIZE_PX // 4 < IMAGE_SIZE_PX * 3 // 4 < brightest_row(low)
    silence = render_numpy(mel_db(np.zeros(RATE_HZ, np.float32), RATE_HZ, 128), RATE_HZ, colours)
    assert np.all(silence == colours[0])
    assert resize_for_network(high, "bicubic").shape == (NETWORK_SIZE_PX, NETWORK_SIZE_PX, 3)
    assert not np.array_equal(resize_for_network(high, "bicubic"), resize_for_network(high, "nearest"))


def test_mel_spectrogram_is_librosas():
    import librosa
    import scipy.signal

    from augli.spectrogram_image import _hann, _mel_filters, mel_frequencies

    for rate, n_fft in [(44100, 2048), (22050, 1024), (16000, 512)]:
        assert np.array_equal(_hann(n_fft), scipy.signal.get_window("hann", n_fft, fftbins=True))
        assert np.array_equal(_mel_filters(rate, n_fft, 128), librosa.filters.mel(sr=rate, n_fft=n_fft, n_mels=128))
        assert np.array_equal(mel_frequencies(128, rate / 2), librosa.mel_frequencies(128, fmin=0.0, fmax=rate / 2))
    chunk = signals(1, RATE_HZ)["chirp"].astype(np.float32)
    spectrum = librosa.stft(chunk, n_fft=2048, hop_length=1024, center=False)
    mel = librosa.feature.melspectrogram(S=np.abs(spectrum) ** 2, sr=RATE_HZ, n_mels=128)
    expected = librosa.power_to_db(mel, ref=np.max, top_db=None)
    db = mel_db(chunk, RATE_HZ, 128)
    assert db.shape == (128, 42) and abs(db.max()) < 1e-5  # 0 dB at the chunk's maximum
    np.testing.assert_allclose(db, expected, atol=1e-3)


def test_vgg16_takes_keras2_legacy_weights_and_gives_fc2(tmp_path):
    from augli.vgg16 import load_vgg16

    rng = np.random.default_rng(3)
    kernel = rng.standard_normal((3, 3, 3, 64)).astype(np.float32)
    fc2_bias = rng.standard_normal(4096).astype(np.float32)
    path = tmp_path / "vgg16_weights_tf_dim_ordering_tf_kernels.h5"
    write_legacy_vgg16_weights(path, kernel, fc2_bias)
    assert path.stat().st_size < 1 << 20

    network = load_vgg16(str(path), "fc2")

    np.testing.assert_array_equal(network.model.get_layer("block1_conv1").kernel.numpy(), kernel)
    # Every other weight is zero, so fc2's output is relu(its bias): the features are fc2's, 4096 wide.
    assert network.width == 4096
    np.testing.assert_array_equal(network(np.zeros((1, 224, 224, 3), np.uint8)), np.maximum(fc2_bias, 0)[None])
    assert network.weights == {"weights": str(path), "file": str(path.resolve()),
                               "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}

    truncated = tmp_path / "truncated.h5"
    write_legacy_vgg16_weights(truncated, kernel, fc2_bias, layers=VGG16_LAYERS[-3:])
    with pytest.raises(AugliError, match=f"cannot load VGG16 weights from {truncated}: .*Layer count mismatch"):
        load_vgg16(str(truncated), "fc2")


def test_missing_imagenet_weights_name_the_file_and_the_cache_folder(tmp_path, monkeypatch):
    import keras

    from augli.vgg16 import load_vgg16

    def offline(*arguments, **keywords):
        raise Exception("URL fetch failure on https://storage.googleapis.com/...: None -- no network")

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras-home"))
    monkeypatch.setattr(keras.utils, "get_file", offline)
    with pytest.raises(AugliError, match=(r"cannot fetch the ImageNet weights \(URL fetch failure.*\): download "
                                          f"vgg16_weights_tf_dim_ordering_tf_kernels.h5 into {tmp_path / 'keras-home' / 'models'}")):
        load_vgg16("imagenet", "fc2")


def write_training_split(folder, names):
    """(LABEL_DIR with autotagging_moodtheme-train.tsv listing `names`, DeepSpectrum's label file of it)."""
    split_dir = folder / "split"
    split_dir.mkdir()
    (split_dir / "autotagging_moodtheme-train.tsv").write_text(
        "\t".join(TSV_COLUMNS) + "\n" + "".join(f"{i}\tartist\talbum\t{name}\t30.0\tmood/theme---calm\tmood/theme---sad\n"
                                                for i, name in enumerate(names)))
    labels = folder / "train-labels.csv"
    labels.write_text(label_csv(read_split(split_dir / "autotagging_moodtheme-train.tsv")))
    return split_dir, labels


def test_real_vgg16_csv_goes_through_transform_features_into_npz(audio, tmp_path):
    names = ["48/948.wav", "49/1049.flac"]
    split_dir, labels = write_training_split(tmp_path, names)
    features = tmp_path / "features"

    # -e 5: every track gives one 5 s window, as transform_features needs the same count for all.
    result = run([audio, "-t", 5, 5, "-e", 5, "-en", "vgg16", "-cm", "magma", "-nl", "-lf", labels,
                  "-o", features / "train.csv", "--weights", "none", "-np", 1])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(transform_features.main, [str(features), str(split_dir), "--splits", "train"])
    assert result.exit_code == 0, result.output

    npz = np.load(features / "train.npz")
    assert npz["X"].shape == (2, 1, 4096) and npz["X"].dtype == np.float32
    assert list(npz["names"]) == names and npz["y"].tolist() == [[1, 1], [1, 1]]
    rows = list(csv.reader((features / "train.csv").read_text().splitlines()))
    np.testing.assert_array_equal(npz["X"][:, 0], np.array([row[2:] for row in rows[1:]], dtype=np.float32))
    assert npz["X"].min() >= 0 and npz["X"].max() > 0  # ReLU activations
    # The extraction's provenance travels into the npz.
    record = json.loads((features / "train.json").read_text())
    assert load_sequences(features / "train.npz").extraction == record
    assert record["options"]["window_size_and_hop"] == ["5", "5"] and record["network"]["seed"] == 42


def test_shards_are_array_split_slices_in_order():
    for length in range(8):
        for count in range(1, 5):
            slices = [list(range(length))[shard_slice(length, Shard(index, count))] for index in range(1, count + 1)]
            assert slices == [list(part) for part in np.array_split(np.arange(length), count)]
            assert sum(slices, []) == list(range(length))  # disjoint, in order, together everything
            assert max(map(len, slices)) - min(map(len, slices)) <= 1
    assert [len(take_shard(list(range(10)), Shard(index, 4))) for index in range(1, 5)] == [3, 3, 2, 2]
    assert take_shard([1, 2], None) == [1, 2]
    with pytest.raises(AugliError, match="--shard 4/4: 3 track"):
        take_shard([1, 2, 3], Shard(4, 4))
    assert parse_shard("2/3") == Shard(2, 3) and str(Shard(2, 3)) == "2/3"
    for bad in ("0/2", "3/2", "1/0", "2", "a/2", "-1/2", "1/2/3", ""):
        with pytest.raises(ValueError):
            parse_shard(bad)


def test_three_shards_transform_to_the_unsharded_npz(audio, tmp_path, monkeypatch):
    names = sorted(TRACKS) + ["51/unlisted.wav"]
    split_dir, labels = write_training_split(tmp_path, names)
    features = tmp_path / "features"
    monkeypatch.setattr(deepspectrum, "load_network", functools.cache(deepspectrum.load_network))  # one VGG16 for all runs

    def extract(output, *shard):
        # -bs 1: on CPU a picture's fc2 values can change in the last bit with the batch it shares.
        result = run([audio, "-t", 5, 5, "-e", 5, "-cm", "magma", "-nl", "-lf", labels, "-o", output, "--weights", "none",
                      "-np", 1, "-bs", 1, *shard])
        assert result.exit_code == 0, result.output
        return output.read_text().splitlines()

    def transform():
        result = CliRunner().invoke(transform_features.main, [str(features), str(split_dir), "--splits", "train"])
        assert result.exit_code == 0, result.output
        return (features / "train.npz").read_bytes()

    unsharded_rows = extract(features / "train.csv")
    unsharded_npz = transform()
    for path in ("train.csv", "train.json", "train.npz"):
        (features / path).unlink()
    shard_rows = [extract(features / f"train-{index}-of-3.csv", "--shard", f"{index}/3") for index in (1, 2, 3)]

    assert [[row.split(",")[0] for row in rows[1:]] for rows in shard_rows] == [names[:2], names[2:3], names[3:]]
    assert [row for rows in shard_rows for row in rows[1:]] == unsharded_rows[1:]
    assert json.loads((features / "train-2-of-3.json").read_text())["options"]["shard"] == "2/3"
    assert transform() == unsharded_npz  # the merged extraction record included

    (features / "train-2-of-3.csv").unlink()
    result = CliRunner().invoke(transform_features.main, [str(features), str(split_dir), "--splits", "train"])
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == (f"Error: missing shard {features / 'train-2-of-3.csv'}: "
                                              "all 3 shards of train are needed")


def test_resume_finishes_an_interrupted_run_as_if_uninterrupted(audio, label_file, tmp_path, monkeypatch):
    def command(output, colour_map="magma"):
        return [audio, "-t", 1, 1, "-nl", "-cm", colour_map, "-lf", label_file, "-bs", 1, "-o", output]

    networks = []

    def stand_in(fail_after_calls=None):
        networks.append(StandInNetwork(fail_after_calls))
        monkeypatch.setattr(deepspectrum, "load_network", lambda weights, layer: networks[-1])

    stand_in()
    assert run([*command(tmp_path / "whole.csv"), "-np", 1]).exit_code == 0

    output, partial = tmp_path / "resumed.csv", tmp_path / "resumed.csv.part"
    stand_in(fail_after_calls=29 + 5)  # interrupted on the third track's picture
    interrupted = run([*command(output), "-np", 1])
    assert interrupted.exit_code != 0 and not output.exists()
    assert [line.split(",")[0] for line in partial.read_text().splitlines()[1:]] == ["48/948.wav"] * 29 + ["49/1049.flac"] * 5

    refused = run([*command(output), "-np", 1])
    assert refused.exit_code == 1 and "pass --overwrite to replace or --resume to continue" in refused.output
    changed = run([*command(output, colour_map="viridis"), "--resume"])
    assert changed.exit_code == 1 and "cannot resume: colour_map is 'viridis' now but 'magma'" in changed.output

    stand_in()
    resumed = run([*command(output), "--resume", "-np", 2])  # worker processes this time
    assert resumed.exit_code == 0, resumed.output
    assert "wrote 35 rows of 3 tracks" in resumed.output
    assert networks[-1].calls == 5 + 1  # the first track was kept; the last one written is redone
    assert output.read_bytes() == (tmp_path / "whole.csv").read_bytes()
    assert not partial.exists() and not (tmp_path / "resumed.json.part").exists()
    assert '"resume": true' in (tmp_path / "resumed.json").read_text()


def test_an_interrupted_shard_resumes_as_the_same_shard_only(audio, label_file, tmp_path, monkeypatch):
    output = tmp_path / "train-1-of-2.csv"
    command = [audio, *SEED_FLAGS, "-lf", label_file, "-o", output, "-np", 1, "-bs", 1]
    monkeypatch.setattr(deepspectrum, "load_network", lambda weights, layer: StandInNetwork(fail_after_calls=5))
    assert run([*command, "--shard", "1/2"]).exit_code != 0  # interrupted on the second track of the shard
    partial = tmp_path / "train-1-of-2.csv.part"
    assert [line.split(",")[0] for line in partial.read_text().splitlines()[1:]] == ["48/948.wav"] * 5

    refused = run([*command, "--shard", "2/2", "--resume"])
    assert refused.exit_code == 1 and "cannot resume: shard is '2/2' now but '1/2'" in refused.output
    monkeypatch.setattr(deepspectrum, "load_network", lambda weights, layer: StandInNetwork())
    resumed = run([*command, "--shard", "1/2", "--resume"])
    assert resumed.exit_code == 0, resumed.output
    assert "wrote 6 rows of 2 tracks" in resumed.output
    assert [line.split(",")[0] for line in output.read_text().splitlines()[1:]] == ["48/948.wav"] * 5 + ["49/1049.flac"]


def test_unreadable_audio_stops_the_run_unless_skipped(audio, label_file, tmp_path, stand_in):
    (audio / "49" / "1049.flac").write_bytes(b"not audio at all")
    output = tmp_path / "out.csv"

    result = run([audio, *SEED_FLAGS, "-lf", label_file, "-o", output, "-np", 1])
    assert result.exit_code == 1
    assert f"Error: {audio / '49' / '1049.flac'} is not a readable audio file" in result.output
    assert result.output.rstrip().endswith("(--skip-bad skips such files)")
    assert not output.exists() and "Traceback" not in result.output

    result = run([audio, *SEED_FLAGS, "-lf", label_file, "-o", output, "-np", 1, "--overwrite", "--skip-bad"])
    assert result.exit_code == 0, result.output
    assert f"SKIPPED 49/1049.flac: {audio / '49' / '1049.flac'} is not a readable audio file" in result.output
    assert "wrote 6 rows of 2 tracks" in result.output
    assert "49/1049.flac" not in output.read_text()


def test_audio_shorter_than_one_fft_window_is_refused(audio, label_file, tmp_path, stand_in):
    write_audio(audio / "50" / "1050.wav", 0.02)  # 882 samples; nfft is 2048 at 44.1 kHz
    result = run([audio, *SEED_FLAGS, "-lf", label_file, "-o", tmp_path / "out.csv", "-np", 1])
    assert result.exit_code == 1
    assert (f"Error: {audio / '50' / '1050.wav'} holds 882 samples from -s 0 on, fewer than one FFT window "
            "(2048 samples at 44100 Hz): DeepSpectrum wrote no row for it") in result.output


@pytest.mark.parametrize("case, message", [
    ("missing files", "2 of the 5 files listed in {labels} are not below {audio}: 60/1.mp3, 61/2.mp3"),
    ("output is a folder", "output {tmp}/out is a folder; name the CSV file to write"),
    ("output folder is a file", "cannot create the output folder {tmp}/file/sub"),
    ("not csv", "output {tmp}/out.arff must be a .csv file"),
    ("no -nl", "pass -nl: only feature CSVs without label columns are written"),
    ("unknown colour map", "-cm 'magmaa' is not a matplotlib colour map"),
    ("nothing to resume", "nothing to resume: {tmp}/out.csv.part and {tmp}/out.json.part must both exist"),
    ("more shards than tracks", "--shard 4/4: 3 track(s) cannot be split into 4 shards"),
])
def test_bad_input_is_one_line_and_writes_nothing(audio, label_file, tmp_path, stand_in, case, message):
    labels, output, flags = label_file, tmp_path / "out.csv", list(SEED_FLAGS)
    if case == "missing files":
        labels = tmp_path / "more-labels.csv"
        labels.write_text(label_file.read_text() + "60/1.mp3,calm\n61/2.mp3,calm\n")
    elif case == "output is a folder":
        output = tmp_path / "out"
        output.mkdir()
    elif case == "output folder is a file":
        (tmp_path / "file").write_text("")
        output = tmp_path / "file" / "sub" / "out.csv"
    elif case == "not csv":
        output = tmp_path / "out.arff"
    elif case == "no -nl":
        flags.remove("-nl")
    elif case == "unknown colour map":
        flags[flags.index("magma")] = "magmaa"
    elif case == "nothing to resume":
        flags.append("--resume")
    elif case == "more shards than tracks":
        flags += ["--shard", "4/4"]
    before = sorted(tmp_path.rglob("*"))

    result = run([audio, *flags, "-lf", labels, "-o", output, "-np", 1])

    assert result.exit_code == 1
    assert result.output.startswith("Error: " + message.format(labels=labels, audio=audio, tmp=tmp_path))
    assert len(result.output.strip().splitlines()) == 1
    assert sorted(tmp_path.rglob("*")) == before and stand_in.calls == 0


def test_options_are_checked_before_anything_runs(audio, tmp_path):
    result = run([audio, "-t", 5, 0, "-nl", "-o", tmp_path / "out.csv"])
    assert result.exit_code == 2 and "'0' must be more than zero" in result.output
    result = run([audio, "-t", 5, 5, "-nl", "-o", tmp_path / "out.csv", "--weights", tmp_path / "missing.h5"])
    assert result.exit_code == 2 and "is neither 'imagenet', 'none' nor a weights file" in result.output
    result = run([audio, "-t", 5, 5, "-en", "resnet50", "-nl", "-o", tmp_path / "out.csv"])
    assert result.exit_code == 2
    result = run([audio, "-t", 5, 5, "-nl", "-o", tmp_path / "out.csv", "--shard", "3/2"])
    assert result.exit_code == 2 and "Invalid value for '--shard': '3/2': K must be between 1 and N" in result.output


def test_help_starts_no_tensorflow():
    probe = ("import sys; from click.testing import CliRunner; import deepspectrum_features; "
             "result = CliRunner().invoke(deepspectrum_features.main, ['--help']); "
             "print(result.exit_code, 'tensorflow' in sys.modules, 'keras' in sys.modules)")
    completed = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True)
    assert completed.stdout.split() == ["0", "False", "False"]
