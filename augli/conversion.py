"""The job behind prepare_audio.py: which tracks to convert, converting them in parallel, the tally.

A wav that exists under its final name is complete (every wav is written under a temporary name
and renamed when done), so a second run only converts what the first did not.
"""

from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from augli.audio import AUDIO_SUFFIXES, LOW_QUALITY_SUFFIX, find_audio, load_mono, locate, wav_name, write_wav
from augli.checksums import read_sha256_list, verify
from augli.data import read_split
from augli.errors import AugliError
from augli.workers import DEFAULT_JOBS, as_finished, process_pool

@dataclass(frozen=True)
class Conversion:
    source: Path
    output: Path
    sha256: str | None = None  # the source's expected digest; None: not checked


@dataclass
class Tally:
    converted: int = 0
    already_done: int = 0
    failures: list = field(default_factory=list)  # one line per failed track, naming it and why

    def summary(self):
        lines = [f"converted {self.converted}, already done {self.already_done}, failed {len(self.failures)}"]
        lines += [f"FAILED {failure}" for failure in sorted(self.failures)]
        return "\n".join(lines)


def split_track_paths(split_files):
    """The PATHs of the split TSVs, sorted, each once."""
    return sorted({track.path for split_file in split_files for track in read_split(split_file)})


def wanted_sources(source_dir, split_files=()):
    """{wav name: source path relative to `source_dir`}, sorted by wav name.

    Without split files every audio file below `source_dir` is wanted; with them, their PATHs are.
    """
    if split_files:
        return {wav_name(path): locate(source_dir, path) for path in split_track_paths(split_files)}
    wanted = {}
    for source in find_audio(source_dir):
        name = wav_name(source)
        if name in wanted:
            raise AugliError(f"{source_dir / wanted[name]} and {source_dir / source} would both be converted to {name}")
        wanted[name] = source
    if not wanted:
        raise AugliError(f"no audio files ({', '.join(AUDIO_SUFFIXES)}) below {source_dir}")
    return wanted


def plan(source_dir, output_dir, split_files=(), checksum_file=None):
    """The conversions still to do, and a tally holding the tracks done already or impossible to do."""
    source_dir, output_dir = Path(source_dir), Path(output_dir)
    if output_dir.resolve().is_relative_to(source_dir.resolve()):
        raise AugliError(f"the output folder {output_dir} must not be inside the source folder {source_dir}")
    wanted = wanted_sources(source_dir, split_files)
    tally = Tally()
    pending = {}  # output -> source relative to source_dir
    for name, source in wanted.items():
        if (output_dir / name).exists():
            tally.already_done += 1
        elif not (source_dir / source).is_file():
            tally.failures.append(f"{source_dir / source}: no such file (nor {LOW_QUALITY_SUFFIX})")
        else:
            pending[output_dir / name] = source
    if len(tally.failures) == len(wanted):
        named = ", ".join(str(split_file) for split_file in split_files)
        raise AugliError(f"none of the {len(wanted)} tracks listed in {named} is below {source_dir}")
    digests = read_sha256_list(checksum_file) if checksum_file else None
    if digests is not None and pending and not digests.keys() & set(pending.values()):
        example = next(iter(digests))
        raise AugliError(f"none of the {len(pending)} files to convert is listed in {checksum_file} (it lists paths like {example})")
    conversions = []
    for output, source in pending.items():
        expected = None if digests is None else digests.get(source)
        if digests is not None and expected is None:
            tally.failures.append(f"{source_dir / source}: not in the checksum list {checksum_file}")
        else:
            conversions.append(Conversion(source_dir / source, output, expected))
    return conversions, tally


def convert(conversion):
    """Verify the source if a digest is given, then write its 16 kHz mono wav."""
    if conversion.sha256 is not None:
        verify(conversion.source, conversion.sha256)
    mono, rate = load_mono(conversion.source)
    write_wav(conversion.output, mono, rate)


def try_convert(conversion):
    """None on success, else the one-line reason; runs in a worker process."""
    try:
        convert(conversion)
    except AugliError as error:
        return error.message
    return None


def run(conversions, jobs, record):
    """Convert, calling `record(failure or None)` as each finishes; in this process when jobs is 1.

    Not a generator: the pool must be shut down the moment anything (Ctrl-C included) stops the loop.
    """
    with process_pool(jobs) as pool:
        for failure in as_finished(pool, try_convert, conversions):
            record(failure)


def prepare_audio(source_dir, output_dir, split_files=(), checksum_file=None, jobs=DEFAULT_JOBS):
    """Convert the tracks below `source_dir` to 16 kHz mono 16-bit wavs below `output_dir`; the tally."""
    conversions, tally = plan(source_dir, output_dir, split_files, checksum_file)
    with tqdm(total=len(conversions), unit="track", desc="converting") as progress:

        def record(failure):
            if failure is None:
                tally.converted += 1
            else:
                tally.failures.append(failure)
            progress.update()

        run(conversions, jobs, record)
    return tally
