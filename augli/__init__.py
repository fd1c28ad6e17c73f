"""augli: a modern re-implementation of Team AugLi's MediaEval 2019 emotion and theme system.

The top-level scripts (`fusion.py`, `train_rnn.py`, ...) are thin click commands; everything they
do lives in this package, one module per concern.
"""
