"""crnn.py's own part of training: wav crops as training batches and as predictors, the two phases, and the
run end to end. The rest (model selection, checkpoints, resume, outputs) is `augli.training`'s.

Schedule (the original's): phase 1 trains the head on a frozen, pretrained VGGish at -lr for
`epochs - round(ftp x epochs)` epochs; phase 2 reloads the best weights, makes VGGish trainable and
goes on with a fresh RMSprop at -lr / 10 up to -e epochs. The best epoch is chosen over both phases.
"""

import weakref
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import tensorflow as tf
from tqdm import tqdm

from augli import frontend
from augli.audio import SAMPLE_RATE_HZ
from augli.checksums import sha256_of
from augli.clips import find_wavs, load_batch, middle_crop, training_crops, window_crops, window_samples
from augli.data import binarize, read_split, tags_of
from augli.errors import AugliError
from augli.devices import announce
from augli.distribution import adapt_to_strategy, distributed_run, worker_root
from augli.experiment import check_same_options, clear_outputs, prepare, write_config
from augli.keras2 import debiasing_state_kept
from augli.metrics import check_scorable
from augli.models import VGGISH_LAYER, compile_tagger, crnn_tagger
from augli.params import FINE_TUNE_LEARNING_RATE_DIVISOR
from augli.training import (ValidationMonitor, evaluation_truth, fit, load_best_weights, predict_and_write,
                            resume_run, set_seeds)
from augli.workers import batched, prefetched
from vggish.weights import load_weights, resolve_weights


@dataclass(frozen=True)
class Split:
    source: Path  # the TSV
    paths: list  # the tracks' PATHs, TSV order
    wavs: list
    y: np.ndarray  # tracks x tags, float32 0/1


def read_splits(options, wav_dir, quiet):
    """The three splits with their checked wavs, labelled with the training split's (sorted) tags."""
    sources = {"train": options["train_csv"], "validation": options["val_csv"], "test": options["test_csv"]}
    tracks = {name: read_split(path) for name, path in sources.items()}
    tags = tags_of(tracks["train"])
    labels = {name: binarize(tracks[name], tags, sources[name]).astype(np.float32) for name in sources}
    check_scorable(labels["validation"], sources["validation"])
    splits = {name: Split(Path(sources[name]), [track.path for track in tracks[name]],
                          find_wavs(tracks[name], wav_dir, options["n_workers"], sources[name], quiet), labels[name])
              for name in sources}
    return splits, tags


def training_batches(split, options, first_epoch, end_epoch):
    """Training batches for epochs `first_epoch`..`end_epoch - 1` as a tf.data pipeline, and batches per epoch.

    As the original's generator: floor(tracks / batch) batches per epoch, so the last, incomplete
    batch of each epoch's shuffle is left out (a few tracks would make odd batch statistics).
    Every batch is padded to the full window, so TensorFlow knows the input length when it builds
    the training step (a graph for any length runs about 30% slower on CPU).
    """
    batch_size, length = options["batch_size"], window_samples(options["window"])
    steps = len(split.wavs) // batch_size

    def jobs():
        for epoch in range(first_epoch, end_epoch):
            order, crops = training_crops(split.wavs, options["window"], options["seed"], epoch,
                                          options["time_stretch"], options["pitch_shift"])
            for start in range(0, steps * batch_size, batch_size):
                rows = slice(start, start + batch_size)
                yield crops[rows], split.y[order[rows]]

    def load(job):
        crops, labels = job
        return load_batch(crops, length), labels

    signature = (tf.TensorSpec((None, length), tf.float32), tf.TensorSpec((None, split.y.shape[1]), tf.float32))
    batches = tf.data.Dataset.from_generator(lambda: prefetched(jobs(), load, options["n_workers"]),
                                             output_signature=signature)
    return batches.prefetch(1), steps


_SCORERS = weakref.WeakKeyDictionary()


def batch_scorer(model):
    """The model's scores of a batch of crops, computed on one device, traced once per model.

    Under a strategy with several replicas, Keras' `predict_on_batch` would hand each replica the
    whole batch and return their copies one after the other; a batch of crops is scored whole.
    """
    if model not in _SCORERS:
        network = weakref.ref(model)
        _SCORERS[model] = tf.function(lambda batch: network()(batch, training=False), reduce_retracing=True)
    return _SCORERS[model]


def crop_predictor(crops_per_track, batch_size, workers, description, quiet):
    """Tag scores per track: the model on each track's crops, in batches of `batch_size` crops read from disk,
    averaged over a track's crops. Crops are read again for every call, so memory does not grow with the audio.
    """
    crops = [crop for crops in crops_per_track for crop in crops]
    owners = np.repeat(np.arange(len(crops_per_track)), [len(crops) for crops in crops_per_track])
    batches = batched(crops, batch_size)

    def predict(model):
        loaded = prefetched(batches, load_batch, workers)
        score = batch_scorer(model)
        scores = np.concatenate([score(batch).numpy() for batch in
                                 tqdm(loaded, total=len(batches), desc=description, unit="batch", disable=quiet,
                                      leave=False)])
        sums = np.zeros((len(crops_per_track), scores.shape[1]), dtype=np.float64)
        np.add.at(sums, owners, scores)
        return (sums / np.bincount(owners)[:, None]).astype(np.float32)

    return predict


def middle_crops(split, window):
    return [[middle_crop(wav, window)] for wav in split.wavs]


def test_crops(split, window, rule):
    """`middle`: the original's one crop per track; `all`: every whole window, scores averaged."""
    if rule == "all":
        return [window_crops(wav, window) for wav in split.wavs]
    return middle_crops(split, window)


def noise_std(random_noise, seed):
    """The Gaussian noise's standard deviation, drawn once from U(0, -rn) as kapre's AdditiveNoise(random_gain=True)
    drew it when the model was built; with seed 42 and -rn 0.1 it is the original's probable 0.0374540.
    """
    return float(np.random.RandomState(seed).uniform(0, random_noise)) if random_noise > 0 else 0.0


def input_pipeline(options, wav_dir, noise, weights):
    """What config.json records so that a later tool can rebuild the exact inputs from the folder alone."""
    return {
        "audio_dir": str(wav_dir),
        "sample_rate_hz": SAMPLE_RATE_HZ,
        "window_seconds": options["window"],
        "training_crop": "start in whole seconds from [0, max(1, int(duration - window x (1 + time_stretch)))], "
                         "drawn from numpy default_rng((seed, epoch)) with the epoch's shuffle",
        "validation_crop": "middle",
        "validation_batch_size": options["batch_size"],
        "test_crops": options["test_crops"],
        "test_batch_size": options["test_batch_size"],
        "middle_rule": "start at duration / 2 if duration / 2 > window, else at 0",
        "padding": "zeros in front: training batches to the window, validation and test batches to their longest clip",
        "front_end": frontend.record(),
        "noise_std": noise,
        "vggish_weights": None if weights is None else str(weights.resolve()),
        "vggish_weights_sha256": None if weights is None else sha256_of(weights),
    }


def start_fine_tuning(model, experiment, monitor, learning_rate, optimizer):
    """Phase 2: the best weights so far (if phase 1 ran), VGGish trainable, a fresh RMSprop at `learning_rate`.

    The BatchNormalization layers' hidden state goes on from the last step, as in Keras 2, whose weight
    files did not hold it.
    """
    if monitor.best_epoch is not None:
        with debiasing_state_kept(model):
            load_best_weights(model, experiment)
    model.get_layer(VGGISH_LAYER).trainable = True
    compile_tagger(model, learning_rate, optimizer)


def train_crnn(options):
    """crnn.py end to end; `options` are the script's resolved options (recorded in config.json)."""
    with distributed_run(options["distribute"], options["devices"],
                         options["mixed_precision"]) as (strategy, distribution):
        experiment = prepare(worker_root(options["experiment_base_path"], strategy), options["overwrite"],
                             options["resume"])
        weights = None if options["resume"] else resolve_weights(options["vggish_weights"])
        quiet = options["quiet"]
        wav_dir = options["audio_dir"] or Path(options["media_eval_path"]) / "wav"
        splits, tags = read_splits(options, wav_dir, quiet)
        train, validation, test = splits["train"], splits["validation"], splits["test"]
        if len(train.wavs) < options["batch_size"]:
            raise AugliError(f"{train.source} has {len(train.wavs)} tracks, "
                             f"fewer than one batch (-bs {options['batch_size']})")
        groundtruth = evaluation_truth(options["media_eval_path"], test.paths, test.y, tags, test.source)
        announce(distribution["computing_on"])
        set_seeds(options["seed"], options["deterministic"])
        epochs, window, workers = options["epochs"], options["window"], options["n_workers"]
        monitor = ValidationMonitor(crop_predictor(middle_crops(validation, window), options["batch_size"], workers,
                                                   "scoring validation", quiet),
                                    validation.y, epochs, patience=None)
        if options["resume"]:
            check_same_options(experiment, options)
            model, first_epoch = resume_run(experiment, monitor, epochs)
        else:
            noise = noise_std(options["random_noise"], options["seed"])
            model = crnn_tagger(len(tags), options["rnn_type"], options["rnn_units"], options["rnn_layers"],
                                options["rnn_dropout"], options["dropout_final"], noise,
                                None if weights is None else partial(load_weights, path=weights),
                                recurrent_activation=options["recurrent_activation"])
            compile_tagger(model, options["learning_rate"], options["optimizer"])
            clear_outputs(experiment)
            write_config(experiment, options, options["seed"], input_pipeline(options, wav_dir, noise, weights),
                         distribution)
            first_epoch = 0
        adapt_to_strategy(model, strategy)

        def run_epochs(first, end):
            batches, steps = training_batches(train, options, first, end)
            fit(model, batches, steps, monitor, experiment, end, options["seed"], first, verbose=0 if quiet else "auto")

        phase_one_epochs = epochs - round(options["fine_tune_portion"] * epochs)
        if first_epoch < phase_one_epochs:
            run_epochs(first_epoch, phase_one_epochs)
            first_epoch = phase_one_epochs
        if first_epoch < epochs:
            if first_epoch == phase_one_epochs:
                fine_tune_rate = options["learning_rate"] / FINE_TUNE_LEARNING_RATE_DIVISOR
                start_fine_tuning(model, experiment, monitor, fine_tune_rate, options["optimizer"])
            run_epochs(first_epoch, epochs)
        predict_test = crop_predictor(test_crops(test, window, options["test_crops"]), options["test_batch_size"],
                                      workers, "scoring test", quiet)
        predict_and_write(model, experiment, monitor, predict_test, monitor.predict, tags, groundtruth)
