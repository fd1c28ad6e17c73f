"""Train a CRNN tagger (decibel mel front end, VGGish, LSTM / BiLSTM / GRU head) on 16 kHz mono wavs.

    python crnn.py -mep MEDIAEVAL19/ -ebp ./fusion/crnn/lstm -rt lstm \
        -tr MEDIAEVAL19/mtg-jamendo-dataset/data/splits/split-0/autotagging_moodtheme-train.tsv \
        -v MEDIAEVAL19/mtg-jamendo-dataset/data/splits/split-0/autotagging_moodtheme-validation.tsv \
        -te MEDIAEVAL19/mtg-jamendo-dataset/data/splits/split-0/autotagging_moodtheme-test.tsv
"""

from pathlib import Path

import click

from augli.data import split_0_tsv
from augli.options import below_media_eval_path, distribution_options, recurrent_head_options
from augli.params import RANDOM_NOISE, TEST_CROPS
from vggish.params import DEFAULT_WEIGHTS_PATH

TSV = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-mep", "--media-eval-path", type=click.Path(file_okay=False, path_type=Path), default="./MEDIA-EVAL19",
              show_default=True, help="Folder holding mtg-jamendo-dataset/ and wav/.")
@click.option("-tr", "--train-csv", type=TSV,
              **below_media_eval_path(split_0_tsv, "train", "Training split TSV (MTG-Jamendo layout)."))
@click.option("-v", "--val-csv", type=TSV, **below_media_eval_path(
    split_0_tsv, "validation", "Validation split TSV: model selection and thresholds."))
@click.option("-te", "--test-csv", type=TSV, **below_media_eval_path(split_0_tsv, "test", "Test split TSV to predict."))
# The original's defaults, which are the paper's values.
@click.option("-bs", "--batch-size", type=click.IntRange(min=1), default=32, show_default=True,
              help="Training and validation batch size.")
@click.option("-e", "--epochs", type=click.IntRange(min=1), default=100, show_default=True,
              help="Epochs of both phases together (no early stopping).")
@click.option("-lr", "--learning-rate", type=click.FloatRange(0, 1, min_open=True), default=0.001, show_default=True,
              help="Phase 1 learning rate; phase 2 uses a tenth of it.")
@click.option("-dornn", "--rnn-dropout", type=click.FloatRange(0, 1, max_open=True), default=0.3, show_default=True,
              help="Dropout and recurrent dropout of the RNN layers.")
@click.option("-dof", "--dropout-final", type=click.FloatRange(0, 1, max_open=True), default=0.3, show_default=True,
              help="Dropout before the output layer.")
@click.option("-nw", "--n-workers", type=click.IntRange(min=1), default=4, show_default=True,
              help="Threads reading (and augmenting) audio crops.")
@click.option("-ebp", "--experiment-base-path", type=click.Path(path_type=Path), default="./experiments",
              show_default=True, help="Folder for the checkpoints, logs, predictions and evaluation.")
@recurrent_head_options(256, "Units per RNN layer (per direction for bilstm); the dense layer has 1024.")
@click.option("-ps", "--pitch-shift", type=click.IntRange(min=0), default=None,
              help="Augmentation: shift training crops by a random whole number of semitones in [-PS, PS].")
@click.option("-ts", "--time-stretch", type=click.FloatRange(0, 1, max_open=True), default=None,
              help="Augmentation: stretch training crops by a random rate in [1 - TS, 1 + TS].")
@click.option("-rn", "--random-noise", type=click.FloatRange(0, 1), default=RANDOM_NOISE, show_default=True,
              help="Gaussian noise on the decibel mel while training; its std is drawn once from U(0, RN). 0: none.")
@click.option("-w", "--window", type=click.IntRange(min=1), default=20, show_default=True,
              help="Crop length in seconds.")
@click.option("-ftp", "--fine_tune_portion", "fine_tune_portion", type=click.FloatRange(0, 1), default=0.8,
              show_default=True, help="Share of the epochs spent fine-tuning VGGish (phase 2).")
@click.option("--audio-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder of the wavs, in the TSV PATH layout.  [default: MEDIA_EVAL_PATH/wav]")
@click.option("-vw", "--vggish-weights", default=str(DEFAULT_WEIGHTS_PATH),
              show_default="vggish/vggish_audioset_weights_without_fc2.h5",
              help="VGGish weights in DTaoo's h5 layout, or `none` for random initial weights.")
@click.option("--test-batch-size", type=click.IntRange(min=1), default=1, show_default=True,
              help="Crops per test batch. The band normalisation pools over the batch, so this changes the "
                   "scores; the original predicted one track at a time.")
@click.option("--test-crops", type=click.Choice(TEST_CROPS), default="middle", show_default=True,
              help="middle: the original's one crop per test track; all: the mean score of every whole window.")
@distribution_options
@click.option("--seed", type=int, default=42, show_default=True,
              help="Seed of weights, crops, batch order, noise and dropout.")
@click.option("--resume", is_flag=True, help="Continue the interrupted run in -ebp from its last completed epoch.")
@click.option("--overwrite", is_flag=True, help="Replace the outputs of a previous run in -ebp.")
@click.option("--quiet", is_flag=True, help="No progress bars; only the one line per epoch.")
def main(**options):
    """Train on -tr, select the epoch on -v, predict -te, evaluate when the ground truth is under -mep.

    Phase 1 trains the recurrent head on a frozen VGGish; phase 2 fine-tunes everything at a tenth
    of the learning rate. Wavs are read from MEDIA_EVAL_PATH/wav/<PATH with .wav> (prepare_audio.py).
    """
    from augli.crnn_training import train_crnn  # TensorFlow starts only for a real run

    train_crnn(options)


if __name__ == "__main__":
    main()
