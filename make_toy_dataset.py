"""Generate a small MTG-Jamendo look-alike whose tags can be heard, for the demo and the tests.

    python make_toy_dataset.py build/demo/MEDIAEVAL19
"""

from pathlib import Path

import click

from augli.options import split_option, subset_option
from augli.toy import TOY_TAGS, make_toy_dataset
from augli.workers import DEFAULT_JOBS


@click.command()
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.option("--train", "n_train", type=click.IntRange(min=1), default=60, show_default=True, help="Training tracks.")
@click.option("--validation", "n_validation", type=click.IntRange(min=1), default=20, show_default=True,
              help="Validation tracks.")
@click.option("--test", "n_test", type=click.IntRange(min=1), default=20, show_default=True, help="Test tracks.")
@click.option("--duration", type=click.FloatRange(min=1), default=35.0, show_default=True, help="Seconds per track.")
@click.option("--sample-rate", type=click.IntRange(min=16000, max=48000), default=22050, show_default=True,
              help="Hz of the mp3s (prepare_audio.py resamples them to 16 kHz).")
@click.option("--tags", "n_tags", type=click.IntRange(min=1, max=len(TOY_TAGS)), default=len(TOY_TAGS), show_default=True,
              help="How many of the toy tags to use (each split needs at least as many tracks).")
@split_option("Which of MTG-Jamendo's splits the TSVs are laid out as.")
@subset_option("Whose file names and tag names the toy takes (the sounds stay the same).")
@click.option("--seed", type=int, default=0, show_default=True, help="Decides every track, tag and sample.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=DEFAULT_JOBS, show_default=True, help="Worker processes.")
def main(out, n_train, n_validation, n_test, duration, sample_rate, n_tags, split_number, subset, seed, jobs):
    """Write a toy dataset to OUT (a new or empty folder): OUT/audio/NN/ID.mp3, OUT/mtg-jamendo-dataset/
    (split TSVs, sha256 list, and for split-0 mood/theme the tag list and ground truth), OUT/labels/
    (DeepSpectrum label files),
    OUT/vggish-random-weights.h5 (random VGGish weights for crnn.py -vw) and OUT/toy-dataset.json (the
    settings and what each tag sounds like)."""
    sizes = {"train": n_train, "validation": n_validation, "test": n_test}
    splits = make_toy_dataset(out, sizes, duration, sample_rate, n_tags, seed, jobs, split_number, subset)
    counts = ", ".join(f"{len(tracks)} {split}" for split, tracks in splits.items())
    click.echo(f"wrote {out}: {subset} split-{split_number}, {counts} tracks of {duration:g} s, {n_tags} tags")


if __name__ == "__main__":
    main()
