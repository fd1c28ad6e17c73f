"""Convert DeepSpectrum feature CSVs to the npz files train_rnn.py reads.

python transform_features.py FEATURE_DIR LABEL_DIR [--subset genre]
reads FEATURE_DIR/{train,validation,test}.csv with LABEL_DIR/autotagging_<subset>-{split}.tsv
(mood/theme by default) and writes FEATURE_DIR/{split}.npz.
"""

from pathlib import Path

import click

from augli.data import SPLITS
from augli.features import transform_features
from augli.options import subset_option


def _parse_splits(context, parameter, value):
    splits = [split.strip() for split in value.split(",") if split.strip()]
    unknown = [split for split in splits if split not in SPLITS]
    if unknown or not splits:
        raise click.BadParameter(f"{value!r}: give a comma-separated subset of {','.join(SPLITS)}")
    return [split for split in SPLITS if split in splits]


@click.command()
@click.argument("feature_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("label_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--splits", default=",".join(SPLITS), show_default=True, callback=_parse_splits,
              help="Comma-separated splits to convert.")
@click.option("--compress/--no-compress", default=False, show_default=True,
              help="Write with np.savez_compressed as the original did (smaller, several times slower).")
@subset_option("MTG-Jamendo subset whose split TSVs LABEL_DIR holds (autotagging-<split>.tsv for all).")
def main(feature_dir, label_dir, splits, compress, subset):
    """Convert FEATURE_DIR/<split>.csv (DeepSpectrum, run with -nl) to FEATURE_DIR/<split>.npz."""
    for path in transform_features(feature_dir, label_dir, splits, compress, subset):
        click.echo(f"wrote {path}")


if __name__ == "__main__":
    main()
