"""The paper's fixed choices that the command lines need, in a module that imports no Keras or TensorFlow.

Scripts build their `--help` from these, so `--help` answers at once and a bad option is refused
before TensorFlow starts.
"""

RNN_TYPES = ("lstm", "bilstm", "gru")
# The trainers' -o and --recurrent-activation (augli.keras2 holds what the names stand for). rmsprop is
# Keras 2's update, the original's; rmsprop-keras3 is Keras 3's. hard_sigmoid is Keras 2's formula.
OPTIMIZER_NAMES = ("rmsprop", "rmsprop-keras3")
RECURRENT_ACTIVATION_NAMES = ("sigmoid", "hard_sigmoid")
# What a trainer's config.json records of its BatchNormalization layers (augli.keras2); a model folder
# without it was trained with Keras 3's, whose saved state this code does not read.
BATCH_NORMALIZATION_RECORD = "keras2: corrected batch variance, zero-debiased moving averages"

# --- the CRNN (crnn.py) ---------------------------------------------------------------------------
# kapre 0.1.4's Melspectrogram as the original called it: n_dft=512, n_hop=256, padding='same',
# power_melgram=1.0, return_decibel_melgram=True. Its mel bands, sample rate and frequency range are
# VGGish's (`vggish.params`), which the pretrained weights require.
STFT_WINDOW_SAMPLES = 512  # periodic Hann, 32 ms at 16 kHz
STFT_HOP_SAMPLES = 256  # 16 ms: 62.5 frames per second
DECIBEL_FLOOR_AMPLITUDE = 1e-10  # 10 log10(max(amplitude, this)); kapre 0.1's amin
DECIBEL_RANGE_DB = 80.0  # below the sample's maximum, values are clipped
# Normalization2D(str_axis='freq') adds this to each mel band's standard deviation.
BAND_NORMALIZATION_EPSILON = 1e-10
# VGGish's pool4 has 4 mel columns, averaged into one 512-wide vector per time step.
VGGISH_MEL_COLUMNS = 4
CRNN_DENSE_UNITS = 1024  # the original's rnn_classifier_branch fixes it, whatever -ru is
# crnn.py's -rn: the Gaussian noise's std is drawn from U(0, this).
RANDOM_NOISE = 0.1
# Phase 2 (fine-tuning VGGish) runs RMSprop at -lr divided by this.
FINE_TUNE_LEARNING_RATE_DIVISOR = 10
TEST_CROPS = ("middle", "all")

# --- training on several devices (augli.distribution) ---------------------------------------------
DISTRIBUTE_MODES = ("none", "mirrored", "multi-worker")
