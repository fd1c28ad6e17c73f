"""Regenerate the DeepSpectrum label files in this folder from MTG's split TSVs.

Run from the repository root (as a module, so that `augli` is importable):

    python -m labels.make_labels MEDIAEVAL19/mtg-jamendo-dataset/data/splits/split-0 labels

The files here are the original's, for split-0 of mood/theme; reproduce.sh writes those of another split
or subset (`--subset genre`, say) into that run's own folder, never here.
"""

from pathlib import Path

import click

from augli.data import SPLITS, label_csv, read_split, split_file_name, split_tsv
from augli.files import write_text
from augli.options import subset_option


@click.command()
@click.argument("split_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("output_dir", type=click.Path(file_okay=False, path_type=Path))
@subset_option("MTG-Jamendo subset whose split TSVs to read (autotagging-<split>.tsv for all).")
def main(split_dir, output_dir, subset):
    """Write OUTPUT_DIR/autotagging_<subset>-{train,validation,test}.csv from SPLIT_DIR's TSVs."""
    contents = {split: label_csv(read_split(split_tsv(split_dir, split, subset))) for split in SPLITS}
    for split, text in contents.items():
        target = output_dir / f"{split_file_name(split, subset)}.csv"
        write_text(target, text)
        click.echo(f"wrote {target} ({text.count(chr(10)) - 1} tracks)")


if __name__ == "__main__":
    main()
