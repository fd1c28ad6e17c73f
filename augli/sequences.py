"""The per-split sequence files (transform_features writes them, the trainers read them) and their checks.

Each `<split>.npz` holds, as the original's did, `names` (track PATHs, TSV order), `y` (tracks x tags,
0/1), `X` (tracks x windows x features, float32) and `tags` (the tag names, in column order).
"""

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from augli.errors import AugliError
from augli.metrics import check_scorable

REQUIRED_ARRAYS = ("X", "y", "tags")


def save_sequences(handle, names, y, X, tags, compress=False):
    """Write one split's npz to an open binary file; `compress` as the original's savez_compressed."""
    save = np.savez_compressed if compress else np.savez
    save(handle, names=np.array(names, dtype=str), y=y, X=X, tags=np.array(tags, dtype=str))


@dataclass(frozen=True)
class Sequences:
    path: Path
    X: np.ndarray  # (tracks, windows, features) float32
    y: np.ndarray  # (tracks, tags) float32 0/1
    tags: tuple

    @property
    def n_features(self):
        return self.X.shape[2]


def load_sequences(path):
    """One split's npz, with every check that needs only this file."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as archive:
            missing = [name for name in REQUIRED_ARRAYS if name not in archive.files]
            if missing:
                raise AugliError(f"{path} has no {', '.join(missing)} array (it holds {', '.join(archive.files) or 'nothing'})")
            X, y, tags = (archive[name] for name in REQUIRED_ARRAYS)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise AugliError(f"cannot read {path}: {error}") from None
    if X.ndim != 3:
        raise AugliError(f"X in {path} must be tracks x windows x features, found shape {X.shape}")
    if y.ndim != 2 or tags.ndim != 1 or y.shape[1] != len(tags):
        raise AugliError(f"y in {path} must be tracks x {len(tags)} tags, found shape {y.shape}")
    if len(X) != len(y):
        raise AugliError(f"{path}: X holds {len(X)} tracks, y holds {len(y)}")
    if not np.isin(y, (0, 1)).all():
        raise AugliError(f"y in {path} holds values other than 0 and 1")
    X = np.asarray(X, dtype=np.float32)
    if not np.isfinite(X).all():
        track, window, feature = np.argwhere(~np.isfinite(X))[0]
        raise AugliError(f"X in {path} holds NaN or inf (first at track {track}, window {window}, feature {feature})")
    return Sequences(path, X, y.astype(np.float32), tuple(str(tag) for tag in tags))


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
