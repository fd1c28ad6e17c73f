"""Train an LSTM, BiLSTM or GRU tagger on DeepSpectrum window sequences (the npz files of transform_features.py).

    python train_rnn.py -mep MEDIAEVAL19/ -ebp ./fusion/DeepSpectrum/1s/lstm \
        -tr MEDIAEVAL19/features/DeepSpectrum/1s/train.npz -v MEDIAEVAL19/features/DeepSpectrum/1s/validation.npz \
        -te MEDIAEVAL19/features/DeepSpectrum/1s/test.npz -rt lstm
"""

from pathlib import Path

import click

from augli.data import sequences_npz
from augli.options import below_media_eval_path, distribution_options, recurrent_head_options

NPZ = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-mep", "--media-eval-path", type=click.Path(file_okay=False, path_type=Path), default="./MEDIA-EVAL19",
              show_default=True, help="Folder holding mtg-jamendo-dataset/ (for the test ground truth).")
@click.option("-tr", "--train-npz", type=NPZ, **below_media_eval_path(sequences_npz, "train", "Training sequences."))
@click.option("-v", "--val-npz", type=NPZ, **below_media_eval_path(
    sequences_npz, "validation", "Validation sequences: model selection, early stopping and thresholds."))
@click.option("-te", "--test-npz", type=NPZ,
              **below_media_eval_path(sequences_npz, "test", "Test sequences to predict."))
# The paper's values (the original's defaults); -bs is honoured here, the original ignored it (Keras used 32).
@click.option("-bs", "--batch-size", type=click.IntRange(min=1), default=32, show_default=True)
@click.option("-e", "--epochs", type=click.IntRange(min=1), default=1000, show_default=True,
              help="Maximum epochs; training stops 100 epochs after the best validation ROC-AUC.")
@click.option("-lr", "--learning-rate", type=click.FloatRange(min=0, min_open=True), default=0.001, show_default=True)
@click.option("-dornn", "--rnn-dropout", type=click.FloatRange(0, 1, max_open=True), default=0.4, show_default=True,
              help="Dropout and recurrent dropout of the RNN layers.")
@click.option("-dof", "--dropout-final", type=click.FloatRange(0, 1, max_open=True), default=0.4, show_default=True,
              help="Dropout before the output layer.")
@click.option("-ebp", "--experiment-base-path", type=click.Path(path_type=Path), default=".experiments",
              show_default=True, help="Folder for the checkpoints, logs, predictions and evaluation.")
@recurrent_head_options(1024, "Units per RNN layer (per direction for bilstm), also the width of the dense layer.")
@distribution_options
@click.option("--seed", type=int, default=42, show_default=True, help="Seed of weights, batch order and dropout.")
@click.option("--resume", is_flag=True, help="Continue the interrupted run in -ebp from its last completed epoch.")
@click.option("--overwrite", is_flag=True, help="Replace the outputs of a previous run in -ebp.")
@click.option("--quiet", is_flag=True, help="No Keras progress bars; only the one line per epoch.")
def main(**options):
    """Train on -tr, select the epoch on -v, predict -te, evaluate when the ground truth is under -mep."""
    from augli.sequence_training import train_sequence_tagger  # TensorFlow starts only for a real run

    train_sequence_tagger(options)


if __name__ == "__main__":
    main()
