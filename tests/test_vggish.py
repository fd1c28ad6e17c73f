"""vggish/: the Keras 3 VGGish, and its weights loaded from files written here in the originals' layouts.

The DTaoo files are written with h5py exactly as augli-facts.md §4 dumps the Keras-2 originals (spelled
out here, not through vggish.weights); the checkpoints with TensorFlow's own save ops under the
variable names of Google's TF-slim vggish_model.ckpt. All values are random, so a kernel that lands in
the wrong layer, transposed or cast shows.
"""

import h5py
import keras
import numpy as np
import pytest
import tensorflow as tf
from click.testing import CliRunner

from vggish import params
from vggish.convert import main as convert
from vggish.model import vggish
from vggish.weights import WeightsError, load_weights, read_conv_weights, resolve_weights, write_dtaoo_weights

# §4: each weighted layer's name in DTaoo's file -> in our model, with its kernel shape.
CONV_LAYERS = {
    "conv1": ("conv1", (3, 3, 1, 64)),
    "conv2": ("conv2", (3, 3, 64, 128)),
    "conv3/conv3_1": ("conv3_1", (3, 3, 128, 256)),
    "conv3/conv3_2": ("conv3_2", (3, 3, 256, 256)),
    "conv4/conv4_1": ("conv4_1", (3, 3, 256, 512)),
    "conv4/conv4_2": ("conv4_2", (3, 3, 512, 512)),
}
# 16 frames is the smallest top: pool4 is 1 x 4 x 512 = 2048 inputs to fc1_1 (63 488 for DTaoo's 496).
TOP_FRAMES = 16
TOP_LAYERS = {
    "vggish_fc1/fc1_1": ("fc1_1", (2048, 4096)),
    "vggish_fc1/fc1_2": ("fc1_2", (4096, 4096)),
    "vggish_fc2": ("fc2", (4096, 128)),
}
FILE_LAYERS_NO_TOP = ["input_1", "conv1", "pool1", "conv2", "pool2", "conv3/conv3_1", "conv3/conv3_2", "pool3",
                      "conv4/conv4_1", "conv4/conv4_2", "pool4"]
FILE_LAYERS_TOP = FILE_LAYERS_NO_TOP + ["flatten_", "vggish_fc1/fc1_1", "vggish_fc1/fc1_2", "vggish_fc2"]
# Google's checkpoint scope for each DTaoo conv layer.
SLIM_SCOPES = {"conv1": "vggish/conv1", "conv2": "vggish/conv2", "conv3/conv3_1": "vggish/conv3/conv3_1",
               "conv3/conv3_2": "vggish/conv3/conv3_2", "conv4/conv4_1": "vggish/conv4/conv4_1",
               "conv4/conv4_2": "vggish/conv4/conv4_2"}


def random_weights(layers, seed):
    """{file layer name: [kernel, bias]} of seeded random float32 values."""
    rng = np.random.default_rng(seed)
    return {name: [rng.standard_normal(shape, dtype=np.float32), rng.standard_normal(shape[-1], dtype=np.float32)]
            for name, (_, shape) in layers.items()}


def write_dtaoo_file(path, weights, layer_names, as_tf_keras=False):
    """A Keras-2 weights file: Keras 2.0's byte-string attributes, or tf_keras's str ones and extra group."""
    def strings(values):
        return list(values) if as_tf_keras else np.array([value.encode("utf-8") for value in values])

    with h5py.File(path, "w") as handle:
        handle.attrs["layer_names"] = strings(layer_names)
        handle.attrs["backend"] = "tensorflow" if as_tf_keras else b"tensorflow"
        handle.attrs["keras_version"] = "2.21.0" if as_tf_keras else b"2.0.6"
        for layer in layer_names:
            group = handle.create_group(layer)
            arrays = weights.get(layer, [])
            weight_names = [f"{layer}/kernel:0", f"{layer}/bias:0"] if arrays else []
            group.attrs["weight_names"] = strings(weight_names)
            for weight_name, array in zip(weight_names, arrays):
                group.create_dataset(weight_name, data=array)
        if as_tf_keras:
            handle.create_group("top_level_model_weights").attrs["weight_names"] = []
    return path


def assert_landed(model, weights, layers):
    for file_name, (layer_name, _) in layers.items():
        kernel, bias = model.get_layer(layer_name).get_weights()
        assert kernel.tobytes() == weights[file_name][0].tobytes(), layer_name
        assert bias.tobytes() == weights[file_name][1].tobytes(), layer_name


def write_checkpoint(path, weights, version="v1", leave_out=None, extra=()):
    """Google's TF-slim names for `weights` (+ `extra` (name, array) pairs), as one V1 file like
    vggish_model.ckpt or as a V2 prefix."""
    variables = [(f"{SLIM_SCOPES[layer]}/{suffix}", array) for layer, (kernel, bias) in weights.items()
                 for suffix, array in (("weights", kernel), ("biases", bias))]
    names, arrays = zip(*[(name, array) for name, array in [*variables, *extra] if name != leave_out])
    if version == "v1":
        tf.raw_ops.Save(filename=str(path), tensor_names=list(names), data=list(arrays))
    else:
        tf.raw_ops.SaveV2(prefix=str(path), tensor_names=list(names), shape_and_slices=[""] * len(names),
                          tensors=list(arrays))
    return path


@pytest.fixture(scope="module")
def no_top():
    return vggish()


@pytest.fixture(scope="module")
def with_top():
    return vggish(include_top=True, frames=TOP_FRAMES)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """DTaoo's two files: without the top (Keras 2.0 style) and with it (tf_keras style)."""
    root = tmp_path_factory.mktemp("vggish")
    conv = random_weights(CONV_LAYERS, seed=0)
    full = random_weights(CONV_LAYERS | TOP_LAYERS, seed=1)
    return {
        "conv": conv, "full": full, "root": root,
        "no_top": write_dtaoo_file(root / params.WEIGHTS_FILE_NAME, conv, FILE_LAYERS_NO_TOP),
        "top": write_dtaoo_file(root / "vggish_audioset_weights.h5", full, FILE_LAYERS_TOP, as_tf_keras=True),
    }


def snapshot(model):
    return [weight.copy() for weight in model.get_weights()]


def assert_unchanged(model, before):
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), before)), "weights changed on a failed load"


def test_layers_parameters_and_output_shape(no_top, with_top):
    assert [layer.name for layer in no_top.layers[1:]] == [
        "conv1", "pool1", "conv2", "pool2", "conv3_1", "conv3_2", "pool3", "conv4_1", "conv4_2", "pool4"]
    assert [layer.name for layer in with_top.layers[-4:]] == ["flatten", "fc1_1", "fc1_2", "fc2"]
    assert no_top.count_params() == params.CONV_PARAMETERS == 4_499_712
    assert no_top.input_shape == (None, None, 64, 1)
    # 20 s of 16 kHz audio at hop 256: time 1250 -> 625 -> 313 -> 157 -> 79, mel 64 -> 4.
    output = no_top(np.random.default_rng(0).standard_normal((2, 1250, 64, 1), dtype=np.float32))
    assert tuple(output.shape) == (2, 79, 4, 512)


def test_no_top_file_lands_in_every_layer(no_top, files):
    load_weights(no_top, files["no_top"])
    assert_landed(no_top, files["conv"], CONV_LAYERS)


def test_with_top_file_into_no_top_model_ignores_fc(no_top, files):
    load_weights(no_top, files["top"])
    assert_landed(no_top, files["full"], CONV_LAYERS)


def test_with_top_file_into_top_model(with_top, files):
    load_weights(with_top, files["top"])
    assert_landed(with_top, files["full"], CONV_LAYERS | TOP_LAYERS)


def test_top_model_needs_fc_layers(with_top, files):
    before = snapshot(with_top)
    with pytest.raises(WeightsError, match="lack the layer.*vggish_fc1/fc1_1 .*fc1_1.*vggish_fc1/fc1_2.*vggish_fc2"):
        load_weights(with_top, files["no_top"])
    assert_unchanged(with_top, before)


def test_missing_layer_is_named(no_top, files):
    path = write_dtaoo_file(files["root"] / "missing.h5", files["conv"],
                            [name for name in FILE_LAYERS_NO_TOP if name != "conv3/conv3_2"])
    before = snapshot(no_top)
    with pytest.raises(WeightsError, match=r"missing.h5 lack the layer\(s\) conv3/conv3_2 \(the model's conv3_2\)$"):
        load_weights(no_top, path)
    assert_unchanged(no_top, before)


def test_misshaped_layer_is_named_with_both_shapes(no_top, files):
    rng = np.random.default_rng(2)
    weights = dict(files["conv"])
    weights["conv4/conv4_1"] = [rng.standard_normal((3, 3, 128, 512), dtype=np.float32), weights["conv4/conv4_1"][1]]
    path = write_dtaoo_file(files["root"] / "misshaped.h5", weights, FILE_LAYERS_NO_TOP)
    before = snapshot(no_top)
    with pytest.raises(WeightsError) as raised:
        load_weights(no_top, path)
    assert raised.value.message == (f"VGGish weights {path}: layer conv4/conv4_1 has a (3, 3, 128, 512) kernel, "
                                    "the model's conv4_1 needs (3, 3, 256, 512)")
    assert_unchanged(no_top, before)


def test_layer_without_its_datasets_is_named(no_top, files):
    path = write_dtaoo_file(files["root"] / "no-bias.h5", files["conv"], FILE_LAYERS_NO_TOP)
    with h5py.File(path, "a") as handle:
        del handle["conv2/conv2/bias:0"]
    with pytest.raises(WeightsError, match="layer conv2 should hold a kernel and a bias"):
        load_weights(no_top, path)


def test_truncated_file_is_one_clear_line(no_top, files):
    path = files["root"] / "truncated.h5"
    path.write_bytes(files["no_top"].read_bytes()[:4096])
    with pytest.raises(WeightsError, match="^cannot read VGGish weights .*truncated.h5: "):
        load_weights(no_top, path)


def other_files(root):
    """Files that are not VGGish weights at all."""
    other = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="conv1")])
    other.save_weights(root / "other.weights.h5")
    with h5py.File(root / "random.h5", "w") as handle:
        handle.create_dataset("data", data=np.arange(5))
    (root / "notes.txt").write_text("not weights\n")
    return [root / "other.weights.h5", root / "random.h5", root / "notes.txt"]


def test_file_of_another_layout_is_one_clear_line(no_top, tmp_path):
    for path in other_files(tmp_path):
        with pytest.raises(WeightsError) as raised:
            load_weights(no_top, path)
        assert "expected DTaoo's Keras-2 VGGish h5 layout" in raised.value.message
        assert "\n" not in raised.value.message
    with pytest.raises(WeightsError, match="is not an HDF5 file.*python -m vggish.convert"):
        load_weights(no_top, tmp_path / "notes.txt")


def test_resolve_weights(files, tmp_path):
    assert resolve_weights("none") is None
    assert resolve_weights(str(files["no_top"])) == files["no_top"]
    with pytest.raises(WeightsError) as raised:
        resolve_weights(tmp_path / params.WEIGHTS_FILE_NAME)
    for hint in ("not found", params.WEIGHTS_SOURCE_URL, "python -m vggish.convert", "-vw none"):
        assert hint in raised.value.message
    assert params.DEFAULT_WEIGHTS_PATH.parent.name == "vggish"


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_convert_checkpoint_loads_bit_identical(no_top, files, tmp_path, version):
    fc2 = [("vggish/fc2/weights", np.ones((4096, 128), np.float32)), ("global_step", np.int64(7))]
    conv = {name: files["full"][name] for name in CONV_LAYERS}
    checkpoint = write_checkpoint(tmp_path / "vggish_model.ckpt", conv, version, extra=fc2)
    output = tmp_path / "converted.h5"
    result = CliRunner().invoke(convert, [str(checkpoint), str(output)])
    assert result.exit_code == 0, result.output
    with h5py.File(output) as handle:
        assert [name.decode() for name in handle.attrs["layer_names"]] == FILE_LAYERS_NO_TOP
        assert "conv3/conv3_1/conv3/conv3_1/kernel:0" in handle
        assert "vggish_fc2" not in handle
    load_weights(no_top, output)
    assert_landed(no_top, files["full"], CONV_LAYERS)


def test_convert_refuses_bad_checkpoints(files, tmp_path):
    conv = {name: files["conv"][name] for name in CONV_LAYERS}
    missing = write_checkpoint(tmp_path / "missing.ckpt", conv, leave_out="vggish/conv4/conv4_2/biases")
    misshaped = write_checkpoint(tmp_path / "misshaped.ckpt", dict(conv, conv2=conv["conv1"]))
    output = tmp_path / "out.h5"
    expected = {
        missing: "lacks the VGGish variable(s) vggish/conv4/conv4_2/biases",
        misshaped: "vggish/conv2/weights has shape (3, 3, 1, 64), VGGish needs (3, 3, 64, 128)",
        tmp_path / "absent.ckpt": "cannot read TF checkpoint",
    }
    for checkpoint, message in expected.items():
        result = CliRunner().invoke(convert, [str(checkpoint), str(output)])
        assert result.exit_code == 1
        assert message in result.output and len(result.output.strip().splitlines()) == 1
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert not output.exists()


def test_convert_never_clobbers(tmp_path):
    output = tmp_path / "out.h5"
    output.write_text("keep")
    result = CliRunner().invoke(convert, [str(tmp_path / "vggish_model.ckpt"), str(output)])
    assert result.exit_code == 1 and "exists; pass --overwrite" in result.output
    assert output.read_text() == "keep"


def test_written_weights_appear_whole_or_not_at_all(files, tmp_path):
    """write_dtaoo_weights writes beside the output and renames: a failed write leaves nothing, a good one one file."""
    conv = {layer: files["conv"][file_name] for file_name, (layer, _) in CONV_LAYERS.items()}
    output = tmp_path / "new" / "out.h5"
    with pytest.raises(TypeError):  # h5py has no type for Python objects: the write fails after its first layers
        write_dtaoo_weights(output, dict(conv, conv4_2=(np.array([object()]), conv["conv4_2"][1])))
    assert list(output.parent.iterdir()) == []
    write_dtaoo_weights(output, conv)
    assert list(output.parent.iterdir()) == [output]
    stored = read_conv_weights(output)
    assert all(np.array_equal(stored[layer][0], conv[layer][0]) for layer in conv)


def test_read_conv_weights_checks_the_file_without_a_model(files):
    assert set(read_conv_weights(files["no_top"])) == set(params.CONV_LAYERS)
    weights = dict(files["conv"])
    weights["conv2"] = [weights["conv2"][0][..., :64], weights["conv2"][1][:64]]
    path = write_dtaoo_file(files["root"] / "narrow.h5", weights, FILE_LAYERS_NO_TOP)
    with pytest.raises(WeightsError) as raised:
        read_conv_weights(path)
    assert raised.value.message == f"VGGish weights {path}: layer conv2 has a (3, 3, 64, 64) kernel, VGGish needs (3, 3, 64, 128)"
