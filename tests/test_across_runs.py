"""across_runs.py end to end, in-process, on results.tsv files written in fusion.py's exact format."""

import numpy as np
import pytest
from click.testing import CliRunner

from across_runs import main
from augli.fusion import TABLE_ROWS
from augli.metrics import METRICS, format_table
from conftest import assert_refused, read_result_table

ROWS = list(TABLE_ROWS.values())


def refused(args, message, path):
    """Refused with `Error: <message>` as the whole output (nothing printed before it), `path` not created."""
    assert_refused(main, args, message, path)
    assert CliRunner().invoke(main, args).output == f"Error: {message}\n"


def write_run(folder, rng, rows=ROWS):
    """A fusion output folder holding only results.tsv, with random metric values."""
    folder.mkdir(parents=True)
    table = {row: dict(zip(METRICS, rng.random(len(METRICS)))) for row in rows}
    (folder / "results.tsv").write_text(format_table(table))
    return folder


@pytest.fixture
def three_runs(tmp_path):
    rng = np.random.default_rng(7)
    return [write_run(tmp_path / f"split-{split}" / "fusion-results", rng) for split in range(3)]


def test_mean_and_population_std_of_every_cell(three_runs, tmp_path):
    out = tmp_path / "across"
    result = CliRunner().invoke(main, [*map(str, three_runs), "-o", str(out)])
    assert result.exit_code == 0, result.output

    inputs = [read_result_table(run / "results.tsv") for run in three_runs]  # the values as written, to 6 decimals
    lines = (out / "across-runs.tsv").read_text().splitlines()
    assert lines[0] == "row\tmetric\tmean\tstd\truns"
    assert [tuple(line.split("\t")[:2]) for line in lines[1:]] == [(row, metric) for row in ROWS for metric in METRICS]
    for line in lines[1:]:
        row, metric, mean, std, runs = line.split("\t")
        values = [float(table[row][metric]) for table in inputs]
        assert mean == f"{np.mean(values):.6f}"
        assert std == f"{np.std(values, ddof=0):.6f}"
        assert runs == "3"

    resolved = [str((run / "results.tsv").resolve()) for run in three_runs]
    assert (out / "runs.txt").read_text().splitlines() == resolved
    assert [line for line in result.output.splitlines() if line.startswith("run: ")] == [f"run: {path}" for path in resolved]

    crnn = [float(table["crnn"]["ROC-AUC-micro"]) for table in inputs]
    cell = f"{np.mean(crnn):.6f} ± {np.std(crnn, ddof=0):.6f}"
    output = result.output.splitlines()
    header = next(line for line in output if line.split() == ROWS)
    table_line = next(line for line in output if line.startswith("ROC-AUC-micro "))
    assert " ".join(table_line.split()[4:7]) == cell  # the second column: metric, then all's three tokens
    assert header.index(" crnn") + len(" crnn") == table_line.index(cell) + len(cell)  # right-aligned under its row


def test_the_spread_is_the_population_std(tmp_path):
    """Runs of all zeros and all ones: std 0.5 with ddof=0 (the sample std, ddof=1, would be 0.707107)."""
    runs = []
    for value in (0.0, 1.0):
        runs.append(tmp_path / f"seed-{value:.0f}")
        runs[-1].mkdir()
        (runs[-1] / "results.tsv").write_text(format_table({"all": dict.fromkeys(METRICS, value)}))
    result = CliRunner().invoke(main, [*map(str, runs), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "across-runs.tsv").read_text().splitlines()[1:] == [
        f"all\t{metric}\t0.500000\t0.500000\t2" for metric in METRICS]
    assert "0.500000 ± 0.500000" in result.output


def test_a_results_file_counts_as_its_folder(three_runs, tmp_path):
    args = [str(three_runs[0] / "results.tsv"), *map(str, three_runs[1:]), "-o", str(tmp_path / "out")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "runs.txt").read_text().splitlines()[0] == str((three_runs[0] / "results.tsv").resolve())


def test_refuses_runs_whose_rows_differ(three_runs, tmp_path):
    other = write_run(tmp_path / "seed-9", np.random.default_rng(1), rows=["all", "crnn", "ds-9s"])
    path = (other / "results.tsv").resolve()
    first = (three_runs[0] / "results.tsv").resolve()
    refused([*map(str, three_runs), str(other), "-o", str(tmp_path / "out")],
            f"{path} has other rows than {first}: missing ds-1s, ds-5s, ds-all, extra ds-9s", tmp_path / "out")


def test_refuses_a_single_run(three_runs, tmp_path):
    refused([str(three_runs[0]), "-o", str(tmp_path / "out")],
            "1 run given: a mean and std across runs needs at least 2", tmp_path / "out")


def test_refuses_a_missing_folder(three_runs, tmp_path):
    missing = tmp_path / "split-4" / "fusion-results"
    refused([*map(str, three_runs), str(missing), "-o", str(tmp_path / "out")],
            f"{missing} does not exist (give a fusion output folder or its results.tsv)", tmp_path / "out")


def test_refuses_a_folder_without_results_and_the_same_run_twice(three_runs, tmp_path):
    refused([str(three_runs[0]), str(tmp_path), "-o", str(tmp_path / "out")],
            f"no results.tsv in {tmp_path}: is it a fusion.py -o folder?", tmp_path / "out")
    first = (three_runs[0] / "results.tsv").resolve()
    refused([str(three_runs[0]), str(first), "-o", str(tmp_path / "out")],
            f"{first} is given more than once: each run must count once", tmp_path / "out")


def set_cell(text, line, column, value):
    """The table with the cell at (line, column), both counted from 0, replaced by `value`."""
    lines = text.splitlines()
    cells = lines[line].split("\t")
    cells[column] = value
    lines[line] = "\t".join(cells)
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("edit, message", [
    (lambda text: set_cell(text, 0, 1, "PR-AUC"), ": the header is not a tab then the metrics " + " ".join(METRICS)),
    (lambda text: set_cell(text, 1, 8, "x"), " line 2: F-score-micro is 'x', not a finite number"),
    (lambda text: set_cell(text, 2, 1, "nan"), " line 3: PR-AUC-macro is 'nan', not a finite number"),
    (lambda text: set_cell(text, 1, 10, ""), " line 2: recall-micro is '', not a finite number"),
    (lambda text: text.replace("\t", "", 1).replace("\ncrnn\t", "\ncrnn\t0.5\t"), ": the header is not a tab then the metrics " + " ".join(METRICS)),
    (lambda text: text + "all" + "\t0.5" * (len(METRICS) - 1) + "\n", " line 7: 9 values, expected 10"),
    (lambda text: text + "all" + "\t0.5" * len(METRICS) + "\n", " line 7: row 'all' appears twice"),
    (lambda text: text.splitlines()[0] + "\n", ": no rows below the header"),
])
def test_refuses_a_malformed_table(three_runs, tmp_path, edit, message):
    path = three_runs[1] / "results.tsv"
    path.write_text(edit(path.read_text()))
    refused([*map(str, three_runs), "-o", str(tmp_path / "out")], f"{path.resolve()}{message}", tmp_path / "out")
