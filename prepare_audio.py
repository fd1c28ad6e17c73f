"""Convert the MTG-Jamendo tracks to the 16 kHz mono 16-bit wavs the CRNN reads, keeping the folders.

    python prepare_audio.py MEDIAEVAL19/audio MEDIAEVAL19/wav
"""

from pathlib import Path

import click

from augli.conversion import prepare_audio
from augli.errors import AugliError
from augli.workers import DEFAULT_JOBS


@click.command()
@click.argument("source_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("output_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--tsv",
    "split_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Convert only the PATHs of this split TSV (repeat for several); default: every audio file below SOURCE_DIR.",
)
@click.option(
    "--sha256",
    "checksum_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="MTG's '<hash> <path>' list (data/download/*_sha256_tracks.txt): verify each source before converting it.",
)
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=DEFAULT_JOBS, show_default=True, help="Worker processes.")
def main(source_dir, output_dir, split_files, checksum_file, jobs):
    """Convert the audio below SOURCE_DIR to wavs below OUTPUT_DIR; finished wavs are skipped."""
    tally = prepare_audio(source_dir, output_dir, split_files, checksum_file, jobs)
    click.echo(tally.summary())
    if tally.failures:
        total = tally.converted + tally.already_done + len(tally.failures)
        raise AugliError(f"{len(tally.failures)} of {total} tracks failed")


if __name__ == "__main__":
    main()
