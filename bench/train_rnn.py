"""Training throughput of train_rnn's loop against a bare `model.fit` of the same model on the same arrays.

    python -m bench.train_rnn [--tracks 256] [--validation-tracks 96] [--windows 29] [--width 4096] [--units 256] [--epochs 3] [--repeats 2]

Sides, each on a freshly built model with the same seed:
  bare+val       model.fit(X, y, validation_data=(Xv, yv), shuffle=True), what the original ran
  train_rnn      shuffled_batches + fit with EpochSeeds, ValidationMonitor (full validation set
                 scored, Youden thresholds), RunRecorder (best/last checkpoints, history, state)
                 and TensorBoard, as train_rnn.py runs
First bare+val once without op determinism, then (determinism on, as train_rnn.py runs) the two
sides alternately `--repeats` times, so that load from elsewhere hits both alike; medians reported.
Sequences/s runs from the end of the first epoch (tracing) to the end of the last, so each epoch's
validation, checkpoint writing and callbacks count against its side.
"""

import tempfile
import time
from pathlib import Path

import click
import keras
import numpy as np
import tensorflow as tf

from augli.experiment import Experiment
from augli.models import compile_tagger, sequence_tagger
from augli.sequence_training import sequence_predictor, shuffled_batches
from augli.training import ValidationMonitor, fit
from bench.common import alternate_sides, medians

SEED = 42
N_TAGS = 56
BATCH_SIZE = 32


class EpochClock(keras.callbacks.Callback):
    """Wall time at each epoch end; put last so that the other callbacks' work is inside."""

    def __init__(self):
        super().__init__()
        self.ends = []

    def on_epoch_end(self, epoch, logs=None):
        self.ends.append(time.perf_counter())

    def sequences_per_second(self, n_tracks):
        return n_tracks * (len(self.ends) - 1) / (self.ends[-1] - self.ends[0])


def fake_features(rng, n_tracks, windows, width):
    """ReLU-like fc2 activations and 56 sparse tags, about 2 per track as in MTG-Jamendo."""
    X = fake_activations(rng, n_tracks, windows, width)
    return X, fake_tags(rng, n_tracks)


def fake_activations(rng, n_tracks, windows, width):
    return np.maximum(rng.normal(size=(n_tracks, windows, width)), 0).astype(np.float32)


def fake_tags(rng, n_tracks):
    y = (rng.random((n_tracks, N_TAGS)) < 0.035).astype(np.float32)
    y[0] = 1  # every tag has a positive, so validation ROC-AUC is defined
    return y


def fresh_model(width, units):
    keras.utils.set_random_seed(SEED)
    model = sequence_tagger(width, N_TAGS, "gru", units, layers=2, rnn_dropout=0.4, final_dropout=0.4)
    compile_tagger(model, 0.001)
    return model


@click.command()
@click.option("--tracks", type=click.IntRange(min=BATCH_SIZE), default=256, show_default=True)
@click.option("--validation-tracks", type=click.IntRange(min=2), default=96, show_default=True)
@click.option("--windows", type=click.IntRange(min=1), default=29, show_default=True, help="29 = the 1 s features")
@click.option("--width", type=click.IntRange(min=1), default=4096, show_default=True)
@click.option("--units", type=click.IntRange(min=1), default=256, show_default=True,
              help="RNN units (the paper: 1024; smaller keeps a CPU run to minutes)")
@click.option("--epochs", type=click.IntRange(min=2), default=3, show_default=True)
@click.option("--repeats", type=click.IntRange(min=1), default=2, show_default=True)
def main(tracks, validation_tracks, windows, width, units, epochs, repeats):
    rng = np.random.default_rng(SEED)
    X, y = fake_features(rng, tracks, windows, width)
    X_validation, y_validation = fake_features(rng, validation_tracks, windows, width)
    click.echo(f"{tracks} training / {validation_tracks} validation sequences of {windows} x {width}, "
               f"GRU 2 x {units} units, batch {BATCH_SIZE}, {epochs} epochs (first one not timed)")

    def bare():
        clock = EpochClock()
        fresh_model(width, units).fit(X, y, batch_size=BATCH_SIZE, epochs=epochs, shuffle=True, verbose=0,
                                      validation_data=(X_validation, y_validation), callbacks=[clock])
        return clock.sequences_per_second(tracks)

    def train_rnn_loop():
        with tempfile.TemporaryDirectory() as folder:
            clock = EpochClock()
            monitor = ValidationMonitor(sequence_predictor(X_validation, BATCH_SIZE), y_validation, epochs)
            batches, steps = shuffled_batches(X, y, BATCH_SIZE, SEED, 0, epochs)
            fit(fresh_model(width, units), batches, steps, monitor, Experiment(Path(folder)), epochs, SEED,
                verbose=0, callbacks=[clock])
            return clock.sequences_per_second(tracks)

    without_determinism = bare()
    click.echo(f"bare+val, no determinism   {without_determinism:8.1f} sequences/s")
    tf.config.experimental.enable_op_determinism()
    rates = alternate_sides({"bare+val": bare, "train_rnn": train_rnn_loop}, repeats, "sequences/s")
    bare_rate, ours = medians(rates).values()
    click.echo(f"median: bare+val {bare_rate:.1f}, train_rnn {ours:.1f} sequences/s")
    click.echo(f"train_rnn / bare+val: {ours / bare_rate:.3f}  (overhead {100 * (1 - ours / bare_rate):+.1f} %)")
    click.echo(f"op determinism, bare+val with / without: {rates['bare+val'][0] / without_determinism:.3f}")


if __name__ == "__main__":
    main()
