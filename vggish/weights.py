"""VGGish weight files: reading them into a `vggish.model.vggish` model so that nothing ever loads partially
in silence, and writing Google's checkpoint in the same layout.

The one layout read is DTaoo's Keras-2 h5 (`vggish_audioset_weights_without_fc2.h5` and its with-top
sibling), through an explicit name map: Keras 3 forbids the '/' of DTaoo's names, and its own
`load_weights(by_name=True)` on these files loads conv1 and conv2 only, without a word.
TensorFlow is imported only to read a checkpoint, so the option handling here costs nothing.
"""

import importlib.metadata
import os
from pathlib import Path

import click
import h5py
import numpy as np

from vggish import params

# Each layer with weights: its name in our model -> in DTaoo's files, where each '/' nests an h5 group.
DTAOO_LAYER_NAMES = {
    "conv1": "conv1", "conv2": "conv2",
    "conv3_1": "conv3/conv3_1", "conv3_2": "conv3/conv3_2",
    "conv4_1": "conv4/conv4_1", "conv4_2": "conv4/conv4_2",
    "fc1_1": "vggish_fc1/fc1_1", "fc1_2": "vggish_fc1/fc1_2", "fc2": "vggish_fc2",
}
# Each conv layer's variable scope in Google's TF-slim checkpoint (vggish_slim.py), holding `weights` and `biases`.
SLIM_SCOPES = {
    "conv1": "vggish/conv1", "conv2": "vggish/conv2",
    "conv3_1": "vggish/conv3/conv3_1", "conv3_2": "vggish/conv3/conv3_2",
    "conv4_1": "vggish/conv4/conv4_1", "conv4_2": "vggish/conv4/conv4_2",
}
EXPECTED_LAYOUT = ("DTaoo's Keras-2 VGGish h5 layout (root attribute layer_names listing conv1 ... conv4/conv4_2, "
                   "one group per layer with its weight_names)")


class WeightsError(click.ClickException):
    """A weights file or checkpoint that cannot be used: a click error, as the application's own are, so that any
    command reports it in one line ("Error: ...") and exits with status 1."""


def resolve_weights(option):
    """The weights path that -vw/--vggish-weights names, or None for `none` (random initialisation).

    A missing file is one line saying where to get it, before anything heavy starts.
    """
    if str(option) == "none":
        return None
    return _existing(Path(option))


def load_weights(model, path):
    """Set every weighted layer of `model`, a `vggish()` model, from the file at `path`.

    fc layers in the file are ignored when the model has no top; a model with a top needs them.
    Any missing or mis-shaped layer is a WeightsError naming it, raised before any weight is set.
    """
    unknown = [layer.name for layer in model.layers if layer.weights and layer.name not in DTAOO_LAYER_NAMES]
    if unknown:
        raise ValueError(f"model {model.name} is not a vggish() model: it has the layers {unknown}")
    layers = [layer for layer in model.layers if layer.weights]
    stored = read_dtaoo_weights(path, [layer.name for layer in layers])
    for layer in layers:
        for kind, variable, value in zip(("kernel", "bias"), layer.weights, stored[layer.name]):
            if tuple(variable.shape) != value.shape:
                raise WeightsError(f"VGGish weights {path}: layer {DTAOO_LAYER_NAMES[layer.name]} has a {value.shape} "
                                 f"{kind}, the model's {layer.name} needs {tuple(variable.shape)}")
    for layer in layers:
        layer.set_weights(stored[layer.name])


def read_dtaoo_weights(path, layer_names):
    """{layer: [kernel, bias]} for each of our `layer_names`, read from a DTaoo-layout h5 file."""
    if not h5py.is_hdf5(_existing(Path(path))):
        raise WeightsError(f"{path} is not an HDF5 file: expected {EXPECTED_LAYOUT}; {_convert_hint('OUT.h5')}")
    try:
        with h5py.File(path, "r") as handle:
            stored = {name for name in _strings(handle.attrs.get("layer_names", [])) if name in handle}
            if not stored & set(DTAOO_LAYER_NAMES.values()):
                raise WeightsError(f"{path} is not a VGGish weights file: expected {EXPECTED_LAYOUT}")
            missing = [name for name in layer_names if DTAOO_LAYER_NAMES[name] not in stored]
            if missing:
                raise WeightsError(f"VGGish weights {path} lack the layer(s) "
                                 + ", ".join(f"{DTAOO_LAYER_NAMES[name]} (the model's {name})" for name in missing))
            return {name: _layer_arrays(handle, DTAOO_LAYER_NAMES[name], path) for name in layer_names}
    except OSError as error:
        raise WeightsError(f"cannot read VGGish weights {path}: {error}") from None


def read_conv_weights(path):
    """{conv layer: [kernel, bias]} of a DTaoo-layout file, each shaped as VGGish needs: the file checked without Keras."""
    stored = read_dtaoo_weights(path, params.CONV_LAYERS)
    for layer, shapes in params.conv_weight_shapes().items():
        for kind, value, shape in zip(("kernel", "bias"), stored[layer], shapes):
            if value.shape != shape:
                raise WeightsError(f"VGGish weights {path}: layer {DTAOO_LAYER_NAMES[layer]} has a {value.shape} {kind}, "
                                 f"VGGish needs {shape}")
    return stored


def read_slim_checkpoint(path):
    """{conv layer: (kernel, bias)} from Google's TF-slim VGGish checkpoint, every variable present and shaped right.

    The fc layers are not read: Google's fc1_1 is built for 96 frames, and the CRNN uses no top.
    """
    import tensorflow as tf  # here only: nothing else in this package needs TensorFlow

    try:
        reader = tf.train.load_checkpoint(str(path))
    except (tf.errors.OpError, ValueError) as error:
        raise WeightsError(f"cannot read TF checkpoint {path}: {getattr(error, 'message', error)}") from None
    found = reader.get_variable_to_shape_map()
    expected = {f"{SLIM_SCOPES[layer]}/{variable}": shape
                for layer, shapes in params.conv_weight_shapes().items()
                for variable, shape in zip(("weights", "biases"), shapes)}
    missing = [name for name in expected if name not in found]
    if missing:
        raise WeightsError(f"checkpoint {path} lacks the VGGish variable(s) {', '.join(missing)}")
    for name, shape in expected.items():
        if tuple(found[name]) != shape:
            raise WeightsError(f"checkpoint {path}: {name} has shape {tuple(found[name])}, VGGish needs {shape}")
    return {layer: (reader.get_tensor(f"{scope}/weights"), reader.get_tensor(f"{scope}/biases"))
            for layer, scope in SLIM_SCOPES.items()}


def write_dtaoo_weights(path, conv_weights):
    """Write {conv layer: (kernel, bias)} as DTaoo's no-top file, so it loads like the downloaded one: into a hidden
    temporary file beside `path`, renamed onto it when complete, so an interrupted run leaves no half-written file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        with h5py.File(temporary, "w") as handle:
            _write_layers(handle, conv_weights)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _write_layers(handle, conv_weights):
    layers = [("input_1", ()), *((name, conv_weights.get(name, ())) for name, _ in params.FEATURE_LAYERS)]
    handle.attrs["layer_names"] = np.array([DTAOO_LAYER_NAMES.get(name, name).encode() for name, _ in layers])
    handle.attrs["backend"] = b"tensorflow"
    handle.attrs["keras_version"] = importlib.metadata.version("keras").encode()
    for name, arrays in layers:
        file_name = DTAOO_LAYER_NAMES.get(name, name)
        group = handle.create_group(file_name)
        weight_names = [f"{file_name}/kernel:0", f"{file_name}/bias:0"] if arrays else []
        group.attrs["weight_names"] = np.array([weight_name.encode() for weight_name in weight_names])
        for weight_name, array in zip(weight_names, arrays):
            group.create_dataset(weight_name, data=array)


def _existing(path):
    """`path` if it is a file; else one line saying where VGGish weights come from."""
    if not path.is_file():
        raise WeightsError(f"VGGish weights {path} not found: download {params.WEIGHTS_FILE_NAME} from the link in "
                         f"the README of {params.WEIGHTS_SOURCE_URL} or {_convert_hint(path)}; "
                         "`-vw none` starts VGGish from random weights")
    return path


def _convert_hint(output):
    return f"convert Google's vggish_model.ckpt with `python -m vggish.convert vggish_model.ckpt {output}`"


def _layer_arrays(handle, layer_name, path):
    """The arrays a layer group's weight_names attribute lists, in that order (kernel, bias), as Keras 2 read them."""
    group = handle[layer_name]
    weight_names = _strings(group.attrs.get("weight_names", []))
    if len(weight_names) != 2 or not all(name in group for name in weight_names):
        raise WeightsError(f"VGGish weights {path}: layer {layer_name} should hold a kernel and a bias, "
                         f"its weight_names are {weight_names}")
    return [np.asarray(group[name]) for name in weight_names]


def _strings(attribute):
    """An h5 string-list attribute as a list of str, whether h5py gives bytes or str."""
    return [value.decode("utf-8") if isinstance(value, bytes) else str(value) for value in np.atleast_1d(attribute)]
