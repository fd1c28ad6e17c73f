"""train_rnn.py's own part of training: batches of DeepSpectrum window sequences, and the run end to end."""

import math

import tensorflow as tf

from augli.experiment import check_same_options, clear_outputs, prepare, write_config
from augli.models import compile_tagger, sequence_tagger
from augli.sequences import load_splits
from augli.training import ValidationMonitor, fit, load_test_groundtruth, predict_and_write, resume_run, set_seeds


def shuffled_batches(X, y, batch_size, seed, first_epoch, epochs):
    """Training batches for epochs `first_epoch`..`epochs - 1` as a tf.data pipeline, and batches per epoch.

    Each epoch's order is a stateless shuffle keyed by (seed, epoch), so it does not depend on how many
    epochs ran before in this process. Batches are gathered from the whole arrays by index, as Keras
    does for `fit(X, y, shuffle=True)`.
    """
    n_tracks = len(X)

    def epoch_batches(epoch):
        order = tf.random.experimental.stateless_shuffle(
            tf.range(n_tracks, dtype=tf.int64), seed=tf.stack([tf.constant(seed, tf.int64), epoch]))
        return tf.data.Dataset.from_tensor_slices(order).batch(batch_size)

    def gather(indices, arrays):
        return tuple(tf.gather(array, indices) for array in arrays)

    indices = tf.data.Dataset.range(first_epoch, epochs).flat_map(epoch_batches)
    arrays = tf.data.Dataset.from_tensors((X, y)).repeat()
    batches = tf.data.Dataset.zip(indices, arrays).map(gather, num_parallel_calls=tf.data.AUTOTUNE)
    # As Keras does: tf.data's static rewrites would serialize the pipeline, arrays included.
    options = tf.data.Options()
    options.experimental_optimization.apply_default_optimizations = False
    return batches.with_options(options).prefetch(tf.data.AUTOTUNE), math.ceil(n_tracks / batch_size)


def sequence_predictor(X, batch_size):
    """Tag scores of the model for sequences `X`, predicted in batches."""
    return lambda model: model.predict(X, batch_size=batch_size, verbose=0)


def train_sequence_tagger(options):
    """train_rnn.py end to end; `options` are the script's resolved options (recorded in config.json)."""
    experiment = prepare(options["experiment_base_path"], options["overwrite"], options["resume"])
    train, validation, test = load_splits(options["train_npz"], options["val_npz"], options["test_npz"])
    groundtruth = load_test_groundtruth(options["media_eval_path"], len(test.X), len(test.tags), test.path)
    if options["resume"]:
        check_same_options(experiment, options)
    else:
        clear_outputs(experiment)
        write_config(experiment, options, options["seed"])
    set_seeds(options["seed"])
    epochs, batch_size = options["epochs"], options["batch_size"]
    monitor = ValidationMonitor(sequence_predictor(validation.X, batch_size), validation.y, epochs)
    if options["resume"]:
        model, first_epoch = resume_run(experiment, monitor, epochs)
    else:
        model = sequence_tagger(train.n_features, len(train.tags), options["rnn_type"], options["rnn_units"],
                                options["rnn_layers"], options["rnn_dropout"], options["dropout_final"])
        compile_tagger(model, options["learning_rate"])
        first_epoch = 0
    if first_epoch < epochs:
        batches, steps_per_epoch = shuffled_batches(train.X, train.y, batch_size, options["seed"], first_epoch, epochs)
        fit(model, batches, steps_per_epoch, monitor, experiment, epochs, options["seed"], first_epoch,
            verbose=0 if options["quiet"] else "auto")
    predict_and_write(model, experiment, monitor, sequence_predictor(test.X, batch_size),
                      sequence_predictor(validation.X, batch_size), train.tags, groundtruth)
