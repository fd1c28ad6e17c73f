"""Check, before the paper run starts, everything it will need: reproduce.sh --paper runs this first, --check alone.

    python preflight.py MEDIAEVAL19 [OUTPUT_DIR] [--low-quality] [--split K --subset NAME --features-dir DIR]

MediaEval 2019's split (split-0, mood/theme) is checked against the pinned sha256 of its files; another
split or subset only for its TSVs being there and readable.
"""

from pathlib import Path

import click

from augli.errors import AugliError
from augli.options import split_option, subset_option
from augli.preflight import preflight
from vggish.params import DEFAULT_WEIGHTS_PATH


@click.command()
@click.argument("data_root", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("output_dir", type=click.Path(path_type=Path), default=".")
@click.option("--low-quality", is_flag=True,
              help="The audio is MTG's audio-low download (ID.low.mp3): check it against that download's sha256 list.")
@click.option("-vw", "--vggish-weights", type=click.Path(path_type=Path), default=DEFAULT_WEIGHTS_PATH,
              show_default=True, help="The VGGish weights crnn.py will load.")
@split_option("Which of MTG-Jamendo's splits the run trains on.")
@subset_option("Which MTG-Jamendo subset the run trains on.")
@click.option("--features-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where the run writes its DeepSpectrum features  [default: DATA_ROOT/features/DeepSpectrum]")
def main(data_root, output_dir, low_quality, vggish_weights, split_number, subset, features_dir):
    """Check the metadata, audio, weights, GPUs and disk space of a run on DATA_ROOT into OUTPUT_DIR; writes nothing."""
    report = preflight(data_root, output_dir, "audio-low" if low_quality else "audio", vggish_weights,
                       split_number, subset, features_dir)
    click.echo("\n".join(report.lines))
    for note in report.notes:
        click.echo(f"note: {note}")
    if report.problems:
        raise AugliError(report.message())


if __name__ == "__main__":
    main()
