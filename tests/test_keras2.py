"""Keras 2's training numerics (augli.keras2) against numpy statements of Keras 2's formulas on known batches and
gradients (the formulas: keras 2's layers/normalization.py, backend/tensorflow_backend.py and optimizers.py)."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from augli.distribution import fresh_collective_keys
from augli.keras2 import (Keras2BatchNormalization, Keras2RMSprop, debiasing_state_kept, debiasing_variables,
                          keras2_hard_sigmoid)
from augli.models import compile_tagger, crnn_tagger, sequence_tagger
from augli.params import OPTIMIZER_NAMES, RECURRENT_ACTIVATION_NAMES
from conftest import TEST_CPU_DEVICES

MOMENTUM, EPSILON = 0.99, 1e-3
FEATURES = 3
SHAPES = {"after an RNN layer": (4, 5, FEATURES), "after the dense layer": (6, FEATURES)}


def batches_with_means(shape, means=(2.0, 4.0, 6.0), seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(loc=mean, scale=1 + index, size=shape).astype(np.float32) for index, mean in enumerate(means)]


def keras2_moving_statistics(batches):
    """Keras 2: corrected batch variance, TensorFlow 1's zero-debiased moving average of mean and variance."""
    biased_mean = biased_variance = 0.0
    for step, batch in enumerate(batches, start=1):
        axes = tuple(range(batch.ndim - 1))
        n = np.prod([batch.shape[axis] for axis in axes])
        mean = batch.astype(np.float64).mean(axes)
        variance = batch.astype(np.float64).var(axes) * n / (n - (1 + EPSILON))
        biased_mean = biased_mean - (biased_mean - mean) * (1 - MOMENTUM)
        biased_variance = biased_variance - (biased_variance - variance) * (1 - MOMENTUM)
        debiased = 1 - MOMENTUM ** step
    return biased_mean / debiased, biased_variance / debiased


def trained_layer(layer_class, batches, **kwargs):
    layer = layer_class(**kwargs)
    for batch in batches:
        layer(batch, training=True)
    return layer


@pytest.mark.parametrize("where", SHAPES)
def test_moving_statistics_are_keras_2s_debiased_averages(where):
    batches = batches_with_means(SHAPES[where])
    layer = trained_layer(Keras2BatchNormalization, batches)
    mean, variance = keras2_moving_statistics(batches)
    np.testing.assert_allclose(layer.moving_mean.numpy(), mean, rtol=1e-5)
    np.testing.assert_allclose(layer.moving_variance.numpy(), variance, rtol=1e-5)
    assert np.all(np.abs(mean - 4) < 1)  # the batches' means, 2, 4 and 6, averaged
    keras3 = trained_layer(keras.layers.BatchNormalization, batches)  # the control: mostly the initial 0
    assert np.all(keras3.moving_mean.numpy() < 0.2)


@pytest.mark.parametrize("where", SHAPES)
def test_outputs_are_keras_batch_normalization_in_training_and_inference(where):
    batches = batches_with_means(SHAPES[where])
    ours, theirs = Keras2BatchNormalization(), keras.layers.BatchNormalization()
    for layer in (ours, theirs):
        layer.build(batches[0].shape)
        layer.gamma.assign([0.5, 1.5, 2.0])
        layer.beta.assign([-1.0, 0.0, 1.0])
    np.testing.assert_allclose(ours(batches[0], training=True), theirs(batches[0], training=True), rtol=1e-6, atol=1e-6)
    ours(batches[1], training=True)
    for name in ("moving_mean", "moving_variance"):
        getattr(theirs, name).assign(getattr(ours, name))
    np.testing.assert_allclose(ours(batches[2], training=False), theirs(batches[2], training=False), rtol=1e-6)


def test_statistics_stay_float32_under_mixed_precision():
    batches = batches_with_means(SHAPES["after the dense layer"])
    layer = trained_layer(Keras2BatchNormalization, [tf.constant(batch, tf.bfloat16) for batch in batches],
                          dtype="mixed_bfloat16")
    exact = [tf.cast(tf.constant(batch, tf.bfloat16), tf.float32).numpy() for batch in batches]
    assert layer.moving_mean.dtype == "float32" and layer.debiasing_steps.dtype == "float32"
    np.testing.assert_allclose(layer.moving_mean.numpy(), keras2_moving_statistics(exact)[0], rtol=1e-5)


def test_replicas_pool_the_global_batch_and_its_count():
    """Split between two replicas, a synchronised layer updates as one device on the whole batch: the variance
    correction uses the global n (40 values here, not each replica's 20)."""
    batches = batches_with_means((8, 5, FEATURES))
    fresh_collective_keys()
    strategy = tf.distribute.MirroredStrategy([f"/cpu:{index}" for index in range(TEST_CPU_DEVICES)])
    with strategy.scope():
        layer = Keras2BatchNormalization(synchronized=True)
        layer.build(batches[0].shape)

    @tf.function
    def step(batch):
        strategy.run(lambda part: layer(part, training=True), args=(batch,))

    for batch in batches:
        step(next(iter(strategy.experimental_distribute_dataset(tf.data.Dataset.from_tensors(batch)))))
    mean, variance = keras2_moving_statistics(batches)
    np.testing.assert_allclose(layer.moving_mean.numpy(), mean, rtol=1e-5)
    np.testing.assert_allclose(layer.moving_variance.numpy(), variance, rtol=1e-6)


def test_the_hidden_state_is_saved_with_the_model_and_resumes_exactly(tmp_path):
    batches = batches_with_means((4, 5, FEATURES))
    inputs = keras.Input((5, FEATURES))
    model = keras.Model(inputs, Keras2BatchNormalization(name="norm")(inputs))
    for batch in batches[:2]:
        model(batch, training=True)
    model.save(tmp_path / "model.keras")
    loaded = keras.models.load_model(tmp_path / "model.keras")
    assert isinstance(loaded.get_layer("norm"), Keras2BatchNormalization)
    for network in (model, loaded):
        network(batches[2], training=True)
    assert loaded.get_layer("norm").debiasing_steps.numpy() == 3
    for name in ("moving_mean", "moving_variance", "biased_mean"):
        np.testing.assert_array_equal(getattr(loaded.get_layer("norm"), name).numpy(),
                                      getattr(model.get_layer("norm"), name).numpy())


def test_loading_weights_inside_debiasing_state_kept_keeps_the_last_steps_state(tmp_path):
    """The CRNN's phase 2 reloads the best epoch's weights and goes on from the last step's hidden state."""
    batches = batches_with_means(SHAPES["after the dense layer"])
    inputs = keras.Input((FEATURES,))
    model = keras.Model(inputs, Keras2BatchNormalization()(inputs))
    model(batches[0], training=True)
    model.save_weights(tmp_path / "best.weights.h5")
    model(batches[1], training=True)
    last = [variable.numpy() for variable in debiasing_variables(model)]
    with debiasing_state_kept(model):
        model.load_weights(tmp_path / "best.weights.h5")
    assert [variable.numpy().tolist() for variable in debiasing_variables(model)] == [value.tolist() for value in last]
    model(batches[2], training=True)
    np.testing.assert_allclose(model.layers[-1].moving_mean.numpy(), keras2_moving_statistics(batches)[0], rtol=1e-5)


@pytest.mark.parametrize("build", [lambda: sequence_tagger(8, 3, "bilstm", 4, 2, 0.0, 0.0),
                                   lambda: crnn_tagger(3, "gru", 4, 1, 0.0, 0.0, 0.0)])
def test_every_model_normalises_with_keras_2s_layer(build):
    layers = [layer for layer in build().layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert len(layers) >= 2 and all(isinstance(layer, Keras2BatchNormalization) for layer in layers)


def keras2_rmsprop(parameter, gradients, learning_rate, rho=0.9, epsilon=1e-7):
    accumulator = 0.0
    for gradient in gradients:
        accumulator = rho * accumulator + (1 - rho) * gradient ** 2
        parameter = parameter - learning_rate * gradient / (np.sqrt(accumulator) + epsilon)
    return parameter


def applied(optimizer, gradients):
    """The parameters, from 0, after the optimizer's updates with `gradients` (one array per step)."""
    variable = keras.Variable(np.zeros(len(gradients[0]), np.float32))
    for gradient in gradients:
        optimizer.apply_gradients([(tf.constant(gradient, tf.float32), variable)])
    return variable.numpy()


def test_rmsprop_is_keras_2s_update():
    gradients = [np.array([1e-6, 3e-5, 1e-2, -0.5]) * scale for scale in (1.0, 0.5, 2.0)]
    np.testing.assert_allclose(applied(Keras2RMSprop(learning_rate=1e-3), gradients),
                               keras2_rmsprop(0.0, gradients, 1e-3), rtol=1e-5)
    same = [np.array([1e-6, 3e-5, 1e-2, 0.5])] * 3
    ratio = applied(Keras2RMSprop(learning_rate=1e-3), same) / applied(keras.optimizers.RMSprop(learning_rate=1e-3), same)
    # Three equal updates from 0: about 620 and 26 times Keras 3's steps for 1e-6 and 3e-5, the same for 0.5.
    assert ratio[0] > 600 and 20 < ratio[1] < 30 and ratio[2] < 1.01 and abs(ratio[3] - 1) < 1e-5


def test_compiled_and_saved_models_keep_the_chosen_optimizer(tmp_path):
    model = sequence_tagger(8, 3, "gru", 4, 1, 0.0, 0.0)
    compile_tagger(model, 1e-3)
    model.save(tmp_path / "model.keras")
    assert type(keras.models.load_model(tmp_path / "model.keras").optimizer) is Keras2RMSprop
    compile_tagger(model, 1e-3, "rmsprop-keras3")
    assert type(model.optimizer) is keras.optimizers.RMSprop
    assert OPTIMIZER_NAMES == ("rmsprop", "rmsprop-keras3")


def test_hard_sigmoid_is_keras_2s_and_survives_saving(tmp_path):
    x = np.array([-3.0, -2.5, -1.0, 0.0, 1.0, 2.5, 3.0], np.float32)
    np.testing.assert_allclose(keras2_hard_sigmoid(x), np.clip(0.2 * x + 0.5, 0, 1), rtol=1e-7)
    assert float(keras.activations.hard_sigmoid(tf.constant(1.0))) != pytest.approx(0.7)  # Keras 3's differs
    model = sequence_tagger(8, 3, "lstm", 4, 1, 0.0, 0.0, recurrent_activation="hard_sigmoid")
    assert model.get_layer("rnn_lstm_1").cell.recurrent_activation is keras2_hard_sigmoid
    model.save(tmp_path / "model.keras")
    loaded = keras.models.load_model(tmp_path / "model.keras")
    assert loaded.get_layer("rnn_lstm_1").cell.recurrent_activation is keras2_hard_sigmoid
    sequences = np.random.default_rng(0).normal(size=(2, 5, 8)).astype(np.float32)
    np.testing.assert_array_equal(loaded.predict(sequences, verbose=0), model.predict(sequences, verbose=0))
    assert RECURRENT_ACTIVATION_NAMES == ("sigmoid", "hard_sigmoid")
