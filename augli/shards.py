"""Sharded extraction: the K-th of N slices of a track list, and a split's shard CSVs put back together.

deepspectrum_features.py --shard K/N extracts one contiguous slice of the tracks it would
otherwise extract, so that N GPUs or machines share the work; transform_features.py reads the
shards `<split>-K-of-N.csv` one after another, in K order, as if they were the one `<split>.csv`
of the unsharded run, and merges their provenance records into that run's record.
"""

import re
from dataclasses import dataclass
from pathlib import Path, PurePath

from augli.errors import AugliError
from augli.feature_csv import record_file

SHARD_NAME = re.compile(r"(?P<split>.+)-(?P<index>[1-9][0-9]*)-of-(?P<count>[1-9][0-9]*)\.csv")
SHARD_OPTION = "shard"
OUTPUT_OPTION = "output"
# What a shard's record says about its own tracks: the sums and concatenation make the unsharded run's.
SHARD_TALLIES = ("tracks", "rows", "skipped")


@dataclass(frozen=True)
class Shard:
    index: int  # 1 to count
    count: int

    def __str__(self):
        return f"{self.index}/{self.count}"


def parse_shard(text):
    """`K/N` as a Shard; a ValueError says what is wrong."""
    index, slash, count = text.partition("/")
    if not (slash and index.isdigit() and count.isdigit()):
        raise ValueError(f"{text!r} is not K/N (e.g. 1/2: the first of two shards)")
    shard = Shard(int(index), int(count))
    if not 1 <= shard.index <= shard.count:
        raise ValueError(f"{text!r}: K must be between 1 and N")
    return shard


def shard_slice(length, shard):
    """The shard's slice of `length` items: contiguous, sizes differing by at most one, earlier slices the larger.

    Slices 1/N .. N/N are numpy.array_split's: disjoint, in order, together every item.
    """
    size, larger = divmod(length, shard.count)
    start = (shard.index - 1) * size + min(shard.index - 1, larger)
    return slice(start, start + size + (shard.index <= larger))


def take_shard(tracks, shard):
    """The shard's tracks, or all of them when `shard` is None; a shard without tracks is refused."""
    if shard is None:
        return tracks
    if len(tracks) < shard.count:
        raise AugliError(f"--shard {shard}: {len(tracks)} track(s) cannot be split into {shard.count} shards")
    return tracks[shard_slice(len(tracks), shard)]


def shard_csv_name(split, shard):
    return f"{split}-{shard.index}-of-{shard.count}.csv"


def shard_named(csv_path):
    """The shard a CSV's name `<split>-K-of-N.csv` says, or None."""
    match = SHARD_NAME.fullmatch(Path(csv_path).name)
    return Shard(int(match["index"]), int(match["count"])) if match else None


def split_csvs(feature_dir, split):
    """The CSVs of a split, in order: all its shards `<split>-K-of-N.csv` (K = 1..N), else `<split>.csv`.

    Without shards the answer is `<split>.csv`, whether it exists or not (the caller reports it missing).
    """
    feature_dir = Path(feature_dir)
    whole = feature_dir / f"{split}.csv"
    shards = {path: shard_named(path) for path in (feature_dir.iterdir() if feature_dir.is_dir() else ())
              if shard_named(path) is not None and _split_named(path) == split}
    if not shards:
        return [whole]
    found = sorted(shards, key=lambda path: (shards[path].count, shards[path].index))
    if whole.exists():
        raise AugliError(f"both {whole} and shards of it ({found[0].name}, ...) are there: keep one or the other")
    count = shards[found[0]].count
    if any(shard.count != count for shard in shards.values()):
        raise AugliError(f"shards of different counts in {feature_dir}: {', '.join(path.name for path in found)}")
    beyond = [path for path in found if shards[path].index > count]
    if beyond:
        raise AugliError(f"{beyond[0]} names shard {shards[beyond[0]]}, which does not exist")
    paths = [feature_dir / shard_csv_name(split, Shard(index, count)) for index in range(1, count + 1)]
    missing = [path for path in paths if path not in shards]
    if missing:
        raise AugliError(f"missing shard {missing[0]}: all {count} shards of {split} are needed")
    return paths


def merged_record(csv_paths, records, run_control):
    """The provenance record of the run the CSVs make up (a split's one CSV, or its shards in order); None if they have none.

    Shards' records may differ only in the shard itself (its number, output and tallies) and in
    the options that steer how a run is carried out (`run_control`, e.g. -np); where shards
    differ in such an option, the merged record lists their values in shard order. Every record must
    name the shard its CSV's name says (a renamed file would merge the wrong rows).
    """
    if all(record is None for record in records):
        return None
    for path, record in zip(csv_paths, records):
        _check_record(path, record, shard_named(path))
    if shard_named(csv_paths[0]) is None:
        return records[0]
    first = records[0]
    for path, record in zip(csv_paths[1:], records[1:]):
        difference = _first_difference(_shared_part(first, run_control), _shared_part(record, run_control))
        if difference is not None:
            raise AugliError(f"{record_file(path)} and {record_file(csv_paths[0])} differ in {difference}: "
                             "the shards of one split must come from one extraction")
    options = {**first["options"], SHARD_OPTION: None,
               OUTPUT_OPTION: str(PurePath(first["options"][OUTPUT_OPTION]).with_name(f"{_split_named(csv_paths[0])}.csv"))}
    for name in run_control:
        values = [record["options"].get(name) for record in records]
        if any(value != values[0] for value in values):
            options[name] = values
    return {**first, "options": options, "tracks": sum(record["tracks"] for record in records),
            "rows": sum(record["rows"] for record in records),
            "skipped": [line for record in records for line in record["skipped"]]}


def _check_record(csv_path, record, shard):
    record_path = record_file(csv_path)
    if record is None:
        raise AugliError(f"{record_path} is missing, yet the other shards of the split have their record")
    options = record.get("options")
    if shard is not None and not (isinstance(options, dict) and OUTPUT_OPTION in options
                                  and all(key in record for key in SHARD_TALLIES)):
        raise AugliError(f"{record_path} is not a finished extraction's record (options.output, tracks, rows, skipped)")
    recorded = options.get(SHARD_OPTION) if isinstance(options, dict) else None
    if recorded != (None if shard is None else str(shard)):
        raise AugliError(f"{record_path} records shard {recorded or 'none'}, but the name {Path(csv_path).name} says "
                         f"{shard or 'none'}")


def _split_named(shard_path):
    return SHARD_NAME.fullmatch(Path(shard_path).name)["split"]


def _shared_part(record, run_control):
    """What every shard of one extraction records alike."""
    options = {name: value for name, value in record["options"].items()
               if name not in (SHARD_OPTION, OUTPUT_OPTION, *run_control)}
    return {**{key: value for key, value in record.items() if key not in SHARD_TALLIES}, "options": options}


def _first_difference(first, other, where=""):
    """The dotted name of the first entry where two JSON records differ, or None."""
    if isinstance(first, dict) and isinstance(other, dict):
        for key in sorted(set(first) | set(other)):
            difference = _first_difference(first.get(key), other.get(key), f"{where}.{key}" if where else key)
            if difference is not None:
                return difference
        return None
    return None if first == other else where
