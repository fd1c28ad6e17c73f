"""DeepSpectrum 0.6.9's feature CSV, as the extractor writes it and the conversion to npz reads it.

A header `name,timeStamp,neuron_0..neuron_<W-1>` (extracted with -nl: no label column), then one line
per window, `csv.writer`'s CRLF at the end; beside each CSV the extraction's provenance record
(train.csv -> train.json).
"""

import json
from pathlib import Path

from augli.errors import AugliError

NAME_COLUMN = "name"
TIME_COLUMN = "timeStamp"
NEURON_PREFIX = "neuron_"
LINE_END = "\r\n"  # csv.writer's, which DeepSpectrum wrote with
# A name holding one of these would need csv quoting, which the conversion does not read.
CSV_SPECIAL_CHARACTERS = (",", '"', "\r", "\n")
# Extraction options that steer how a run is carried out, not the values it writes (--no-deterministic: only
# their last bits): a resumed run may change them, and the shards of one extraction may differ in them.
RUN_CONTROL_OPTIONS = ("resume", "overwrite", "skip_bad", "number_of_processes", "batch_size", "explicit_label",
                       "deterministic")


def csv_header(width):
    """DeepSpectrum's header (extracted with -nl) for features of `width` values."""
    return ",".join([NAME_COLUMN, TIME_COLUMN] + [f"{NEURON_PREFIX}{index}" for index in range(width)])


def read_header(csv_path):
    """The feature width W of a CSV whose header is `name,timeStamp,neuron_0..neuron_<W-1>`."""
    try:
        with open(csv_path, "rb") as handle:
            header = handle.readline().decode("utf-8-sig").rstrip("\r\n")
    except (OSError, UnicodeDecodeError) as error:
        raise AugliError(f"cannot read {csv_path}: {error}") from None
    columns = header.split(",")
    neurons = columns[2:]
    width = next((index for index, column in enumerate(neurons) if column != f"{NEURON_PREFIX}{index}"), len(neurons))
    if columns[:2] != [NAME_COLUMN, TIME_COLUMN] or width == 0:
        shown = ",".join(columns[:3]) + (",..." if len(columns) > 3 else "")
        raise AugliError(f"{csv_path} is not a DeepSpectrum feature CSV: its header starts {shown!r}, "
                         f"expected 'name,timeStamp,neuron_0,...'")
    if width < len(neurons):
        extra = neurons[width]
        if width == len(neurons) - 1 and not extra.startswith(NEURON_PREFIX):
            raise AugliError(f"{csv_path} has a label column {extra!r} after neuron_{width - 1}: "
                             f"extract the features with DeepSpectrum's -nl (no labels)")
        raise AugliError(f"{csv_path}: header column {width + 3} is {extra!r}, expected '{NEURON_PREFIX}{width}'")
    return width


def csv_rows(name, timestamps, features):
    """A track's lines as DeepSpectrum's csv.writer wrote them, values as str(np.float32); runs in a worker process."""
    cells = features.astype(str)  # numpy's shortest round-trip text, the same as str(np.float32(value))
    return "".join(f"{name},{stamp},{','.join(row)}{LINE_END}" for stamp, row in zip(timestamps, cells))


def record_file(csv_path):
    """The provenance record beside a CSV: train.csv -> train.json (a shard's train-1-of-2.csv -> train-1-of-2.json)."""
    return Path(csv_path).with_suffix(".json")


def read_record(csv_path):
    """The provenance deepspectrum_features.py wrote beside the CSV, or None where there is none."""
    record_path = record_file(csv_path)
    if not record_path.is_file():
        return None
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise AugliError(f"cannot read the extraction record {record_path}: {error}") from None
    if not isinstance(record, dict):
        raise AugliError(f"the extraction record {record_path} is not a JSON object")
    return record
