"""Paths to the shipped fixtures (see fixtures/SOURCE.md), helpers shared by the tests, and the smoke run."""

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from augli.toy import make_toy_dataset

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"
MEP = FIXTURES / "MEDIAEVAL19"
DATASET = MEP / "mtg-jamendo-dataset"
SPLIT_0 = DATASET / "data" / "splits" / "split-0"
RESULTS = DATASET / "results" / "mediaeval"
SUBMISSIONS = FIXTURES / "mediaeval2019-task" / "submissions"
SMOKE_SIZES = {"train": 6, "validation": 4, "test": 4}
SMOKE_TAGS = 4
SMOKE_DURATION_S = 6.0


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


def reproduce(*arguments, cwd=REPO):
    """Run reproduce.sh with this interpreter's folder first on PATH, so that `python` is the project's."""
    environment = dict(os.environ, PATH=f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ['PATH']}")
    return subprocess.run(["bash", str(REPO / "reproduce.sh"), *map(str, arguments)], cwd=cwd, env=environment,
                          capture_output=True, text=True)


@dataclass(frozen=True)
class SmokeRun:
    root: Path  # the toy DATA_ROOT
    out: Path  # the OUTPUT_DIR: fusion/ and fusion-results/
    splits: dict  # {split: tracks}, as make_toy_dataset drew them
    result: subprocess.CompletedProcess


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory):
    """`reproduce.sh --smoke` on a toy dataset, run once per session (its 20 processes take minutes): the
    end-to-end test checks its files, and test_tag tags with the models it trained."""
    folder = tmp_path_factory.mktemp("smoke")
    root, out = folder / "MEDIAEVAL19", folder / "build"
    splits = make_toy_dataset(root, SMOKE_SIZES, duration_s=SMOKE_DURATION_S, n_tags=SMOKE_TAGS)
    return SmokeRun(root, out, splits, reproduce("--smoke", root, out))


def assert_smoke_run_succeeded(run):
    assert run.result.returncode == 0, run.result.stdout[-3000:] + run.result.stderr[-3000:]
