"""The paper's fixed choices that the command lines need, in a module that imports no Keras or TensorFlow.

Scripts build their `--help` from these, so `--help` answers at once and a bad option is refused
before TensorFlow starts.
"""

RNN_TYPES = ("lstm", "bilstm", "gru")
