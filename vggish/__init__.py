"""VGGish, the AudioSet-trained convolutional network at the base of the CRNNs, on Keras 3.

`params` holds its fixed numbers (no Keras), `model` builds it, `weights` loads DTaoo's weight
files or writes Google's checkpoint in their layout, and `python -m vggish.convert` runs that.
Importing the package imports nothing heavy.

It needs nothing from `augli`: the application builds its CRNN on VGGish (augli.models, augli.frontend,
augli.audio read `vggish.params` and call `vggish.model` and `vggish.weights`), so the arrow points from
augli to vggish only, and this package, a port of Google's published model, can be read, tested and lifted
out on its own. Its user errors are `vggish.weights.WeightsError`, a click error as augli's own are.
"""
