"""Writing outputs so that an interrupted run never leaves a half-written file."""

import contextlib
import os
import tempfile
from pathlib import Path

import numpy as np

from augli.errors import AugliError


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path next to `path`; rename it onto `path` only if the block succeeds.

    The temporary name ends with the full file name, so writers that check suffixes (Keras wants
    `.keras` / `.weights.h5`) accept it.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=f"-{path.name}")
    os.close(fd)
    try:
        yield Path(tmp_name)
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


@contextlib.contextmanager
def atomic_open(path, mode="wb"):
    """Open a temporary file next to `path`; rename it onto `path` only if the block succeeds."""
    with atomic_path(path) as tmp_path, open(tmp_path, mode) as handle:
        yield handle


def save_npy(path, array):
    with atomic_open(path, "wb") as handle:
        np.save(handle, array)


def write_text(path, text):
    with atomic_open(path, "w") as handle:
        handle.write(text)


def load_npy(path):
    """np.load with one clear line for a file that is missing or not an .npy array."""
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as error:
        raise AugliError(f"cannot read {path}: {error}") from None
