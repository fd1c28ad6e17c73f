"""Paths to the shipped fixtures (see fixtures/SOURCE.md) and helpers shared by the tests."""

from pathlib import Path

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
