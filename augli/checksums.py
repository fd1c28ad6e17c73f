"""MTG's sha256 lists (`<hash> <path>` per line, paths relative to the audio folder) and checks against them."""

import hashlib
import re
from pathlib import Path

from augli.errors import AugliError
from augli.files import read_lines

SHA256_PATTERN = re.compile(r"[0-9a-f]{64}")


def read_sha256_list(path):
    """{relative path: lowercase hex digest} of a list such as `autotagging_moodtheme_audio_sha256_tracks.txt`."""
    digests = {}
    for number, line in enumerate(read_lines(path, "checksum list"), start=1):
        if not line.strip():
            continue
        fields = line.split()
        if len(fields) != 2 or not SHA256_PATTERN.fullmatch(fields[0].lower()):
            raise AugliError(f"{path} line {number}: expected '<64 hex digits> <path>', found {line.strip()!r}")
        digest, track = fields[0].lower(), fields[1]
        if digests.setdefault(track, digest) != digest:
            raise AugliError(f"{path} line {number}: {track} is listed twice with different checksums")
    if not digests:
        raise AugliError(f"checksum list {path} is empty")
    return digests


def sha256_of(path):
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


class Sha256Memo:
    """sha256_of that hashes each file once while its size and modification time stay the same: looking up
    several models' ~500 MB weights files must not read them again for every model."""

    def __init__(self):
        self.digests = {}  # (resolved path, size, mtime_ns) -> sha256

    def __call__(self, path):
        status = Path(path).stat()
        key = (Path(path).resolve(), status.st_size, status.st_mtime_ns)
        if key not in self.digests:
            self.digests[key] = sha256_of(path)
        return self.digests[key]


def verify(path, expected):
    """Raise if the file's sha256 is not `expected` (a download cut short or damaged)."""
    try:
        actual = sha256_of(path)
    except OSError as error:
        raise AugliError(f"cannot read {path}: {error}") from None
    if actual != expected:
        raise AugliError(f"{path} fails its checksum: sha256 is {actual}, the list says {expected}")
