"""VGGish as a Keras 3 model, layer for layer DTaoo's Keras port (names without '/', which Keras 3 forbids)."""

import keras

from vggish import params


def vggish(inputs=None, include_top=False, frames=None, name="vggish"):
    """The VGGish network on (batch, frames, 64 mel bands, 1) log-mel input, channels last.

    Without the top it accepts any number of frames and returns pool4's (batch, frames/16, 4, 512)
    map (sizes rounded up). The top (flatten, fc1_1, fc1_2, fc2) needs a fixed frame count:
    `frames`, by default the 496 of DTaoo's with-top weights file. `inputs`, when given, is the
    Keras tensor to build on instead of a new Input.
    """
    if inputs is None:
        if include_top and frames is None:
            frames = params.DTAOO_NUM_FRAMES
        inputs = keras.Input((frames, params.NUM_MEL_BANDS, 1))
    elif frames is not None:
        raise ValueError("give either inputs or frames: the frame count of given inputs is their own")
    if include_top and inputs.shape[1] is None:
        raise ValueError("VGGish's top needs a fixed number of frames")
    x = inputs
    for layer_name, filters in params.FEATURE_LAYERS:
        if filters:
            x = keras.layers.Conv2D(filters, params.KERNEL_SIZE, padding="same", activation="relu", name=layer_name)(x)
        else:
            x = keras.layers.MaxPooling2D(params.POOL_SIZE, padding="same", name=layer_name)(x)
    if include_top:
        x = keras.layers.Flatten(name="flatten")(x)
        for layer_name, units in params.TOP_LAYERS:
            x = keras.layers.Dense(units, activation="relu", name=layer_name)(x)
    return keras.Model(inputs, x, name=name)
