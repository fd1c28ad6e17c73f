"""The networks: the recurrent tagging head shared by train_rnn and crnn, the train_rnn model and the CRNN.

Layer names follow the original's `rnn/...` scheme with `_` for `/`, which Keras 3 forbids in names.
"""

import keras

from augli.frontend import FRONT_END_DTYPE, BandNormalization, decibel_mel_spectrogram
from augli.keras2 import OPTIMIZERS, RECURRENT_ACTIVATIONS, Keras2BatchNormalization
from augli.params import CRNN_DENSE_UNITS, VGGISH_MEL_COLUMNS
from vggish.model import vggish

VGGISH_LAYER = "vggish"
# The tag scores stay float32 under a mixed-precision policy (Keras' advice for a model's last layer).
OUTPUT_DTYPE = "float32"  # the CRNN's VGGish sub-model, frozen and unfrozen as a whole


def recurrent_layer(rnn_type, units, dropout, return_sequences, name, recurrent_activation="sigmoid"):
    """GRU, LSTM or a concatenating Bidirectional LSTM; `dropout` applies to inputs and recurrent state.

    GRU uses `reset_after=False`, the Keras 2 GRU the paper trained (Keras 3 defaults to True).
    `recurrent_activation` names one of `RECURRENT_ACTIVATIONS` (hard_sigmoid: Keras 2's).
    """
    common = {"dropout": dropout, "recurrent_dropout": dropout, "return_sequences": return_sequences,
              "recurrent_activation": RECURRENT_ACTIVATIONS[recurrent_activation]}
    if rnn_type == "gru":
        return keras.layers.GRU(units, reset_after=False, name=name, **common)
    lstm = keras.layers.LSTM(units, name=name if rnn_type == "lstm" else f"{name}_lstm", **common)
    if rnn_type == "lstm":
        return lstm
    return keras.layers.Bidirectional(lstm, name=name)


def rnn_head(inputs, rnn_type, units, layers, rnn_dropout, final_dropout, n_tags, dense_units=None,
             recurrent_activation="sigmoid"):
    """`layers` x (RNN -> BatchNorm), then Dense -> BatchNorm -> ReLU -> Dropout -> sigmoid tag scores.

    `inputs` is a (batch, time, features) tensor; the output tensor is (batch, n_tags).
    `dense_units` defaults to `units` (train_rnn); crnn.py fixes it at 1024. Layers compute in the
    global dtype policy except the output layer, which is float32.
    """
    x = inputs
    for index in range(1, layers + 1):
        x = recurrent_layer(rnn_type, units, rnn_dropout, return_sequences=index < layers,
                            name=f"rnn_{rnn_type}_{index}", recurrent_activation=recurrent_activation)(x)
        x = Keras2BatchNormalization(name=f"rnn_batch_norm_{index}")(x)
    x = keras.layers.Dense(dense_units or units, name="rnn_dense")(x)
    x = Keras2BatchNormalization(name="rnn_batch_norm_dense")(x)
    x = keras.layers.Activation("relu", name="rnn_relu")(x)
    x = keras.layers.Dropout(final_dropout, name="rnn_dropout_final")(x)
    return keras.layers.Dense(n_tags, activation="sigmoid", name="rnn_output", dtype=OUTPUT_DTYPE)(x)


def sequence_tagger(n_features, n_tags, rnn_type, units, layers, rnn_dropout, final_dropout,
                    recurrent_activation="sigmoid"):
    """train_rnn's model: the head straight on the feature sequences (any number of windows)."""
    inputs = keras.Input((None, n_features), name="sequences")
    outputs = rnn_head(inputs, rnn_type, units, layers, rnn_dropout, final_dropout, n_tags,
                       recurrent_activation=recurrent_activation)
    return keras.Model(inputs, outputs, name=f"sequence_{rnn_type}")


def crnn_tagger(n_tags, rnn_type, units, layers, rnn_dropout, final_dropout, noise_std, load_vggish_weights=None,
                recurrent_activation="sigmoid"):
    """The CRNN on raw 16 kHz audio of any length: decibel mel -> noise -> band normalisation -> VGGish ->
    mean over VGGish's 4 mel columns -> (time, 512) sequence -> the RNN head with Dense(1024).

    `noise_std` is the Gaussian noise's fixed standard deviation (training only; 0 leaves the layer
    out). `load_vggish_weights(model)` fills the VGGish sub-model (VGGISH_LAYER), which is then
    frozen, as the original froze it only when it loaded pretrained weights.
    """
    inputs = keras.Input((None,), name="waveforms")
    x = decibel_mel_spectrogram(inputs)
    if noise_std > 0:
        x = keras.layers.GaussianNoise(noise_std, name="additive_noise", dtype=FRONT_END_DTYPE)(x)
    x = BandNormalization(name="band_normalization", dtype=FRONT_END_DTYPE)(x)
    features = vggish(include_top=False, name=VGGISH_LAYER)
    if load_vggish_weights is not None:
        load_vggish_weights(features)
        features.trainable = False
    x = features(x)
    x = keras.layers.AveragePooling2D((1, VGGISH_MEL_COLUMNS), name="mel_average")(x)
    x = keras.layers.Reshape((-1, x.shape[-1]), name="sequence")(x)
    outputs = rnn_head(x, rnn_type, units, layers, rnn_dropout, final_dropout, n_tags, dense_units=CRNN_DENSE_UNITS,
                       recurrent_activation=recurrent_activation)
    return keras.Model(inputs, outputs, name=f"crnn_{rnn_type}")


def compile_tagger(model, learning_rate, optimizer="rmsprop"):
    """RMSprop (`optimizer` names one of `OPTIMIZERS`; rmsprop: Keras 2's) on binary cross-entropy, as both
    original trainers.

    The optimizer's variables are made here, for the trainable weights as they now are: made inside
    the first training step instead, they would make TensorFlow trace that step twice.
    """
    model.compile(optimizer=OPTIMIZERS[optimizer](learning_rate=learning_rate), loss="binary_crossentropy")
    model.optimizer.build(model.trainable_variables)
