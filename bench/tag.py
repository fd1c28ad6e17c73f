"""tag.py's throughput: tracks/s for one CRNN, one DeepSpectrum RNN and the fused set of nine, side by side.

    python -m bench.tag [--tracks 6] [--seconds 30] [--jobs 2]

The models have the paper's sizes (CRNN: 20 s window, 256 units, 2 layers; DeepSpectrum RNN: 1024 units,
2 layers on VGG16 fc2 of 5 s or 1 s windows of the first 29 s) and random weights: the speed does not
depend on what they learned. Their folders are written as the trainers write them (config.json with the
input pipeline, best weights, thresholds, predictions), the DeepSpectrum ones with the record of a real
deepspectrum_features.py run (--weights none). The tracks are 44.1 kHz stereo mp3s, decoded, resampled
and drawn by --jobs worker processes, as tag.py does. Each set tags one track first (tracing), then is
timed on --tracks tracks with the middle crop (the evaluation input); the time includes starting the
workers, as a tag.py run does. Keras is imported only inside functions: the workers start by importing
this module, and TensorFlow in each of them would be timed too.
"""

import json
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import click
import numpy as np
import soundfile
from click.testing import CliRunner

import deepspectrum_features
from augli.experiment import Experiment, write_config
from augli.files import save_npy, write_text
from augli.metrics import format_thresholds
from augli.params import RANDOM_NOISE, RNN_TYPES
from augli.tagging import tag_files
from augli.tagging_models import load_models
from bench.prepare_audio import make_tracks

SEED = 42
TAGS = [f"mood/theme---tag{index:02d}" for index in range(56)]
RATE_HZ = 44100


def write_tracks(folder, tracks, seconds):
    """Stereo 44.1 kHz mp3s of music-like audio."""
    make_tracks(folder, tracks, seconds, SEED)
    return sorted(folder.rglob("*.mp3"), key=lambda path: int(path.stem))


def write_model(folder, network, options, pipeline):
    """A model folder as the trainers leave it."""
    experiment = Experiment(folder)
    write_config(experiment, options, SEED, pipeline)
    experiment.checkpoints.mkdir(parents=True)
    network.save_weights(experiment.best_weights)
    write_text(experiment.thresholds, format_thresholds(TAGS, np.full(len(TAGS), 0.5)))
    save_npy(experiment.predictions, np.zeros((1, len(TAGS)), np.float32))


def head_options(rnn_type, units):
    return {"rnn_type": rnn_type, "rnn_units": units, "rnn_layers": 2, "rnn_dropout": 0.3, "dropout_final": 0.3}


def write_crnn(folder, rnn_type):
    from augli.crnn_training import input_pipeline as crnn_input_pipeline
    from augli.crnn_training import noise_std
    from augli.models import crnn_tagger

    options = {**head_options(rnn_type, 256), "window": 20, "batch_size": 32, "test_crops": "middle",
               "test_batch_size": 1}
    noise = noise_std(RANDOM_NOISE, SEED)
    network = crnn_tagger(len(TAGS), rnn_type, 256, 2, 0.3, 0.3, noise)
    write_model(folder, network, options, crnn_input_pipeline(options, folder, noise, None))


def extraction_record(root, window_s):
    """The record of a real deepspectrum_features.py run with the paper's settings for `window_s` windows."""
    audio = root / f"record-audio-{window_s}"
    audio.mkdir()
    soundfile.write(audio / "a.wav", np.zeros(RATE_HZ * window_s, np.float32) + 0.1, RATE_HZ)
    output = root / f"record-{window_s}" / "features.csv"
    result = CliRunner().invoke(deepspectrum_features.main, [
        str(audio), "-t", str(window_s), str(window_s), "-s", "0", "-e", "29", "-en", "VGG16", "-fl", "fc2",
        "-cm", "magma", "-nl", "--weights", "none", "-np", "1", "-o", str(output)])
    if result.exit_code != 0:
        raise click.ClickException(result.output)
    return json.loads(output.with_suffix(".json").read_text())


def write_deepspectrum(folder, rnn_type, record):
    from augli.models import sequence_tagger
    from augli.sequence_training import input_pipeline as sequence_input_pipeline

    split = SimpleNamespace(extraction=record, n_features=4096)
    options = {**head_options(rnn_type, 1024), "batch_size": 32}
    network = sequence_tagger(4096, len(TAGS), rnn_type, 1024, 2, 0.4, 0.4)
    write_model(folder, network, options, sequence_input_pipeline(split, split, split, options))


def tracks_per_second(folders, tracks, jobs):
    models, vgg16_networks = load_models(folders)
    tag_files(models, vgg16_networks, tracks[:1], None, jobs=jobs, quiet=True)
    start = time.perf_counter()
    tag_files(models, vgg16_networks, tracks, None, jobs=jobs, quiet=True)
    return len(tracks) / (time.perf_counter() - start)


@click.command()
@click.option("--tracks", type=click.IntRange(min=1), default=6, show_default=True)
@click.option("--seconds", type=click.FloatRange(min=1), default=30.0, show_default=True)
@click.option("--jobs", type=click.IntRange(min=1), default=2, show_default=True, help="Decode and draw workers (-np).")
def main(tracks, seconds, jobs):
    with tempfile.TemporaryDirectory() as temp_dir:
        root = Path(temp_dir)
        audio = root / "audio"
        audio.mkdir()
        paths = write_tracks(audio, tracks, seconds)
        base = root / "fusion"
        for rnn_type in RNN_TYPES:
            write_crnn(base / "crnn" / rnn_type, rnn_type)
        for window_s in (1, 5):
            record = extraction_record(root, window_s)
            for rnn_type in RNN_TYPES:
                write_deepspectrum(base / "DeepSpectrum" / f"{window_s}s" / rnn_type, rnn_type, record)
        sets = {"one CRNN (gru)": [base / "crnn" / "gru"],
                "one DeepSpectrum RNN (5s gru)": [base / "DeepSpectrum" / "5s" / "gru"],
                "the fused set (9 models)": [base]}
        rates = {name: tracks_per_second(folders, paths, jobs) for name, folders in sets.items()}
    click.echo(f"{tracks} tracks of {seconds:g} s, 44.1 kHz stereo mp3, -np {jobs}, middle crops")
    slowest = min(rates.values())
    for name, rate in rates.items():
        click.echo(f"{name:<32} {rate:8.3f} tracks/s  ({rate / slowest:5.2f} x the fused set)")


if __name__ == "__main__":
    main()
