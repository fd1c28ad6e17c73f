"""DeepSpectrum's network: Keras' VGG16 with its ImageNet top, cut at one layer (fc2), fed as DeepSpectrum fed it.

This module imports Keras; the rest of the extractor does not, so that the worker processes that
decode and draw never start TensorFlow.
"""

from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np

from augli.checksums import Sha256Memo, sha256_of
from augli.errors import AugliError
from augli.keras_cache import IMAGENET_WEIGHTS_FILE, IMAGENET_WEIGHTS_MD5, IMAGENET_WEIGHTS_URL, keras_cache_dir

# --weights none draws the initial weights from this seed, so toy runs repeat.
RANDOM_WEIGHTS_SEED = 42


@dataclass
class Network:
    """Images (N x 224 x 224 x 3 RGB uint8) -> the layer's activations (N x width float32)."""

    model: keras.Model
    width: int
    weights: dict  # provenance: the --weights value, the file used and its sha256

    def __call__(self, images):
        # DeepSpectrum's only preprocessing for VGG16: RGB -> BGR; no mean subtraction, no scaling.
        bgr = np.ascontiguousarray(images[..., ::-1], dtype=np.float32)
        return np.asarray(self.model.predict_on_batch(bgr), dtype=np.float32).reshape(len(images), -1)


def imagenet_weights_file():
    """The ImageNet weights file, fetched and cached by Keras if it is not cached yet."""
    cache = keras_cache_dir()
    try:
        return Path(keras.utils.get_file(IMAGENET_WEIGHTS_FILE, IMAGENET_WEIGHTS_URL, cache_dir=str(cache.parent),
                                         cache_subdir=cache.name, file_hash=IMAGENET_WEIGHTS_MD5))
    except Exception as error:  # Keras raises bare Exception for a failed download
        raise AugliError(f"cannot fetch the ImageNet weights ({error}): download {IMAGENET_WEIGHTS_FILE} "
                         f"into {cache}, or pass its path to --weights") from None


def weights_candidates(recorded_file, cache_dir, given=()):
    """Where a model's VGG16 weights are looked for, in order: the file its extraction recorded, Keras' cache
    folder, then each of `given` (files, or folders). A folder is searched for the recorded file's name and the
    name Keras gives the ImageNet weights, so that a copy under either name is found."""
    recorded_file = Path(recorded_file)
    names = list(dict.fromkeys((recorded_file.name, IMAGENET_WEIGHTS_FILE)))
    candidates = [recorded_file, *(Path(cache_dir) / name for name in names)]
    for place in map(Path, given):
        candidates += [place / name for name in names] if place.is_dir() else [place]
    return list(dict.fromkeys(candidates))


@dataclass
class WeightsSearch:
    """Finds VGG16 weights files by the sha256 an extraction recorded, wherever the model folder was copied to;
    one per run, so that each candidate is hashed once for all the models."""

    given: tuple = ()  # tag.py's --vgg16-weights: files or folders
    sha256: Sha256Memo = field(default_factory=Sha256Memo)

    def find(self, sha256, recorded_file):
        """The first candidate whose sha256 is `sha256`; one line naming it, the places looked and the option if none."""
        cache_dir = keras_cache_dir()
        for candidate in weights_candidates(recorded_file, cache_dir, self.given):
            if candidate.is_file() and self.sha256(candidate) == sha256:
                return candidate
        state = "holds other weights" if Path(recorded_file).is_file() else "is missing"
        given = f" or in {', '.join(map(str, self.given))}" if self.given else ""
        raise AugliError(f"no VGG16 weights with the sha256 {sha256} the features were extracted with: the recorded "
                         f"{recorded_file} {state}, and none is in Keras' cache {cache_dir}{given}; pass the file "
                         "(or its folder) with --vgg16-weights")


def load_vgg16(weights, layer, sha256=None):
    """VGG16 with its top and `weights` ("imagenet", "none" or a Keras-2 .h5 file), cut after `layer`.

    `sha256`: the weights file's, where the caller has it already (hashing the ImageNet file takes seconds).
    """
    if weights == "none":
        keras.utils.set_random_seed(RANDOM_WEIGHTS_SEED)
        weights_file, record = None, {"weights": "none", "seed": RANDOM_WEIGHTS_SEED}
    else:
        weights_file = imagenet_weights_file() if weights == "imagenet" else Path(weights)
        record = {"weights": str(weights), "file": str(weights_file.resolve()),
                  "sha256": sha256 or sha256_of(weights_file)}
    try:
        model = keras.applications.VGG16(weights=None if weights_file is None else str(weights_file), include_top=True)
    except (ValueError, OSError) as error:
        raise AugliError(f"cannot load VGG16 weights from {weights_file}: {error}") from None
    names = [candidate.name for candidate in model.layers]
    if layer not in names:
        raise AugliError(f"VGG16 has no layer {layer!r}; its layers are {', '.join(names)}")
    cut = keras.Model(model.inputs, model.get_layer(layer).output)
    return Network(cut, int(np.prod(cut.output.shape[1:])), record)
