"""One table across runs: the mean and spread of several fusion results.tsv files.

Follow-up papers report a system over the five splits or over several seeds as mean ± std per row
and metric. This reads each run's results.tsv exactly as `augli.metrics.format_table` writes it and
refuses, in one line, anything that would make the average mean something else: another header,
a value that is not a number, runs whose rows differ, or a single run.

The spread is numpy's population standard deviation, `np.std(ddof=0)`: the runs are taken as the
whole set being described, as in the tables this mirrors, not as a sample of a larger one.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from augli.errors import AugliError
from augli.files import read_lines, write_text
from augli.metrics import METRICS

RESULTS_FILE = "results.tsv"
SUMMARY_FILE = "across-runs.tsv"
RUNS_FILE = "runs.txt"
SUMMARY_COLUMNS = ("row", "metric", "mean", "std", "runs")


@dataclass
class AcrossRuns:
    runs: list  # the results.tsv files averaged, in the order given
    rows: list  # row names, in the first run's order
    mean: np.ndarray  # rows x METRICS
    std: np.ndarray  # rows x METRICS, population std (ddof=0)


def results_path(path):
    """A run given as fusion's output folder or as its results.tsv, resolved so that runs.txt says which file."""
    path = Path(path)
    if not path.exists():
        raise AugliError(f"{path} does not exist (give a fusion output folder or its {RESULTS_FILE})")
    found = path / RESULTS_FILE if path.is_dir() else path
    if not found.is_file():
        raise AugliError(f"no {RESULTS_FILE} in {path}: is it a fusion.py -o folder?")
    return found.resolve()


def read_results(path):
    """{row: the ten METRICS values} of one results.tsv; any other layout is refused, naming file and line."""
    lines = [line.rstrip("\r") for line in read_lines(path, "results table")]
    lines = [line for line in lines if line]
    if not lines or lines[0].split("\t") != ["", *METRICS]:
        raise AugliError(f"{path}: the header is not a tab then the metrics {' '.join(METRICS)}")
    table = {}
    for number, line in enumerate(lines[1:], start=2):
        name, *cells = line.split("\t")
        if len(cells) != len(METRICS):
            raise AugliError(f"{path} line {number}: {len(cells)} values, expected {len(METRICS)}")
        if name in table:
            raise AugliError(f"{path} line {number}: row {name!r} appears twice")
        table[name] = np.array([_number(cell, path, number, metric) for cell, metric in zip(cells, METRICS)])
    if not table:
        raise AugliError(f"{path}: no rows below the header")
    return table


def _number(cell, path, number, metric):
    try:
        value = float(cell)
    except ValueError:
        value = None
    if value is None or not np.isfinite(value):
        raise AugliError(f"{path} line {number}: {metric} is {cell!r}, not a finite number")
    return value


def summarise(tables):
    """Per row and metric, np.mean and np.std(ddof=0) over the runs ({results file: table}, in order)."""
    if len(tables) < 2:
        raise AugliError(f"{len(tables)} run given: a mean and std across runs needs at least 2")
    (first, first_table), *others = tables.items()
    for path, table in others:
        missing, extra = _names(first_table.keys() - table.keys()), _names(table.keys() - first_table.keys())
        if missing or extra:
            raise AugliError(f"{path} has other rows than {first}: missing {missing or 'none'}, extra {extra or 'none'}")
    rows = list(first_table)
    stacked = np.array([[table[row] for row in rows] for table in tables.values()])
    return AcrossRuns(runs=list(tables), rows=rows, mean=np.mean(stacked, axis=0), std=np.std(stacked, axis=0, ddof=0))


def _names(names):
    return ", ".join(sorted(names))


def across_runs(paths):
    """Resolve, read and summarise the runs; reads everything, writes nothing."""
    files = [results_path(path) for path in paths]
    repeated = sorted({str(path) for path in files if files.count(path) > 1})
    if repeated:
        raise AugliError(f"{repeated[0]} is given more than once: each run must count once")
    return summarise({path: read_results(path) for path in files})


def format_summary(summary):
    """`row metric mean std runs` lines, rows in the first run's order and metrics in METRICS order."""
    lines = ["\t".join(SUMMARY_COLUMNS)]
    lines += [f"{row}\t{metric}\t{summary.mean[i, j]:.6f}\t{summary.std[i, j]:.6f}\t{len(summary.runs)}"
              for i, row in enumerate(summary.rows) for j, metric in enumerate(METRICS)]
    return "\n".join(lines) + "\n"


def pretty_summary(summary):
    """The terminal table: a line per metric, a column per row, cells `mean ± std`, right-aligned."""
    cells = [[f"{summary.mean[i, j]:.6f} ± {summary.std[i, j]:.6f}" for i in range(len(summary.rows))]
             for j in range(len(METRICS))]
    widths = [max(len(row), *(len(line[i]) for line in cells)) for i, row in enumerate(summary.rows)]
    width = max(len(name) for name in METRICS)
    header = " " * width + "".join(f" {row:>{w}}" for row, w in zip(summary.rows, widths))
    lines = [f"{metric:<{width}}" + "".join(f" {cell:>{w}}" for cell, w in zip(line, widths))
             for metric, line in zip(METRICS, cells)]
    return "\n".join([header] + lines)


def write_summary(output_dir, summary):
    """across-runs.tsv and runs.txt (the results files used, one per line), each written atomically."""
    output_dir = Path(output_dir)
    write_text(output_dir / SUMMARY_FILE, format_summary(summary))
    write_text(output_dir / RUNS_FILE, "".join(f"{path}\n" for path in summary.runs))
