"""Late fusion of the trained models' test scores, scored with the challenge's metrics.

    python fusion.py -mep MEDIAEVAL19 -o fusion-results

The ground truth is the test split's tags (-te; for MediaEval 2019's split-0 they are the organisers'
groundtruth.npy, cell for cell), so any split or subset of MTG-Jamendo is scored the same way.
"""

from pathlib import Path

import click

from augli import data
from augli.fusion import THRESHOLD_PROTOCOLS, TABLE_ROWS, results_table, run_fusion, write_outputs
from augli.metrics import METRICS
from augli.options import below_media_eval_path


@click.command()
@click.option("-mep", "--media-eval-path", default="./MEDIA-EVAL19", show_default=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Folder holding mtg-jamendo-dataset/ (the split TSVs).")
@click.option("-o", "--output-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write fused scores, thresholds, decisions, metrics, results.tsv and a plot here.")
@click.option("-fbp", "--fusion-base-path", default="./fusion", show_default=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="Folder searched for the models' predictions.npy (the trainers' -ebp folders).")
@click.option("--thresholds", "protocol", type=click.Choice(list(THRESHOLD_PROTOCOLS)), default="test",
              show_default=True,
              help="Tune the per-tag decision thresholds on the test set (official 2019 protocol) "
                   "or on the validation set (needs validation-predictions.npy beside each model).")
@click.option("-te", "--test-csv", "test_tsv", type=click.Path(dir_okay=False, path_type=Path),
              **below_media_eval_path(data.split_0_tsv, "test",
                                      "Test split TSV: its tags are the ground truth the fusions are scored against."))
@click.option("-v", "--val-tsv", type=click.Path(dir_okay=False, path_type=Path),
              **below_media_eval_path(data.split_0_tsv, "validation",
                                      "Validation split TSV for --thresholds validation."))
def main(media_eval_path, output_dir, fusion_base_path, test_tsv, protocol, val_tsv):
    """Average the test scores of every model below the fusion base path, per group
    (all, crnn, ds, ds-1s, ds-5s), and evaluate each fusion against the test split's tags."""
    groups, tags = run_fusion(fusion_base_path, test_tsv, protocol, val_tsv, exclude=output_dir)

    fused = {group.name for group in groups}
    for name in TABLE_ROWS:
        if name not in fused:
            click.echo(f"note: group {name} matches no predictions.npy below {fusion_base_path}; skipped")
    for group in groups:
        click.echo(f"{group.name}: {len(group.models)} model(s)")
    click.echo(f"thresholds: {THRESHOLD_PROTOCOLS[protocol]}")
    click.echo(_pretty_table(results_table(groups)))
    if output_dir is not None:
        write_outputs(output_dir, groups, tags, protocol)
        click.echo(f"results written to {output_dir}")


def _pretty_table(rows):
    width = max(len(name) for name in METRICS)
    header = " " * width + "".join(f" {row:>8}" for row in rows)
    lines = [f"{metric:<{width}}" + "".join(f" {rows[row][metric]:8.6f}" for row in rows) for metric in METRICS]
    return "\n".join([header] + lines)


if __name__ == "__main__":
    main()
