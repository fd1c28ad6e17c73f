"""Keras 2's training numerics, where Keras 3 computes otherwise: BatchNormalization's moving statistics,
RMSprop's update and hard_sigmoid. AugLi trained on standalone Keras 2 over TensorFlow 1, so every
model of the project trains with these (the formulas are in the classes' docstrings).

The layer, the optimizer and the activation are registered, so a saved `.keras` model names them
and loads them back, their state included.
"""

from contextlib import contextmanager

import keras
import tensorflow as tf
from keras import ops

from augli.distribution import all_layers, global_moments

SERIALIZATION_PACKAGE = "augli"


@keras.saving.register_keras_serializable(package=SERIALIZATION_PACKAGE)
class Keras2BatchNormalization(keras.layers.BatchNormalization):
    """BatchNormalization whose moving statistics are updated as Keras 2 on TensorFlow 1 updated them.

    In a training step, with n values pooled per feature (the global batch under a synchronised
    strategy) and m the momentum:
        variance' = variance * n / (n - (1 + epsilon))                 (the batch variance, corrected)
        biased   -= (biased - value) * (1 - m);  step += 1;  moving = biased / (1 - m ** step)
    for value = the batch mean and variance', from biased = 0 and step = 0 (TensorFlow 1's
    zero-debiased `assign_moving_average`): the moving statistics are debiased averages of the batch
    statistics, and their initial values 0 and 1 never count. Keras 3 would take the uncorrected
    variance and `moving = m * moving + (1 - m) * value` from 0 and 1. The layer's output, in training
    and in inference, is Keras 3's, which is Keras 2's; it computes in float32 under any dtype policy.
    The hidden state (`biased_mean`, `biased_variance`, `debiasing_steps`) is saved with the model.
    """

    def build(self, input_shape):
        super().build(input_shape)
        shape = self.moving_mean.shape
        self.biased_mean = self.add_weight(shape=shape, name="biased_mean", initializer="zeros", trainable=False,
                                           autocast=False)
        self.biased_variance = self.add_weight(shape=shape, name="biased_variance", initializer="zeros",
                                               trainable=False, autocast=False)
        self.debiasing_steps = self.add_weight(shape=(), name="debiasing_steps", initializer="zeros",
                                               trainable=False, autocast=False)

    @property
    def debiasing_state(self):
        return [self.biased_mean, self.biased_variance, self.debiasing_steps]

    def call(self, inputs, training=None, mask=None):
        if not (training and self.trainable):
            return super().call(inputs, training=training, mask=mask)
        if mask is not None:
            raise ValueError(f"{self.name}: Keras 2's batch statistics are not defined here for masked inputs")
        x = ops.cast(inputs, keras.backend.result_type(inputs.dtype, "float32"))
        mean, variance, count = self.batch_moments(x)
        self.update_moving_statistics(mean, variance * count / (count - (1.0 + self.epsilon)))
        outputs = ops.batch_normalization(x, mean=mean, variance=variance, axis=self.axis,
                                          offset=None if self.beta is None else ops.cast(self.beta, x.dtype),
                                          scale=None if self.gamma is None else ops.cast(self.gamma, x.dtype),
                                          epsilon=self.epsilon)
        return ops.cast(outputs, self.compute_dtype)

    def batch_moments(self, x):
        """Mean, population variance and number of values per feature: of every replica's batch together
        when the layer is synchronised and there are several, else of this batch."""
        replica = tf.distribute.get_replica_context()
        if self.synchronized and replica is not None and replica.num_replicas_in_sync > 1:
            mean, variance, count = global_moments(x, self._reduction_axes, replica)
            return tf.squeeze(mean, self._reduction_axes), tf.squeeze(variance, self._reduction_axes), count
        mean, variance = tf.nn.moments(x, axes=self._reduction_axes)
        count = tf.cast(tf.reduce_prod(tf.gather(tf.shape(x), self._reduction_axes)), x.dtype)
        return mean, variance, count

    def update_moving_statistics(self, mean, variance):
        """TensorFlow 1's zero-debiased moving average, with its float32 arithmetic (decay = 1 - momentum)."""
        decay = tf.constant(1.0 - self.momentum, tf.float32)
        steps = self.debiasing_steps.assign_add(1.0)
        bias_factor = 1.0 - tf.pow(1.0 - decay, steps)
        for biased, moving, value in ((self.biased_mean, self.moving_mean, mean),
                                      (self.biased_variance, self.moving_variance, variance)):
            updated = biased.assign_sub((biased - value) * decay)
            moving.assign(updated / bias_factor)


def debiasing_variables(model):
    return [variable for layer in all_layers(model) if isinstance(layer, Keras2BatchNormalization)
            for variable in layer.debiasing_state]


@contextmanager
def debiasing_state_kept(model):
    """Keep the model's BatchNormalization hidden state through what the block does (loading weights).

    Keras 2 kept that state in the TensorFlow session, not in the weight files: the CRNN's phase 2,
    which reloads the best epoch's weights, went on from the hidden state of the last step.
    """
    variables = debiasing_variables(model)
    values = [variable.numpy() for variable in variables]
    yield
    for variable, value in zip(variables, values):
        variable.assign(value)


@keras.saving.register_keras_serializable(package=SERIALIZATION_PACKAGE)
class Keras2RMSprop(keras.optimizers.RMSprop):
    """RMSprop as Keras 2: a = rho * a + (1 - rho) * g ** 2;  p -= lr * g / (sqrt(a) + epsilon).

    Keras 3 divides by sqrt(a + epsilon) instead, which makes steps for gradients below about 1e-3
    smaller (385 times for 1e-6). rho 0.9, epsilon 1e-7, accumulators from 0, as Keras 2.
    """

    def __init__(self, learning_rate=0.001, rho=0.9, epsilon=1e-7, name="keras2_rmsprop", **kwargs):
        if kwargs.get("momentum") or kwargs.get("centered"):
            raise ValueError("Keras 2's RMSprop has neither momentum nor a centred variant")
        super().__init__(learning_rate=learning_rate, rho=rho, epsilon=epsilon, name=name, **kwargs)

    def update_step(self, gradient, variable, learning_rate):
        lr = ops.cast(learning_rate, variable.dtype)
        gradient = ops.cast(gradient, variable.dtype)
        accumulator = self._velocities[self._get_variable_index(variable)]
        self.assign(accumulator, ops.add(ops.multiply(self.rho, accumulator),
                                         ops.multiply(1 - self.rho, ops.square(gradient))))
        self.assign_sub(variable, ops.divide(ops.multiply(lr, gradient), ops.add(ops.sqrt(accumulator), self.epsilon)))


@keras.saving.register_keras_serializable(package=SERIALIZATION_PACKAGE)
def keras2_hard_sigmoid(x):
    """Keras 2's hard_sigmoid, clip(0.2 x + 0.5, 0, 1); Keras 3's is clip(x / 6 + 0.5, 0, 1)."""
    return ops.clip(0.2 * x + 0.5, 0.0, 1.0)


# By the names of augli.params.RECURRENT_ACTIVATION_NAMES and OPTIMIZER_NAMES.
RECURRENT_ACTIVATIONS = {"sigmoid": "sigmoid", "hard_sigmoid": keras2_hard_sigmoid}
OPTIMIZERS = {"rmsprop": Keras2RMSprop, "rmsprop-keras3": keras.optimizers.RMSprop}
