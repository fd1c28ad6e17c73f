"""Writing outputs so that an interrupted run never leaves a half-written file."""

import contextlib
import os
import tempfile
from pathlib import Path

import numpy as np

from augli.errors import AugliError

# Read once: os.umask can only be queried by setting it.
_UMASK = os.umask(0)
os.umask(_UMASK)


@contextlib.contextmanager
def atomic_path(path, temp_suffix=None):
    """Yield a hidden temporary path next to `path`; rename it onto `path` only if the block succeeds.

    By default the temporary name ends with the full file name, so writers that check suffixes
    (Keras wants `.keras` / `.weights.h5`) accept it; `temp_suffix` replaces that ending where a
    leftover temporary must not look like an output.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=temp_suffix or f".tmp-{path.name}")
    os.close(fd)
    os.chmod(tmp_name, 0o666 & ~_UMASK)  # mkstemp makes 0600; outputs get the usual permissions
    try:
        yield Path(tmp_name)
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


@contextlib.contextmanager
def atomic_open(path, mode="wb", temp_suffix=None):
    """Open a temporary file next to `path`; rename it onto `path` only if the block succeeds."""
    with atomic_path(path, temp_suffix) as tmp_path, open(tmp_path, mode) as handle:
        yield handle


def save_npy(path, array):
    with atomic_open(path, "wb") as handle:
        np.save(handle, array)


def write_text(path, text):
    with atomic_open(path, "w") as handle:
        handle.write(text)


def read_lines(path, what):
    """The lines of a UTF-8 text file, or one clear line naming `what` the file is meant to be."""
    try:
        return Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise AugliError(f"cannot read {what} {path}: {error}") from None


def load_npy(path):
    """np.load with one clear line for a file that is missing or not an .npy array."""
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as error:
        raise AugliError(f"cannot read {path}: {error}") from None
