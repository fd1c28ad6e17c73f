"""train_rnn.py's own part of training: batches of DeepSpectrum window sequences, and the run end to end."""

import math

import tensorflow as tf

from augli.devices import announce
from augli.distribution import adapt_to_strategy, distributed_run, worker_root
from augli.experiment import check_same_options, clear_outputs, prepare, write_config
from augli.models import compile_tagger, sequence_tagger
from augli.sequences import load_splits
from augli.training import ValidationMonitor, evaluation_truth, fit, predict_and_write, resume_run, set_seeds


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

    indices = tf.data.Dataset.range(first_epoch, epochs).flat_map(epoch_batches)
    return gathered_rows((X, y), indices), math.ceil(n_tracks / batch_size)


def gathered_rows(arrays, index_batches):
    """For each index vector of the dataset `index_batches`, those rows of every numpy array in `arrays`.

    numpy gathers the rows inside the pipeline, so an array (a memory map of the npz, typically) is
    never copied whole into TensorFlow, as `Dataset.from_tensors` or Keras' `fit`/`predict` of numpy
    arrays would do.
    """
    def gather(indices):
        return tuple(array[indices] for array in arrays)

    def gather_in_pipeline(indices):
        rows = tf.numpy_function(gather, [indices], [tf.as_dtype(array.dtype) for array in arrays], stateful=False)
        for batch, array in zip(rows, arrays):
            batch.set_shape((None, *array.shape[1:]))
        return tuple(rows)

    return index_batches.map(gather_in_pipeline, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


def sequence_predictor(X, batch_size):
    """Tag scores of the model for sequences `X`, predicted in batches fed from `X` in order."""
    batches = gathered_rows((X,), tf.data.Dataset.range(len(X)).batch(batch_size))
    return lambda model: model.predict(batches, verbose=0)


def input_pipeline(train, validation, test, options):
    """What config.json records so that a later tool can rebuild the inputs: each split's extraction record
    (None for an npz made without one) and the batch size the scores were predicted in.
    """
    return {
        "features": {"train": train.extraction, "validation": validation.extraction, "test": test.extraction},
        "n_features": train.n_features,
        "prediction_batch_size": options["batch_size"],
    }


def train_sequence_tagger(options):
    """train_rnn.py end to end; `options` are the script's resolved options (recorded in config.json)."""
    with distributed_run(options["distribute"], options["devices"],
                         options["mixed_precision"]) as (strategy, distribution):
        experiment = prepare(worker_root(options["experiment_base_path"], strategy), options["overwrite"],
                             options["resume"])
        train, validation, test = load_splits(options["train_npz"], options["val_npz"], options["test_npz"])
        groundtruth = evaluation_truth(options["media_eval_path"], test.names, test.y, test.tags, test.path)
        announce(distribution["computing_on"])
        if options["resume"]:
            check_same_options(experiment, options)
        else:
            clear_outputs(experiment)
            write_config(experiment, options, options["seed"], input_pipeline(train, validation, test, options),
                         distribution)
        set_seeds(options["seed"], options["deterministic"])
        epochs, batch_size = options["epochs"], options["batch_size"]
        monitor = ValidationMonitor(sequence_predictor(validation.X, batch_size), validation.y, epochs)
        if options["resume"]:
            model, first_epoch = resume_run(experiment, monitor, epochs)
        else:
            model = sequence_tagger(train.n_features, len(train.tags), options["rnn_type"], options["rnn_units"],
                                    options["rnn_layers"], options["rnn_dropout"], options["dropout_final"],
                                    recurrent_activation=options["recurrent_activation"])
            compile_tagger(model, options["learning_rate"], options["optimizer"])
            first_epoch = 0
        adapt_to_strategy(model, strategy)
        if first_epoch < epochs:
            batches, steps = shuffled_batches(train.X, train.y, batch_size, options["seed"], first_epoch, epochs)
            fit(model, batches, steps, monitor, experiment, epochs, options["seed"], first_epoch,
                verbose=0 if options["quiet"] else "auto")
        predict_and_write(model, experiment, monitor, sequence_predictor(test.X, batch_size),
                          sequence_predictor(validation.X, batch_size), train.tags, groundtruth)
