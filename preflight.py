"""Check, before the paper run starts, everything it will need: reproduce.sh --paper runs this first, --check alone.

    python preflight.py MEDIAEVAL19 [OUTPUT_DIR] [--low-quality]
"""

from pathlib import Path

import click

from augli.errors import AugliError
from augli.preflight import preflight
from vggish.params import DEFAULT_WEIGHTS_PATH


@click.command()
@click.argument("data_root", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("output_dir", type=click.Path(path_type=Path), default=".")
@click.option("--low-quality", is_flag=True,
              help="The audio is MTG's audio-low download (ID.low.mp3): check it against that download's sha256 list.")
@click.option("-vw", "--vggish-weights", type=click.Path(path_type=Path), default=DEFAULT_WEIGHTS_PATH,
              show_default=True, help="The VGGish weights crnn.py will load.")
def main(data_root, output_dir, low_quality, vggish_weights):
    """Check the metadata, audio, weights, GPUs and disk space of a run on DATA_ROOT into OUTPUT_DIR; writes nothing."""
    report = preflight(data_root, output_dir, "audio-low" if low_quality else "audio", vggish_weights)
    click.echo("\n".join(report.lines))
    for note in report.notes:
        click.echo(f"note: {note}")
    if report.problems:
        raise AugliError(report.message())


if __name__ == "__main__":
    main()
