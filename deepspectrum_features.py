"""Extract DeepSpectrum features (VGG16 fc2 of mel-spectrogram pictures) into DeepSpectrum 0.6.9's CSV.

    python deepspectrum_features.py MEDIAEVAL19/audio -t 5 5 -s 0 -e 29 -en VGG16 -el fc2 -fs mel -cm magma -m mel -nl \\
        -lf labels/autotagging_moodtheme-train.csv -o MEDIAEVAL19/features/DeepSpectrum/5s/train.csv

The original's `deepspectrum features` command line, with its flags; the CSV is what
transform_features.py reads.
"""

import decimal
from pathlib import Path

import click

from augli.options import deterministic_option
from augli.shards import Shard, parse_shard
from augli.spectrogram_image import RENDERERS, RESIZE_FILTERS
from augli.workers import DEFAULT_JOBS


class PositiveDecimal(click.ParamType):
    """Seconds as a Decimal, as DeepSpectrum parsed them (timeStamps are written from these)."""

    name = "seconds"

    def __init__(self, allow_zero=False):
        self.allow_zero = allow_zero

    def convert(self, value, parameter, context):
        if isinstance(value, decimal.Decimal):
            return value
        try:
            seconds = decimal.Decimal(str(value))
        except decimal.InvalidOperation:
            self.fail(f"{value!r} is not a number of seconds", parameter, context)
        if not seconds.is_finite() or seconds < 0 or (seconds == 0 and not self.allow_zero):
            self.fail(f"{value!r} must be {'zero or more' if self.allow_zero else 'more than zero'}", parameter, context)
        return seconds


class ShardParameter(click.ParamType):
    """K/N, 1 <= K <= N."""

    name = "K/N"

    def convert(self, value, parameter, context):
        if isinstance(value, Shard):
            return value
        try:
            return parse_shard(value)
        except ValueError as error:
            self.fail(str(error), parameter, context)


def _check_weights(context, parameter, value):
    if value in ("imagenet", "none") or Path(value).is_file():
        return value
    raise click.BadParameter(f"{value!r} is neither 'imagenet', 'none' nor a weights file")


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("audio_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("-t", "--window-size-and-hop", nargs=2, type=PositiveDecimal(), required=True,
              help="Window length and hop in seconds (DeepSpectrum's -t WINDOW HOP).")
@click.option("-s", "--start", type=PositiveDecimal(allow_zero=True), default="0", show_default=True,
              help="Seconds to skip at the start of each file.")
@click.option("-e", "--end", type=PositiveDecimal(), default=None,
              help="Seconds of audio to use from -s on: a duration, as DeepSpectrum used it. Default: to the end.")
@click.option("-en", "--extraction-network", type=click.Choice(["vgg16"], case_sensitive=False), default="vgg16",
              show_default=True, help="The network (any case: the original README wrote VGG16).")
@click.option("-fl", "--feature-layer", default="fc2", show_default=True, help="The layer whose output is written.")
@click.option("-el", "--explicit-label", default=None, help="Accepted for the original's commands and ignored (-nl).")
@click.option("-fs", "--frequency-scale", type=click.Choice(["linear", "log", "mel"]), default="mel", show_default=True,
              help="Ignored: mel mode always draws the mel axis, as in DeepSpectrum.")
@click.option("-cm", "--colour-map", default="viridis", show_default=True,
              help="matplotlib colour map of the pictures (the paper: magma).")
@click.option("-m", "--mode", type=click.Choice(["mel"]), default="mel", show_default=True,
              help="Kind of picture; only mel spectrograms, what the paper's features used.")
@click.option("-nm", "--number-of-melbands", type=click.IntRange(min=1), default=128, show_default=True,
              help="Mel bands of the pictures.")
@click.option("-nl", "--no-labels", is_flag=True,
              help="Write no label columns. Required: transform_features.py reads CSVs without them.")
@click.option("-lf", "--label-file", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Extract only the files this DeepSpectrum label file lists (first column, after a header; "
                   "tab-separated if .tsv). Default: every audio file below AUDIO_DIR.")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True,
              help="The CSV to write; its folder is created. The provenance goes beside it (train.csv -> train.json).")
@click.option("-bs", "--batch-size", type=click.IntRange(min=1), default=128, show_default=True,
              help="Pictures per network batch.")
@click.option("-np", "--number-of-processes", type=click.IntRange(min=1), default=DEFAULT_JOBS, show_default=True,
              help="Worker processes that decode and draw while the network runs.")
@click.option("--weights", default="imagenet", show_default=True, callback=_check_weights,
              help="VGG16 weights: imagenet (Keras fetches and caches them), the path of "
                   "vgg16_weights_tf_dim_ordering_tf_kernels.h5, or none (random, for toy data and tests).")
@click.option("--renderer", type=click.Choice(RENDERERS), default="numpy", show_default=True,
              help="numpy paints the pictures directly; matplotlib draws them as DeepSpectrum did (slow).")
@click.option("--resize", type=click.Choice(list(RESIZE_FILTERS)), default="bicubic", show_default=True,
              help="Pillow filter for 227 -> 224 pixels: bicubic (Pillow >= 7's default) or nearest (Pillow 6's).")
@click.option("--shard", type=ShardParameter(), default=None,
              help="Extract only the K-th of N equal, contiguous slices of the track list (e.g. 1/2), so that N GPUs or "
                   "machines share the work; every machine must see the same list. Name the output "
                   "SPLIT-K-of-N.csv (train-1-of-2.csv): transform_features.py reads the N shards as SPLIT.csv. "
                   "Default: every track.")
@deterministic_option
@click.option("--resume", is_flag=True, help="Continue an interrupted run from the tracks already in OUTPUT.part.")
@click.option("--overwrite", is_flag=True, help="Replace an existing output (or an interrupted run).")
@click.option("--skip-bad", is_flag=True, help="Skip unreadable or too short files and list them at the end.")
def main(**options):
    """Write the DeepSpectrum features of the audio files below AUDIO_DIR to -o, one row per window."""
    from augli.deepspectrum import extract_features  # Keras is imported only for a real run

    summary = extract_features(options)
    click.echo(f"wrote {summary.rows} rows of {summary.tracks} tracks to {summary.csv}")
    for line in summary.skipped:
        click.echo(f"SKIPPED {line}")


if __name__ == "__main__":
    main()
