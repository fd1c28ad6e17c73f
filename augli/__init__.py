"""augli: a modern re-implementation of Team AugLi's MediaEval 2019 emotion and theme system.

The top-level scripts (`fusion.py`, `train_rnn.py`, ...) are thin click commands; everything they
do lives in this package, one module per concern.
"""

import os

# TensorFlow's C++ start-up notes (CPU instructions, CUDA absent, oneDNN) are INFO lines that bury a
# run's own output; warnings and errors still show. Without an NVIDIA driver, TensorFlow's CUDA build
# also logs its failed cuInit as an ERROR at every start, so there only fatal lines are let through
# (errors that matter reach Python as exceptions). Set TF_CPP_MIN_LOG_LEVEL=0 to see everything.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1" if os.path.exists("/proc/driver/nvidia") else "3")
