"""What every trainer shares: model selection on the full validation set, resumable epoch by epoch, and
the outputs every trainer writes. Each trainer's own input pipeline lives with it
(`augli.sequence_training` for train_rnn.py).

The pieces: `ValidationMonitor` scores the validation set after each epoch and keeps the best epoch;
`RunRecorder` writes the checkpoints, history and resume state; `EpochSeeds` makes each epoch's
dropout a function of (seed, epoch), so that a resumed run repeats exactly what the uninterrupted one
would have done; `predict_and_write` turns the best model into the outputs. Inputs reach the monitor
and `predict_and_write` as *predictors*: callables that take the model and return tracks x tags
scores, so each trainer decides how its validation and test inputs are fed.
"""

import csv
import io
import json
import math
import warnings

import click
import keras
import numpy as np
import tensorflow as tf

from augli.data import official_groundtruth_disagreement
from augli.devices import set_op_determinism
from augli.errors import AugliError
from augli.files import atomic_path, save_npy, write_text
from augli.metrics import decide, evaluate, format_metrics, format_thresholds, macro_auc, youden_thresholds

# The original's EarlyStopping(monitor="val_roc_auc", mode="max", min_delta=0, patience=100).
PATIENCE_EPOCHS = 100
# Keras clips probabilities by this before taking logs in binary cross-entropy.
CROSSENTROPY_EPSILON = 1e-7


def set_seeds(seed, deterministic=True):
    """Seed Python, NumPy, TensorFlow and Keras; TensorFlow's kernels deterministic unless --no-deterministic."""
    keras.utils.set_random_seed(seed)
    set_op_determinism(deterministic)


class EpochSeeds(keras.callbacks.Callback):
    """Reset every random generator of the model (dropout masks) from (seed, epoch, generator) at each epoch start.

    Keras does not save these generators with a model, so without this a resumed run would draw
    different masks from the uninterrupted one.
    """

    def __init__(self, seed):
        super().__init__()
        self.seed = seed

    def on_epoch_begin(self, epoch, logs=None):
        generators = [variable for variable in self.model.non_trainable_variables
                      if variable.path.endswith("seed_generator_state")]
        for index, state in enumerate(generators):
            start = np.random.SeedSequence((self.seed, epoch, index)).generate_state(1)[0]
            state.assign(np.array([start, 0], dtype=state.dtype))


def validation_scores(truth, scores):
    """val_loss, val_roc_auc, val_pr_auc of tag scores; NaN when training has diverged to non-finite scores."""
    if not np.isfinite(scores).all():
        return {"val_loss": math.nan, "val_roc_auc": math.nan, "val_pr_auc": math.nan}
    probabilities = np.clip(scores.astype(np.float64), CROSSENTROPY_EPSILON, 1 - CROSSENTROPY_EPSILON)
    loss = -np.mean(truth * np.log(probabilities) + (1 - truth) * np.log(1 - probabilities))
    roc_auc, pr_auc = macro_auc(truth, scores)
    return {"val_loss": float(loss), "val_roc_auc": roc_auc, "val_pr_auc": pr_auc}


class ValidationMonitor(keras.callbacks.Callback):
    """After each epoch: score the full validation set, add its metrics to the logs, keep the best epoch.

    Best = first maximum of macro ROC-AUC (ties keep the earlier epoch, like ModelCheckpoint), with the
    per-tag Youden thresholds of that epoch's validation scores. Training stops `patience` epochs after
    the best one, like train_rnn's EarlyStopping; `patience=None` never stops early (crnn.py had no
    early stopping). Prints one fixed line per epoch.
    """

    def __init__(self, predict, truth, epochs, patience=PATIENCE_EPOCHS):
        super().__init__()
        self.predict, self.truth = predict, truth
        self.epochs, self.patience = epochs, patience
        self.history = []
        self.best_epoch = None  # 0-based, as Keras counts
        self.best_roc_auc = -math.inf
        self.best_thresholds = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        scores = self.predict(self.model)
        logs.update(validation_scores(self.truth, scores))
        if logs["val_roc_auc"] > self.best_roc_auc:
            self.best_epoch, self.best_roc_auc = epoch, logs["val_roc_auc"]
            self.best_thresholds = youden_thresholds(self.truth, scores)
        self.history.append({"epoch": epoch + 1, **{name: float(value) for name, value in logs.items()}})
        click.echo(self.summary(epoch, logs))
        last_improvement = -1 if self.best_epoch is None else self.best_epoch
        if self.patience is not None and epoch - last_improvement >= self.patience:
            self.model.stop_training = True

    def summary(self, epoch, logs):
        best = "none" if self.best_epoch is None else f"{self.best_roc_auc:.4f} @ {self.best_epoch + 1}"
        return (f"epoch {epoch + 1}/{self.epochs}  loss {logs.get('loss', math.nan):.4f}  "
                f"val_roc_auc {logs['val_roc_auc']:.4f}  val_pr_auc {logs['val_pr_auc']:.4f}  best {best}")

    def state(self):
        thresholds = None if self.best_thresholds is None else [float(value) for value in self.best_thresholds]
        return {"best_epoch": self.best_epoch, "best_roc_auc": self.best_roc_auc,
                "best_thresholds": thresholds, "history": self.history}

    def restore(self, state):
        self.best_epoch, self.best_roc_auc = state["best_epoch"], state["best_roc_auc"]
        thresholds = state["best_thresholds"]
        self.best_thresholds = None if thresholds is None else np.array(thresholds, dtype=np.float64)
        self.history = state["history"]


class RunRecorder(keras.callbacks.Callback):
    """After each epoch (after the monitor): best weights on improvement, last model, history.csv, resume state.

    The resume state is written last, so a run killed in between resumes from the previous complete
    epoch and repeats this one (identically, see EpochSeeds).
    """

    def __init__(self, experiment, monitor):
        super().__init__()
        self.experiment, self.monitor = experiment, monitor

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor.best_epoch == epoch:
            with atomic_path(self.experiment.best_weights) as path:
                self.model.save_weights(path)
        with atomic_path(self.experiment.last_model) as path:
            self.model.save(path)
        write_text(self.experiment.history, history_csv(self.monitor.history))
        state = {"epochs_done": epoch + 1, "stopped": bool(self.model.stop_training), **self.monitor.state()}
        write_text(self.experiment.last_state, json.dumps(state, indent=1) + "\n")


def history_csv(rows):
    """One row per epoch; columns in the order the first epoch logged them."""
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return text.getvalue()


def shared_by_element(dataset):
    """`dataset` with the workers of a multi-worker run each taking their share of every batch (tf.data's DATA
    sharding): a training pipeline made by a generator or from numpy has no files to divide between them.
    """
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options)


def fit(model, train_data, steps_per_epoch, monitor, experiment, epochs, seed, first_epoch=0, verbose="auto",
        callbacks=()):
    """`model.fit` from `first_epoch` with per-epoch seeds, the monitor, the recorder, TensorBoard, then `callbacks`."""
    standard = [EpochSeeds(seed), monitor, RunRecorder(experiment, monitor),
                keras.callbacks.TensorBoard(log_dir=str(experiment.log))]
    model.fit(shared_by_element(train_data), epochs=epochs, initial_epoch=first_epoch, steps_per_epoch=steps_per_epoch,
              callbacks=standard + list(callbacks), verbose=verbose)


def load_last_epoch(experiment):
    """The model (with optimizer state) and resume state written after the last completed epoch."""
    try:
        state = json.loads(experiment.last_state.read_text(encoding="utf-8"))
        model = keras.models.load_model(experiment.last_model)
    except (OSError, ValueError, KeyError) as error:
        raise AugliError(f"cannot resume from {experiment.checkpoints}: {error}") from None
    return model, state


def resume_run(experiment, monitor, epochs):
    """The model after the last completed epoch, the monitor restored, and the first epoch still to run."""
    model, state = load_last_epoch(experiment)
    monitor.restore(state)
    return model, epochs if state["stopped"] else state["epochs_done"]


def evaluation_truth(media_eval_path, test_paths, labels, tags, test_source):
    """The test split's own tags, the ground truth evaluation-on-test.tsv is scored against, checked up front.

    For MediaEval 2019's split the organisers' groundtruth.npy is the same matrix; a difference is reported,
    not hidden, and the test split's tags are used all the same.
    """
    truth = np.asarray(labels).astype(bool)
    without_positives = [tag for tag, positives in zip(tags, truth.sum(axis=0)) if positives == 0]
    if without_positives:
        others = f" (nor {len(without_positives) - 1} other tags)" if len(without_positives) > 1 else ""
        raise AugliError(f"{test_source}: no test track has tag {without_positives[0]!r}{others}, "
                         "so its test ROC-AUC is undefined")
    disagreement = official_groundtruth_disagreement(media_eval_path, test_paths, truth, tags)
    if disagreement is not None:
        click.echo(f"Warning: {disagreement}; evaluating against the tags of {test_source}", err=True)
    return truth


def load_best_weights(model, experiment):
    """The best epoch's weights, without its optimizer state.

    Keras saves the optimizer's variables with the weights; a model whose optimizer has since changed
    (the CRNN's second phase trains more variables) needs none of them, so Keras' warning that it
    skips them says nothing.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer", category=UserWarning)
        model.load_weights(experiment.best_weights)


def predict_and_write(model, experiment, monitor, predict_test, predict_validation, tags, groundtruth):
    """Reload the best epoch, score test and validation, decide with the best epoch's thresholds, write it all
    (with the validation labels the monitor scored against, in `tags`' order)."""
    if monitor.best_epoch is None:
        raise AugliError("no epoch reached a finite validation ROC-AUC (training diverged); no predictions written")
    load_best_weights(model, experiment)
    test_scores = np.asarray(predict_test(model), dtype=np.float32)
    validation_predictions = np.asarray(predict_validation(model), dtype=np.float32)
    decisions = decide(test_scores, monitor.best_thresholds)
    save_npy(experiment.predictions, test_scores)
    save_npy(experiment.decisions, decisions)
    save_npy(experiment.validation_predictions, validation_predictions)
    save_npy(experiment.validation_truth, np.asarray(monitor.truth).astype(bool))
    write_text(experiment.thresholds, format_thresholds(tags, monitor.best_thresholds))
    write_text(experiment.evaluation, format_metrics(evaluate(groundtruth, test_scores, decisions)))
