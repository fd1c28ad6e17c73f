"""Paths to the shipped fixtures (see fixtures/SOURCE.md) and helpers shared by the tests."""

from pathlib import Path

from click.testing import CliRunner

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"
MEP = FIXTURES / "MEDIAEVAL19"
DATASET = MEP / "mtg-jamendo-dataset"
SPLIT_0 = DATASET / "data" / "splits" / "split-0"
RESULTS = DATASET / "results" / "mediaeval"
SUBMISSIONS = FIXTURES / "mediaeval2019-task" / "submissions"


def read_result_table(path):
    """An organisers' result table as {row: {metric: "%.6f string"}}, kept as text for exact comparison."""
    header, *rows = Path(path).read_text().splitlines()
    metrics = header.split("\t")[1:]
    return {cells[0]: dict(zip(metrics, cells[1:])) for cells in (row.split("\t") for row in rows)}


def read_metric_lines(path):
    """A `name<TAB>value` file as {name: value string}."""
    return dict(line.split("\t") for line in Path(path).read_text().splitlines())


def assert_refused(command, args, message, path, exit_code=1):
    """The command refuses `args` with the one line `Error: <message>`, no traceback, and leaves `path` uncreated."""
    result = CliRunner().invoke(command, args)
    assert result.exit_code == exit_code, result.output
    assert result.output.splitlines()[-1] == f"Error: {message}"
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert not path.exists()
