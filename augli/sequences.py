"""The per-split sequence files (transform_features writes them, the trainers read them) and their checks.

Each `<split>.npz` holds, as the original's did, `names` (track PATHs, TSV order), `y` (tracks x tags,
0/1), `X` (tracks x windows x features, float32) and `tags` (the tag names, in column order). Ours
add `extraction` where the features' CSV had its provenance beside it (deepspectrum_features.py's
`<split>.json`): that record as JSON text, so that a model trained on the npz can name the exact
settings that made its inputs. An npz without it still loads.

The 1 s training `X` is 4.7 GB, so it is never held in memory whole when that can be avoided: it is
written block by block, and read as a memory map of the file when the npz is uncompressed (a stored
zip member is a plain `.npy` at an offset). Only a compressed member is read into memory.
"""

import json
import math
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from augli.errors import AugliError
from augli.metrics import check_scorable

REQUIRED_ARRAYS = ("X", "y", "tags")
EXTRACTION_ARRAY = "extraction"
NAMES_ARRAY = "names"  # an npz written elsewhere may lack it: only MediaEval 2019's ground-truth check needs it
# Bytes of X written, or scanned for NaN/inf, at a time: bounds the temporaries whatever the split's size.
BLOCK_BYTES = 16 * 2**20
# Zip local file header: signature, 22 bytes we do not need, file name length, extra field length.
_LOCAL_HEADER = struct.Struct("<4s22xHH")
_LOCAL_HEADER_SIGNATURE = b"PK\x03\x04"
_NPY_HEADER_READERS = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}


def save_sequences(handle, names, y, X, tags, compress=False, extraction=None):
    """Write one split's npz to an open binary file; `compress` as the original's savez_compressed.

    `extraction` (a JSON-serialisable record of how X was made) is stored when given.
    """
    save_sequences_in_blocks(handle, names, y, X.shape, [X], tags, compress, extraction)


def save_sequences_in_blocks(handle, names, y, shape, X_blocks, tags, compress=False, extraction=None):
    """As `save_sequences`, with X of `shape` given as consecutive blocks of tracks (any number of them).

    The npz is the one np.savez / np.savez_compressed would write, but X never has to be in memory whole.
    """
    compression = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(handle, "w", compression, allowZip64=True) as archive:
        _write_member(archive, "names", np.array(names, dtype=str))
        _write_member(archive, "y", y)
        with archive.open("X.npy", "w", force_zip64=True) as member:
            np.lib.format.write_array_header_1_0(member, {"descr": "<f4", "fortran_order": False, "shape": tuple(shape)})
            n_tracks = 0
            for block in X_blocks:
                block = np.asarray(block, dtype="<f4")
                if block.shape[1:] != tuple(shape[1:]):
                    raise ValueError(f"an X block of shape {block.shape} does not fit X of shape {tuple(shape)}")
                for tracks in track_blocks(block):
                    member.write(np.ascontiguousarray(block[tracks]).data)
                n_tracks += len(block)
            if n_tracks != shape[0]:
                raise ValueError(f"X blocks hold {n_tracks} tracks, the shape says {shape[0]}")
        _write_member(archive, "tags", np.array(tags, dtype=str))
        if extraction is not None:
            _write_member(archive, EXTRACTION_ARRAY, np.array(json.dumps(extraction, sort_keys=True)))


def _write_member(archive, name, array):
    with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
        np.lib.format.write_array(member, np.asanyarray(array), allow_pickle=False)


def track_blocks(X, block_bytes=BLOCK_BYTES):
    """Slices of consecutive tracks of X, each about `block_bytes` (at least one track)."""
    track_bytes = max(1, math.prod(X.shape[1:]) * X.dtype.itemsize)
    step = max(1, block_bytes // track_bytes)
    return [slice(start, min(start + step, len(X))) for start in range(0, len(X), step)]


@dataclass(frozen=True)
class Sequences:
    path: Path
    X: np.ndarray  # (tracks, windows, features) float32; a read-only memory map when the npz is uncompressed
    y: np.ndarray  # (tracks, tags) float32 0/1
    tags: tuple
    extraction: dict | None = None  # how X was made (deepspectrum_features.py's record), when the npz holds it
    names: tuple = ()  # the tracks' PATHs, when the npz holds them

    @property
    def n_features(self):
        return self.X.shape[2]


def load_sequences(path):
    """One split's npz, with every check that needs only this file."""
    path = Path(path)
    X, y, tags, extraction, names = _read_arrays(path, REQUIRED_ARRAYS, optional=(EXTRACTION_ARRAY, NAMES_ARRAY))
    extraction = None if extraction is None else _parse_record(path, extraction)
    if X.ndim != 3:
        raise AugliError(f"X in {path} must be tracks x windows x features, found shape {X.shape}")
    if X.dtype.kind not in "biuf":
        raise AugliError(f"X in {path} must hold numbers, found dtype {X.dtype}")
    if y.ndim != 2 or tags.ndim != 1 or y.shape[1] != len(tags):
        raise AugliError(f"y in {path} must be tracks x {len(tags)} tags, found shape {y.shape}")
    if len(X) != len(y):
        raise AugliError(f"{path}: X holds {len(X)} tracks, y holds {len(y)}")
    if not np.isin(y, (0, 1)).all():
        raise AugliError(f"y in {path} holds values other than 0 and 1")
    if X.dtype != np.float32:
        X = X.astype(np.float32)  # only files not written by transform_features: a copy in memory
    first_bad = first_non_finite(X)
    if first_bad is not None:
        track, window, feature = first_bad
        raise AugliError(f"X in {path} holds NaN or inf (first at track {track}, window {window}, feature {feature})")
    names = () if names is None else tuple(str(name) for name in names)
    if names and len(names) != len(y):
        raise AugliError(f"{path}: names holds {len(names)} tracks, y holds {len(y)}")
    return Sequences(path, X, y.astype(np.float32), tuple(str(tag) for tag in tags), extraction, names)


def load_labels(path):
    """(y, tags) of one split's npz, without reading or checking X (its validation labels, say)."""
    y, tags = _read_arrays(Path(path), ("y", "tags"))
    return np.asarray(y), tuple(str(tag) for tag in tags)


def _read_arrays(path, required, optional=()):
    """The `required` members of the npz, then the `optional` ones (None where absent)."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = {name.removesuffix(".npy"): name for name in archive.namelist()}
            missing = [name for name in required if name not in members]
            if missing:
                raise AugliError(f"{path} has no {', '.join(missing)} array (it holds {', '.join(members) or 'nothing'})")
            arrays = [_read_member(path, archive, members[name]) for name in required]
            optional_arrays = [_read_member(path, archive, members[name]) if name in members else None
                               for name in optional]
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as error:
        raise AugliError(f"cannot read {path}: {error}") from None
    return (*arrays, *optional_arrays)


def _parse_record(path, text):
    """The `extraction` member: a JSON object stored as one string."""
    try:
        record = json.loads(str(text[()]))
    except (ValueError, IndexError) as error:
        raise AugliError(f"{EXTRACTION_ARRAY} in {path} is not a JSON record: {error}") from None
    if not isinstance(record, dict):
        raise AugliError(f"{EXTRACTION_ARRAY} in {path} is not a JSON record")
    return record


def _read_member(path, archive, name):
    """One member's array: a read-only memory map of the file when the member is stored, else read into memory."""
    info = archive.getinfo(name)
    if info.compress_type != zipfile.ZIP_STORED or info.flag_bits & 0x1:  # deflated or encrypted
        with archive.open(info) as member:
            return np.lib.format.read_array(member, allow_pickle=False)
    with open(path, "rb") as file:
        file.seek(info.header_offset)
        signature, name_length, extra_length = _LOCAL_HEADER.unpack(file.read(_LOCAL_HEADER.size))
        if signature != _LOCAL_HEADER_SIGNATURE:
            raise ValueError(f"no zip header where member {name} should start")
        start = info.header_offset + _LOCAL_HEADER.size + name_length + extra_length
        file.seek(start)
        version = np.lib.format.read_magic(file)
        if version not in _NPY_HEADER_READERS:  # 3.0 is only written for non-latin-1 field names of record arrays
            raise ValueError(f"member {name} is .npy version {version[0]}.{version[1]}, not 1.0 or 2.0")
        shape, fortran_order, dtype = _NPY_HEADER_READERS[version](file)
        data_start = file.tell()
        member_end = min(start + info.compress_size, file.seek(0, 2))
    if dtype.hasobject:
        raise ValueError(f"member {name} holds Python objects, which are not read (allow_pickle=False)")
    data_bytes = math.prod(shape) * dtype.itemsize
    held = member_end - data_start
    if held < data_bytes:
        raise AugliError(f"{name.removesuffix('.npy')} in {path} is truncated: its header says {' x '.join(map(str, shape))} "
                         f"{dtype} ({data_bytes} bytes), the file holds {max(held, 0)} bytes of it")
    if data_bytes == 0:
        return np.empty(shape, dtype)
    return np.memmap(path, dtype, mode="r", offset=data_start, shape=shape, order="F" if fortran_order else "C")


def first_non_finite(X, block_bytes=BLOCK_BYTES):
    """(track, window, feature) of the first NaN or inf in X, or None; scanned block by block to bound the temporaries."""
    for tracks in track_blocks(X, block_bytes):
        finite = np.isfinite(X[tracks])
        if not finite.all():
            track, window, feature = np.argwhere(~finite)[0]
            return tracks.start + int(track), int(window), int(feature)
    return None


def load_splits(train_path, validation_path, test_path):
    """The three splits, checked to share tags (in the same order) and feature size."""
    train, validation, test = (load_sequences(path) for path in (train_path, validation_path, test_path))
    for other in (validation, test):
        if other.tags != train.tags:
            raise AugliError(f"tags differ: {train.path} has {_describe_tags(train.tags, other.tags)}, "
                             f"{other.path} has {_describe_tags(other.tags, train.tags)}")
        if other.n_features != train.n_features:
            raise AugliError(f"feature sizes differ: {train.path} has {train.n_features} features per window, "
                             f"{other.path} has {other.n_features}")
    check_scorable(validation.y, validation.path)
    return train, validation, test


def _describe_tags(tags, reference):
    """`56 tags` plus the first name not in `reference`, or the first position where the order differs."""
    extra = [tag for tag in tags if tag not in reference]
    if extra:
        return f"{len(tags)} tags including {extra[0]!r}"
    if len(tags) != len(reference):
        return f"{len(tags)} tags"
    position = next(index for index, (tag, other) in enumerate(zip(tags, reference)) if tag != other)
    return f"{len(tags)} tags with {tags[position]!r} in column {position}"
