"""Where Keras keeps the weights it downloads, and the VGG16 ImageNet file DeepSpectrum needs from there.

Apart from augli.vgg16, which imports Keras, so that the preflight can check the file without
starting TensorFlow.
"""

import os
from pathlib import Path

# The file keras.applications.VGG16(weights="imagenet", include_top=True) fetches, and its check.
IMAGENET_WEIGHTS_FILE = "vgg16_weights_tf_dim_ordering_tf_kernels.h5"
IMAGENET_WEIGHTS_URL = f"https://storage.googleapis.com/tensorflow/keras-applications/vgg16/{IMAGENET_WEIGHTS_FILE}"
IMAGENET_WEIGHTS_MD5 = "64373286793e3c8b2b4e3219cbf3544b"
IMAGENET_WEIGHTS_BYTES = 553_467_096  # what a download adds to the cache's disk


def keras_cache_dir():
    """Where Keras caches downloaded weights: $KERAS_HOME/models, by default ~/.keras/models."""
    return Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "models"
