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

# Tests of tf.distribute need several devices; TensorFlow can split its CPU only before it starts,
# so the whole session runs with two logical CPU devices. Ops are placed on the first unless a test
# names the second, so nothing else changes.
TEST_CPU_DEVICES = 2


def pytest_configure(config):
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * TEST_CPU_DEVICES)
