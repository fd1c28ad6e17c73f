"""The CRNN's front end: kapre 0.1.4's decibel mel spectrogram rebuilt from kapre 0.4.1 layers, and the
two layers the original put after it (kapre's AdditiveNoise and Normalization2D).

kapre 0.1.4 framed the audio with TensorFlow's 'SAME' padding, applied a Slaney mel filterbank to the
*power* spectrum, took the square root (power_melgram=1.0), then 10 log10, shifted each sample's
maximum to 0 and clipped at -80. kapre 0.4.1's one-call `get_melspectrogram_layer` frames from sample 0
and takes the mel of the magnitude, which differs by 1-2 dB on average, so the pieces are composed here
one by one. The small layers are registered so that a saved `.keras` model loads them back.
"""

import keras
import tensorflow as tf
from kapre import STFT, ApplyFilterbank, Magnitude, MagnitudeToDecibel

from augli.distribution import global_moments
from augli.params import (BAND_NORMALIZATION_EPSILON, DECIBEL_FLOOR_AMPLITUDE, DECIBEL_RANGE_DB, STFT_HOP_SAMPLES,
                          STFT_WINDOW_SAMPLES)
from vggish.params import MEL_MAX_HZ, MEL_MIN_HZ, NUM_MEL_BANDS, SAMPLE_RATE_HZ

SERIALIZATION_PACKAGE = "augli"
BAND_POOLED_AXES = [0, 1, 3]  # batch, time, channel of (batch, time, mel, channel)
# The front end computes in float32 under a mixed-precision policy: float16 cannot hold the
# decibel floor (1e-10) nor the power spectrum's range.
FRONT_END_DTYPE = "float32"


@keras.saving.register_keras_serializable(package=SERIALIZATION_PACKAGE)
class SamePadding(keras.layers.Layer):
    """Zero-pad (batch, samples, channels) as TensorFlow's 'SAME' convolution padding frames it.

    ceil(N / hop) frames of `window` samples; the missing samples are split between the two ends,
    the odd one at the end. The amounts are computed from each batch's own length.
    """

    def __init__(self, window, hop, **kwargs):
        super().__init__(**kwargs)
        self.window, self.hop = window, hop

    def call(self, x):
        samples = tf.shape(x)[1]
        frames = (samples + self.hop - 1) // self.hop
        total = tf.maximum((frames - 1) * self.hop + self.window - samples, 0)
        return tf.pad(x, [[0, 0], [total // 2, total - total // 2], [0, 0]])

    def compute_output_shape(self, input_shape):
        return (input_shape[0], None, input_shape[2])

    def get_config(self):
        return {**super().get_config(), "window": self.window, "hop": self.hop}


@keras.saving.register_keras_serializable(package=SERIALIZATION_PACKAGE)
class Power(keras.layers.Layer):
    """x ** exponent, elementwise: squares the magnitude before the mel filterbank, takes the root after."""

    def __init__(self, exponent, **kwargs):
        super().__init__(**kwargs)
        self.exponent = exponent

    def call(self, x):
        return tf.pow(x, self.exponent)

    def get_config(self):
        return {**super().get_config(), "exponent": self.exponent}


@keras.saving.register_keras_serializable(package=SERIALIZATION_PACKAGE)
class SubtractSampleMax(keras.layers.Layer):
    """Shift each sample so that its largest value is 0, as kapre 0.1.4's decibel conversion did."""

    def call(self, x):
        return x - tf.reduce_max(x, axis=tf.range(1, tf.rank(x)), keepdims=True)


@keras.saving.register_keras_serializable(package=SERIALIZATION_PACKAGE)
class BandNormalization(keras.layers.Layer):
    """kapre 0.1.4's Normalization2D(str_axis='freq') on (batch, time, mel, channel) input.

    One mean and one population standard deviation per mel band, pooled over the batch, time and
    channels (so the other tracks of a batch change a track's output), epsilon added to the std.
    Split between replicas (tf.distribute), the batch is the global one (`global_moments`), so N
    replicas compute what one device computes.
    """

    def __init__(self, epsilon=BAND_NORMALIZATION_EPSILON, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = epsilon

    def call(self, x):
        replica = tf.distribute.get_replica_context()
        if replica is not None and replica.num_replicas_in_sync > 1:
            mean, variance, _ = global_moments(x, BAND_POOLED_AXES, replica)
        else:
            mean, variance = tf.nn.moments(x, axes=BAND_POOLED_AXES, keepdims=True)
        return (x - mean) / (tf.sqrt(variance) + self.epsilon)

    def compute_output_shape(self, input_shape):
        """Given, so that Keras never traces `call` for its shape: a traced all-reduce in one replica only
        would number the replicas' collectives differently."""
        return input_shape

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}


def decibel_mel_spectrogram(waveforms):
    """(batch, samples) 16 kHz audio -> (batch, frames, 64 mel bands, 1) in [-80, 0], time x mel."""
    x = keras.layers.Reshape((-1, 1), name="channel", dtype=FRONT_END_DTYPE)(waveforms)
    x = SamePadding(STFT_WINDOW_SAMPLES, STFT_HOP_SAMPLES, name="same_padding", dtype=FRONT_END_DTYPE)(x)
    x = STFT(n_fft=STFT_WINDOW_SAMPLES, win_length=STFT_WINDOW_SAMPLES, hop_length=STFT_HOP_SAMPLES, pad_end=False,
             input_data_format="channels_last", output_data_format="channels_last", name="stft",
             dtype=FRONT_END_DTYPE)(x)
    x = Magnitude(name="magnitude", dtype=FRONT_END_DTYPE)(x)
    x = Power(2.0, name="power_spectrum", dtype=FRONT_END_DTYPE)(x)
    filterbank = {"sample_rate": SAMPLE_RATE_HZ, "n_freq": STFT_WINDOW_SAMPLES // 2 + 1, "n_mels": NUM_MEL_BANDS,
                  "f_min": MEL_MIN_HZ, "f_max": MEL_MAX_HZ, "htk": False, "norm": "slaney"}
    x = ApplyFilterbank(type="mel", filterbank_kwargs=filterbank, data_format="channels_last", name="mel",
                        dtype=FRONT_END_DTYPE)(x)
    x = Power(0.5, name="mel_amplitude", dtype=FRONT_END_DTYPE)(x)
    x = MagnitudeToDecibel(ref_value=1.0, amin=DECIBEL_FLOOR_AMPLITUDE, dynamic_range=DECIBEL_RANGE_DB,
                           name="decibel", dtype=FRONT_END_DTYPE)(x)
    return SubtractSampleMax(name="decibel_below_max", dtype=FRONT_END_DTYPE)(x)


def record():
    """What the front end computes, in words and numbers: crnn.py records it in config.json, and tag.py refuses a
    model whose recorded front end is not this one."""
    return {
        "layout": "batch x frames x mel x 1 (time x mel)",
        "framing": "TensorFlow SAME zero padding, ceil(samples / hop) frames",
        "stft_window_samples": STFT_WINDOW_SAMPLES, "stft_hop_samples": STFT_HOP_SAMPLES,
        "window_function": "periodic hann",
        "mel_bands": NUM_MEL_BANDS, "mel_min_hz": MEL_MIN_HZ, "mel_max_hz": MEL_MAX_HZ,
        "mel_scale": "slaney", "mel_norm": "slaney",
        "mel_of": "power spectrum, then square root",
        "decibel": "10 log10(max(amplitude, floor)) minus the sample's maximum, clipped at -range",
        "decibel_floor_amplitude": DECIBEL_FLOOR_AMPLITUDE, "decibel_range_db": DECIBEL_RANGE_DB,
        "band_normalization": "per mel band over batch, time and channel",
        "band_normalization_epsilon": BAND_NORMALIZATION_EPSILON,
    }
