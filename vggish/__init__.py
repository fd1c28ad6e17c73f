"""VGGish, the AudioSet-trained convolutional network at the base of the CRNNs, on Keras 3.

`params` holds its fixed numbers (no Keras), `model` builds it, `weights` loads DTaoo's weight
files or writes Google's checkpoint in their layout, and `python -m vggish.convert` runs that.
Importing the package imports nothing heavy.
"""
