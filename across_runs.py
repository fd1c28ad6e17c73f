"""One table across runs: mean ± std of fusion.py's results.tsv over splits or seeds.

    for split in 0 1 2 3 4; do ./reproduce.sh --split $split MEDIAEVAL19 build; done
    python across_runs.py build/moodtheme-split{0,1,2,3,4}-seed42/fusion-results/thresholds-test -o build/across-splits
"""

from pathlib import Path

import click

from augli.across_runs import RESULTS_FILE, RUNS_FILE, SUMMARY_FILE, across_runs, pretty_summary, write_summary


@click.command()
@click.argument("result_dirs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output-dir", type=click.Path(file_okay=False, path_type=Path),
              help=f"Write {SUMMARY_FILE} (row, metric, mean, std, runs) and {RUNS_FILE} "
                   f"(the {RESULTS_FILE} files used) here.")
def main(result_dirs, output_dir):
    """Average fusion.py's results over runs (splits or seeds): per row and metric, the mean and
    the population standard deviation (numpy std with ddof=0) over the runs.

    Each RESULT_DIR is a fusion.py -o folder or its results.tsv; at least two are needed, all with
    the same rows. Nothing is written if any is refused.

    \b
    Example, the five splits of mood/theme run by reproduce.sh --split N:
      python across_runs.py build/moodtheme-split{0,1,2,3,4}-seed42/fusion-results/thresholds-test
    """
    summary = across_runs(result_dirs)
    for path in summary.runs:
        click.echo(f"run: {path}")
    click.echo(pretty_summary(summary))
    if output_dir is not None:
        write_summary(output_dir, summary)
        click.echo(f"mean and std (ddof=0) over {len(summary.runs)} runs written to {output_dir}")


if __name__ == "__main__":
    main()
