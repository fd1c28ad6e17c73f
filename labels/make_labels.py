"""Regenerate the DeepSpectrum label files in this folder from MTG's split TSVs.

Run from the repository root (as a module, so that `augli` is importable):

    python -m labels.make_labels MEDIAEVAL19/mtg-jamendo-dataset/data/splits/split-0 labels
"""

from pathlib import Path

import click

from augli.data import SPLITS, label_csv, read_split, split_tsv
from augli.files import write_text


@click.command()
@click.argument("split_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("output_dir", type=click.Path(file_okay=False, path_type=Path))
def main(split_dir, output_dir):
    """Write OUTPUT_DIR/autotagging_moodtheme-{train,validation,test}.csv from SPLIT_DIR's TSVs."""
    contents = {split: label_csv(read_split(split_tsv(split_dir, split))) for split in SPLITS}
    for split, text in contents.items():
        target = output_dir / f"autotagging_moodtheme-{split}.csv"
        write_text(target, text)
        click.echo(f"wrote {target} ({text.count(chr(10)) - 1} tracks)")


if __name__ == "__main__":
    main()
