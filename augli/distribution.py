"""How a run computes: on one device or as data-parallel replicas (tf.distribute), and in which precision.
Which devices they are is `augli.devices`' choice.

Both trainers build, train and score their model inside `distributed_run`. -bs stays the global batch:
Keras splits each batch of the training dataset between the replicas and all-reduces the gradients,
so what pools over the batch must pool over the global one too. BatchNormalization does so once
`adapt_to_strategy` has synchronised it; the CRNN's BandNormalization all-reduces by itself.
With one replica nothing changes: the layers compute exactly what they compute without a strategy.

Every worker of a multi-worker run runs the same code on the same data; only the chief writes into
-ebp, the others into their own `workers/` folder below it (`worker_root`), so each one can reload
the best epoch and resume from its own checkpoints.
"""

import json
import os
from contextlib import contextmanager
from pathlib import Path

import keras
import tensorflow as tf

from augli.devices import take_devices
from augli.errors import AugliError

FLOAT32 = "float32"


def check_tf_config():
    """The cluster of a multi-worker run, from TF_CONFIG; one clear line when it is missing or malformed."""
    text = os.environ.get("TF_CONFIG")
    if not text:
        raise AugliError("--distribute multi-worker needs the TF_CONFIG variable (the cluster's workers and this "
                         "one's task); see docs/distributed.md")
    try:
        config = json.loads(text)
        config["cluster"]["worker"], config["task"]["type"], config["task"]["index"]
    except (ValueError, KeyError, TypeError) as error:
        raise AugliError(f"TF_CONFIG is not a tf.distribute cluster description ({error!r} missing or malformed)") from None


# TensorFlow numbers each strategy's collective operations from the same start, and its runtime keeps
# what it learnt of an operation's number; a second strategy in one process (a notebook, the tests)
# would meet the first one's. TensorFlow's own tests give each strategy its own range, as here.
COLLECTIVE_KEYS_PER_STRATEGY = 100_000


def fresh_collective_keys():
    for strategy in (tf.distribute.MirroredStrategy, tf.distribute.MultiWorkerMirroredStrategy):
        strategy._collective_key_base += COLLECTIVE_KEYS_PER_STRATEGY


def distribution_strategy(mode, devices):
    """The tf.distribute strategy of --distribute and --devices (the default, no strategy, for `none`), and the
    record of the devices it computes on (`augli.devices`)."""
    if mode == "multi-worker":
        check_tf_config()
    names, computing = take_devices(mode, devices)
    if mode == "none":
        return tf.distribute.get_strategy(), computing
    fresh_collective_keys()
    if mode == "mirrored":
        return tf.distribute.MirroredStrategy(devices=names), computing
    return tf.distribute.MultiWorkerMirroredStrategy(), computing


def dtype_policy_name(mixed):
    """float32, or the mixed policy of the devices: float16 compute on GPUs, bfloat16 on CPUs."""
    if not mixed:
        return FLOAT32
    return "mixed_float16" if tf.config.list_logical_devices("GPU") else "mixed_bfloat16"


@contextmanager
def distributed_run(mode, devices, mixed_precision):
    """Build, train and score inside this: the strategy's scope and the dtype policy, restored afterwards.
    Yields the strategy and what config.json records of it (`distribution_record`).

    Keras wraps the optimizer in a LossScaleOptimizer when it compiles a mixed_float16 model.
    """
    strategy, computing = distribution_strategy(mode, devices)
    previous_policy = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(dtype_policy_name(mixed_precision))
    try:
        with strategy.scope():
            yield strategy, distribution_record(strategy, computing)
    finally:
        keras.mixed_precision.set_global_policy(previous_policy)


def is_chief(strategy):
    return strategy.extended.should_checkpoint


def worker_root(root, strategy):
    """Where this process writes: -ebp for the chief (and any single-machine run), else -ebp/workers/TYPE-INDEX."""
    if is_chief(strategy):
        return Path(root)
    resolver = strategy.cluster_resolver
    return Path(root) / "workers" / f"{resolver.task_type}-{resolver.task_id}"


def global_moments(x, axes, replica):
    """Mean and population variance over `axes` (kept, as size 1) of every replica's batch together, and the
    number of values pooled per feature, in one all-reduce.

    The sums are taken in float64, where mean(x**2) - mean(x)**2 loses nothing that float32 keeps
    (in float32 it would lose up to 1e-5 of the decibel values' variance). Pooled values this close
    matter: the unfrozen VGGish's max pools route gradients by float comparisons.
    """
    wide = tf.cast(x, tf.float64)
    sums = tf.stack([tf.reduce_sum(wide, axis=axes, keepdims=True),
                     tf.reduce_sum(tf.square(wide), axis=axes, keepdims=True),
                     tf.reduce_sum(tf.ones_like(wide), axis=axes, keepdims=True)])
    total, total_of_squares, count = tf.unstack(replica.all_reduce(tf.distribute.ReduceOp.SUM, sums))
    mean = total / count
    variance = tf.maximum(total_of_squares / count - tf.square(mean), 0.0)
    return tf.cast(mean, x.dtype), tf.cast(variance, x.dtype), tf.cast(tf.reshape(count, [-1])[0], x.dtype)


def all_layers(layer):
    """`layer` and every layer inside it, nested models and wrappers included."""
    yield layer
    for inner in getattr(layer, "layers", ()):
        yield from all_layers(inner)


def adapt_to_strategy(model, strategy):
    """Ready a built and compiled model (new or resumed, which may be on other devices) for `strategy`.

    Its BatchNormalization layers pool their batch statistics over all replicas, or over the local
    batch when there is one replica (where synchronising would change the float rounding for nothing).
    Under MultiWorkerMirroredStrategy two of Keras 3.13's reductions across workers fail
    (tensorflow/tensorflow#72388): `fit` first reduces a batch to build a model that is built
    already (skipped once the model's own record of the strategy is cleared: Keras then trains under
    the strategy of the scope), and it averages each step's logs over all replicas along an axis
    that a scalar loss lacks (so the logs are given that axis).
    """
    synchronized = strategy.num_replicas_in_sync > 1
    for layer in all_layers(model):
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.synchronized = synchronized
    if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        model._distribute_strategy = None
        model.train_step = logs_with_a_replica_axis(model.train_step)


def logs_with_a_replica_axis(train_step):
    def step(data):
        return {name: tf.reshape(value, [1]) for name, value in train_step(data).items()}

    return step


def local_devices(strategy):
    """The devices this process trains on."""
    if strategy_name(strategy) != "none":
        return list(strategy.extended.worker_devices)
    return [(tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU"))[0].name]


def strategy_name(strategy):
    """The strategy's public name (TensorFlow's class behind MultiWorkerMirroredStrategy has another)."""
    if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return "MultiWorkerMirroredStrategy"
    if isinstance(strategy, tf.distribute.MirroredStrategy):
        return "MirroredStrategy"
    return "none"


def distribution_record(strategy, computing):
    """What config.json records of how the run computed (when it started; a resumed run may use other devices)."""
    return {
        "strategy": strategy_name(strategy),
        "replicas": strategy.num_replicas_in_sync,
        "devices": local_devices(strategy),
        "dtype_policy": keras.mixed_precision.global_policy().name,
        "computing_on": computing,
    }
