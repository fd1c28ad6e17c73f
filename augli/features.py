"""DeepSpectrum feature CSVs (augli.feature_csv) to the npz files train_rnn reads.

The conversion streams: a first pass reads only the `name` and `timeStamp` of each line, checks
the tracks against the split TSV and decides where every line's features go; a second pass parses
the numbers straight into the output array. Peak memory is the output array plus one read chunk,
never the CSV text or a DataFrame of it. A split extracted in shards (augli.shards) is read the same
way, its shard CSVs one after another, as if they were one.

Values are what the original got from pandas: the cell's decimal string rounded to float64, then
to float32 (`np.float32(float(cell))`).
"""

import contextlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import click
import numba
import numpy as np
from tqdm import tqdm

from augli.data import PAPER_SUBSET, SPLITS, binarize, read_split, split_tsv, tags_of
from augli.errors import AugliError
from augli.feature_csv import NEURON_PREFIX, RUN_CONTROL_OPTIONS, read_header, read_record
from augli.files import atomic_open
from augli.sequences import save_sequences
from augli.shards import merged_record, split_csvs

READ_CHUNK_BYTES = 32 << 20  # bounds the parser's memory; larger chunks are no faster
SLOW_CELLS_PER_CALL = 1 << 16  # cells the kernel hands back to Python for exact rounding, per call

# Kernel outcomes.
_DONE, _SLOW_CELLS_FULL, _BAD_CELL, _FIELD_COUNT, _MORE_LINES = range(5)
# 10**k is exact in float64 for k <= 22: m / 10**k and m * 10**k are then correctly rounded (Clinger).
_EXACT_POWERS_OF_TEN = np.array([10.0**k for k in range(23)])
_MAX_EXACT_MANTISSA = 2**53
_MANTISSA_DIGITS_LIMIT = 10**17  # stop accumulating digits before int64 overflows
_EXPONENT_LIMIT = 100_000  # beyond any float; keeps the exponent from overflowing



@dataclass(frozen=True)
class CsvIndex:
    """Where each line after a CSV's header goes: output row `dests[csv][i]` of the (tracks x windows) rows, or -1 (skipped)."""

    dests: tuple  # one array per CSV of the split
    tracks: int
    windows: int
    ignored_tracks: int


def common_width(csv_paths):
    """The feature width of a split's CSVs, which its shards must share."""
    widths = [read_header(csv_path) for csv_path in csv_paths]
    other = next((position for position, width in enumerate(widths) if width != widths[0]), None)
    if other is not None:
        raise AugliError(f"{csv_paths[other]} has {widths[other]} features per row, {csv_paths[0]} has {widths[0]}")
    return widths[0]


def index_csvs(csv_paths, tracks, tsv_name):
    """First pass: check a split's CSVs (one, or its shards in order) against the split; say where each line's features go.

    Every track of the split must have the same number of windows, with distinct timeStamps;
    windows keep the CSVs' row order. Tracks that the split does not list are skipped.
    """
    slot_of = {track.path.encode("utf-8"): slot for slot, track in enumerate(tracks)}
    stamps = [[] for _ in tracks]
    csv_of_slot = [None] * len(tracks)  # the CSV holding the track's first row, for the errors
    ignored = set()
    lines = [_index_lines(csv_path, slot_of, stamps, csv_of_slot, ignored) for csv_path in csv_paths]
    windows = _check_windows(csv_paths, tracks, stamps, csv_of_slot, tsv_name)
    dests = tuple(np.where(slots >= 0, slots * windows + line_windows, -1) for slots, line_windows in lines)
    return CsvIndex(dests=dests, tracks=len(tracks), windows=windows, ignored_tracks=len(ignored))


def _index_lines(csv_path, slot_of, stamps, csv_of_slot, ignored):
    """(slot, window) arrays of the lines after the CSV's header (slot -1: skipped); adds the tracks' timeStamps to `stamps`."""
    line_slots, line_windows = [], []
    with open(csv_path, "rb") as handle, _progress(csv_path, "indexing") as progress:
        progress.update(len(handle.readline()))
        for number, line in enumerate(handle, start=2):
            progress.update(len(line))
            if line in (b"\n", b"\r\n"):  # blank: the parser skips it like an ignored track's line
                line_slots.append(-1)
                line_windows.append(0)
                continue
            first = line.find(b",")
            second = line.find(b",", first + 1)
            if second < 0:
                raise AugliError(f"{csv_path} line {number} has {line.count(b',') + 1} field(s), the header has more")
            name = line[:first]
            slot = slot_of.get(name, -1)
            line_slots.append(slot)
            if slot < 0:
                ignored.add(name)
                line_windows.append(0)
                continue
            if csv_of_slot[slot] is None:
                csv_of_slot[slot] = csv_path
            line_windows.append(len(stamps[slot]))
            stamps[slot].append(line[first + 1:second])
    return np.array(line_slots, dtype=np.int64), np.array(line_windows, dtype=np.int64)


def _check_windows(csv_paths, tracks, stamps, csv_of_slot, tsv_name):
    """The common window count of the split's tracks; a missing track, another count or a repeated timeStamp is an error."""
    missing = [track.path for track, track_stamps in zip(tracks, stamps) if not track_stamps]
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise AugliError(f"{_they_have(csv_paths)} no rows for track {missing[0]} of {tsv_name}{more}")
    windows = Counter(len(track_stamps) for track_stamps in stamps).most_common(1)[0][0]
    for track, track_stamps, csv_path in zip(tracks, stamps, csv_of_slot):
        if len(track_stamps) != windows:
            raise AugliError(f"{csv_path}: track {track.path} has {len(track_stamps)} windows, "
                             f"the other tracks have {windows}")
        if len(set(track_stamps)) != windows:
            repeated = next(stamp for stamp, count in Counter(track_stamps).items() if count > 1)
            raise AugliError(f"{csv_path}: track {track.path} has timeStamp {repeated.decode()} more than once")
    return windows


def _they_have(csv_paths):
    """A message's subject: `DIR/train.csv has`, or for shards `DIR/train-1-of-3.csv to train-3-of-3.csv have`."""
    if len(csv_paths) == 1:
        return f"{csv_paths[0]} has"
    return f"{csv_paths[0]} to {csv_paths[-1].name} have"


def parse_features(csv_paths, index, width):
    """Second pass: the features of the split's CSVs as a float32 (tracks, windows, width) array, tracks in split order."""
    features = np.empty((index.tracks * index.windows, width), dtype=np.float32)  # every row is written once
    slow_cells = np.empty((max(SLOW_CELLS_PER_CALL, width), 5), dtype=np.int64)  # room for one line at least
    for csv_path, dest in zip(csv_paths, index.dests):
        _parse_csv(csv_path, dest, features, slow_cells)
    return features.reshape(index.tracks, index.windows, width)


def _parse_csv(csv_path, dest, features, slow_cells):
    """Parse the lines after the CSV's header into `features[dest[line]]`."""
    line = 0
    with open(csv_path, "rb") as handle, _progress(csv_path, "parsing") as progress:
        progress.update(len(handle.readline()))
        for chunk in _line_chunks(handle):
            position = 0
            while True:
                status, position, line, column, cell, n_slow = _parse_lines(
                    chunk, position, line, dest, features, slow_cells)
                _round_slow_cells(csv_path, chunk, slow_cells[:n_slow], features)
                if status == _DONE:
                    break
                if status != _SLOW_CELLS_FULL:
                    _raise_parse_error(csv_path, chunk, status, position, line, column, cell, features.shape[1])
            progress.update(chunk.size)
    if line != dest.size:
        raise AugliError(f"{csv_path} changed while it was read: {dest.size} lines indexed, {line} parsed")


def _line_chunks(handle):
    """Reuses one buffer: uint8 views of whole lines, each ending with a newline (added to a last line without one)."""
    buffer = bytearray(READ_CHUNK_BYTES)
    filled = 0
    while True:
        read = handle.readinto(memoryview(buffer)[filled:])
        filled += read
        end = buffer.rfind(b"\n", 0, filled) + 1
        if read == 0:
            if filled:
                yield np.frombuffer(bytes(buffer[:filled]) + b"\n", dtype=np.uint8)
            return
        if end:
            yield np.frombuffer(buffer, dtype=np.uint8, count=end)
            buffer[:filled - end] = buffer[end:filled]
            filled -= end
        elif filled == len(buffer):  # a line longer than the buffer
            buffer = buffer + bytearray(len(buffer))


def _round_slow_cells(csv_path, chunk, slow_cells, features):
    """Round the cells the kernel cannot round exactly (long mantissa, large exponent) as float(cell) -> float32."""
    for row, column, start, end, line in slow_cells:
        value = float(chunk[start:end].tobytes())
        with np.errstate(over="ignore"):
            rounded = np.float32(value)
        if not np.isfinite(rounded):
            _raise_bad_cell(csv_path, chunk, line + 2, start, column)
        features[row, column] = rounded


def _raise_parse_error(csv_path, chunk, status, line_start, line, column, cell, width):
    if status == _MORE_LINES:
        raise AugliError(f"{csv_path} changed while it was read: it has more lines than when it was indexed")
    number = line + 2  # the header is line 1
    if status == _BAD_CELL:
        _raise_bad_cell(csv_path, chunk, number, cell, column)
    text = chunk[line_start:].tobytes()
    fields = text[:text.index(b"\n")].count(b",") + 1
    raise AugliError(f"{csv_path} line {number} has {fields} fields, the header has {width + 2}")


def _raise_bad_cell(csv_path, chunk, number, cell, column):
    text = chunk[cell:].tobytes()
    text = text[:min(position for position in (text.find(b","), text.find(b"\n")) if position >= 0)]
    shown = text.rstrip(b"\r").decode("utf-8", "replace")
    raise AugliError(f"{csv_path} line {number}, column {NEURON_PREFIX}{column}: {shown!r} is not a finite number")


@numba.njit(cache=True, nogil=True)
def _parse_lines(buffer, position, line, dest, features, slow_cells):
    """Parse whole lines from `position` into `features[dest[line]]` until the buffer (ending in a newline) is done.

    Returns (status, position, line, column, cell, slow cell count): on an error, `position` is the
    start of the bad line and `cell` the start of the bad cell. Cells it cannot round exactly in
    float64 go to `slow_cells` as (row, column, start, end, line) for Python to finish; when that table
    could overflow it returns early with _SLOW_CELLS_FULL, to be called again from `position`.
    """
    size = buffer.size
    width = features.shape[1]
    n_slow = 0
    while position < size:
        start = position
        if line >= dest.size:
            return _MORE_LINES, start, line, 0, 0, n_slow
        row = dest[line]
        if row < 0:
            while buffer[position] != 10:
                position += 1
            position += 1
            line += 1
            continue
        if n_slow + width > slow_cells.shape[0]:
            return _SLOW_CELLS_FULL, start, line, 0, 0, n_slow
        commas = 0
        while commas < 2:
            if buffer[position] == 10:
                return _FIELD_COUNT, start, line, 0, 0, n_slow
            if buffer[position] == 44:
                commas += 1
            position += 1
        for column in range(width):
            cell = position
            negative = buffer[position] == 45
            if negative or buffer[position] == 43:
                position += 1
            mantissa = 0
            exponent = 0
            digits = 0
            exact = True
            while 48 <= buffer[position] <= 57:
                digit = buffer[position] - 48
                if mantissa < _MANTISSA_DIGITS_LIMIT:
                    mantissa = mantissa * 10 + digit
                else:
                    exponent += 1
                    exact = exact and digit == 0
                digits += 1
                position += 1
            if buffer[position] == 46:
                position += 1
                while 48 <= buffer[position] <= 57:
                    digit = buffer[position] - 48
                    if mantissa < _MANTISSA_DIGITS_LIMIT:
                        mantissa = mantissa * 10 + digit
                        exponent -= 1
                    else:
                        exact = exact and digit == 0
                    digits += 1
                    position += 1
            if digits == 0:
                return _BAD_CELL, start, line, column, cell, n_slow
            if buffer[position] == 101 or buffer[position] == 69:
                position += 1
                exponent_negative = buffer[position] == 45
                if exponent_negative or buffer[position] == 43:
                    position += 1
                exponent_digits = 0
                written_exponent = 0
                while 48 <= buffer[position] <= 57:
                    if written_exponent < _EXPONENT_LIMIT:
                        written_exponent = written_exponent * 10 + (buffer[position] - 48)
                    exponent_digits += 1
                    position += 1
                if exponent_digits == 0:
                    return _BAD_CELL, start, line, column, cell, n_slow
                exponent += -written_exponent if exponent_negative else written_exponent
            end = position
            if buffer[position] == 13 and buffer[position + 1] == 10:
                position += 1
            delimiter = buffer[position]
            if column < width - 1:
                if delimiter == 10:
                    return _FIELD_COUNT, start, line, column, cell, n_slow
                if delimiter != 44:
                    return _BAD_CELL, start, line, column, cell, n_slow
            else:
                if delimiter == 44:
                    return _FIELD_COUNT, start, line, column, cell, n_slow
                if delimiter != 10:
                    return _BAD_CELL, start, line, column, cell, n_slow
            position += 1
            if mantissa == 0:
                value = 0.0
            elif exact and mantissa <= _MAX_EXACT_MANTISSA and -22 <= exponent <= 22:
                if exponent >= 0:
                    value = mantissa * _EXACT_POWERS_OF_TEN[exponent]
                else:
                    value = mantissa / _EXACT_POWERS_OF_TEN[-exponent]
            else:
                slow_cells[n_slow, 0] = row
                slow_cells[n_slow, 1] = column
                slow_cells[n_slow, 2] = cell
                slow_cells[n_slow, 3] = end
                slow_cells[n_slow, 4] = line
                n_slow += 1
                value = 0.0
            features[row, column] = -value if negative else value
        line += 1
    return _DONE, position, line, 0, 0, n_slow


@dataclass(frozen=True)
class SplitFiles:
    csvs: list  # `<split>.csv`, or its shards in order
    tsv: Path
    npz: Path


def split_files(feature_dir, label_dir, split, subset=PAPER_SUBSET):
    """`FEATURE_DIR/<split>.csv` (or its shards `<split>-K-of-N.csv`) with `LABEL_DIR/autotagging_<subset>-<split>.tsv`
    into `FEATURE_DIR/<split>.npz`."""
    return SplitFiles(csvs=split_csvs(feature_dir, split), tsv=split_tsv(label_dir, split, subset),
                      npz=Path(feature_dir) / f"{split}.npz")


def transform_features(feature_dir, label_dir, splits=SPLITS, compress=False, subset=PAPER_SUBSET):
    """Convert the splits' CSVs to npz files; returns the npz paths.

    Every split is binarised with the training split's tags. All inputs are checked and indexed
    before any parsing, and the npz files are renamed into place only when all splits succeeded.
    """
    train_tsv = split_tsv(label_dir, "train", subset)
    jobs = [split_files(feature_dir, label_dir, split, subset) for split in splits]
    inputs = [train_tsv] + [path for job in jobs for path in (job.tsv, *job.csvs)]
    missing = next((path for path in inputs if not path.is_file()), None)
    if missing is not None:
        raise AugliError(f"missing input file {missing}")
    tags = tags_of(read_split(train_tsv))
    indexed = []
    for job in jobs:
        tracks = read_split(job.tsv)
        labels = binarize(tracks, tags, source=job.tsv)
        width = common_width(job.csvs)
        index = index_csvs(job.csvs, tracks, job.tsv.name)
        if index.ignored_tracks:
            click.echo(f"Warning: {_they_have(job.csvs)} {index.ignored_tracks} track(s) that {job.tsv.name} does not "
                       f"list; they are ignored", err=True)
        extraction = merged_record(job.csvs, [read_record(csv_path) for csv_path in job.csvs], RUN_CONTROL_OPTIONS)
        indexed.append((job, tracks, labels, width, index, extraction))
    with contextlib.ExitStack() as outputs:
        for job, tracks, labels, width, index, extraction in indexed:
            features = parse_features(job.csvs, index, width)
            handle = outputs.enter_context(atomic_open(job.npz, "wb"))
            save_sequences(handle, [track.path for track in tracks], labels, features, tags, compress,
                           extraction)
            del features  # before the next split's array is allocated
    return [job.npz for job in jobs]


def _progress(csv_path, action):
    return tqdm(total=Path(csv_path).stat().st_size, unit="B", unit_scale=True, desc=f"{action} {Path(csv_path).name}",
                leave=False)
