"""VGGish's fixed numbers, in a module that imports nothing heavy (command lines build `--help` from it).

The pretrained AudioSet weights were learned on these inputs, so a front end feeding them must
produce exactly this: 16 kHz audio, 64 mel bands between 125 and 7500 Hz, time x mel x 1 channel.
"""

from pathlib import Path

SAMPLE_RATE_HZ = 16000
NUM_MEL_BANDS = 64
MEL_MIN_HZ = 125
MEL_MAX_HZ = 7500

# Frames DTaoo's Keras port was built for (its vggish_params.py; Google's own model takes 96).
# Only the top depends on it: fc1_1 has (frames / 16) x 4 x 512 inputs, 63 488 for 496 frames.
DTAOO_NUM_FRAMES = 496

KERNEL_SIZE = (3, 3)  # every convolution: stride 1, 'same' padding, ReLU
POOL_SIZE = (2, 2)  # every max pool: stride 2, 'same' padding

# The feature extractor in order: (layer name, filters); a pool has None.
FEATURE_LAYERS = (
    ("conv1", 64), ("pool1", None),
    ("conv2", 128), ("pool2", None),
    ("conv3_1", 256), ("conv3_2", 256), ("pool3", None),
    ("conv4_1", 512), ("conv4_2", 512), ("pool4", None),
)
CONV_LAYERS = tuple(name for name, filters in FEATURE_LAYERS if filters)
CONV_PARAMETERS = 4_499_712  # weights and biases of the six convolutions

# The top after `flatten`: (layer name, units), all ReLU as in DTaoo's port.
TOP_LAYERS = (("fc1_1", 4096), ("fc1_2", 4096), ("fc2", 128))

WEIGHTS_FILE_NAME = "vggish_audioset_weights_without_fc2.h5"
DEFAULT_WEIGHTS_PATH = Path(__file__).resolve().parent / WEIGHTS_FILE_NAME
WEIGHTS_SOURCE_URL = "https://github.com/DTaoo/VGGish"


def conv_weight_shapes():
    """{conv layer: (kernel shape, bias shape)} as the weights files and checkpoints must hold them."""
    shapes, channels = {}, 1
    for name, filters in FEATURE_LAYERS:
        if filters:
            shapes[name] = ((*KERNEL_SIZE, channels, filters), (filters,))
            channels = filters
    return shapes
