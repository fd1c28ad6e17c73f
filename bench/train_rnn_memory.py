"""Peak memory of a train_rnn.py run against the size of its X, on npz files of the real dataset's size.

    python -m bench.train_rnn_memory --tracks 9949 --validation-tracks 3802 --test-tracks 4231 --windows 29 --units 64 --epochs 1 --workdir DIR

Writes the three splits (ReLU-like activations, block by block, so X is never in memory whole)
uncompressed, as transform_features does by default, runs train_rnn.py on them in a subprocess and
samples its /proc status every 0.1 s. Then the same for compressed npz files, which train_rnn reads
into memory, with `--compressed-scale` times as many tracks per split (1 = the same sizes; less keeps
a real-size run off a small machine). The files go to a temporary folder in DIR, removed at the end.

RssAnon is the memory the run needs. VmRSS (peak = VmHWM) adds the pages of the memory-mapped files
that happen to be in the page cache: they are the kernel's to drop, not the run's.
"""

import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import click
import numpy as np
from tqdm import tqdm

from augli.sequences import save_sequences_in_blocks
from bench.train_rnn import N_TAGS, SEED, fake_activations, fake_tags

GIB = 2**30
BLOCK_BYTES = 256 * 2**20
SAMPLE_SECONDS = 0.1
SPLITS = ("train", "validation", "test")


@dataclass
class Peaks:
    vm_hwm: int = 0  # bytes
    rss_anon: int = 0
    seconds: float = 0.0


def write_splits(folder, sizes, windows, width, compress):
    """The three npz files with fake features; returns the total bytes of their X."""
    rng = np.random.default_rng(SEED)
    tags = [f"tag{index:02d}" for index in range(N_TAGS)]
    track_bytes = windows * width * 4
    step = max(1, BLOCK_BYTES // track_bytes)
    for split, n_tracks in zip(SPLITS, sizes):
        y = fake_tags(rng, n_tracks)
        blocks = (fake_activations(rng, min(step, n_tracks - start), windows, width) for start in range(0, n_tracks, step))
        progress = tqdm(blocks, total=-(-n_tracks // step), desc=f"writing {folder.name}/{split}.npz", leave=False)
        with open(folder / f"{split}.npz", "wb") as handle:
            save_sequences_in_blocks(handle, [f"{i}/{i}.mp3" for i in range(n_tracks)], y, (n_tracks, windows, width),
                                     progress, tags, compress)
    return sum(sizes) * track_bytes


def status_bytes(pid):
    """VmHWM and RssAnon of a process from /proc, in bytes (None once it has exited)."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return None
    fields = dict(line.split(":", 1) for line in lines)
    if "RssAnon" not in fields:  # a zombie: its memory is gone
        return None
    return tuple(int(fields[name].split()[0]) * 1024 for name in ("VmHWM", "RssAnon"))


def run_train_rnn(folder, units, epochs):
    """train_rnn.py on the folder's splits, its peaks sampled from /proc."""
    npz = {split: str(folder / f"{split}.npz") for split in SPLITS}
    command = [sys.executable, "train_rnn.py", "-mep", str(folder / "no-ground-truth"), "-ebp", str(folder / "run"),
               "-tr", npz["train"], "-v", npz["validation"], "-te", npz["test"], "-ru", str(units), "-e", str(epochs),
               "--quiet"]
    peaks = Peaks()
    start = time.perf_counter()
    with open(folder / "train_rnn.log", "w") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        while process.poll() is None:
            sample = status_bytes(process.pid)
            if sample is not None:
                peaks.vm_hwm, peaks.rss_anon = max(peaks.vm_hwm, sample[0]), max(peaks.rss_anon, sample[1])
            time.sleep(SAMPLE_SECONDS)
    peaks.seconds = time.perf_counter() - start
    if process.returncode != 0:
        tail = (folder / "train_rnn.log").read_text().splitlines()[-20:]
        raise click.ClickException(f"train_rnn.py exited with {process.returncode}:\n" + "\n".join(tail))
    return peaks


def report(name, x_bytes, peaks):
    click.echo(f"{name:28s} X {x_bytes / GIB:6.2f} GiB   peak RssAnon {peaks.rss_anon / GIB:6.2f} GiB "
               f"({peaks.rss_anon / x_bytes:5.2f} x X)   peak VmRSS {peaks.vm_hwm / GIB:6.2f} GiB "
               f"({peaks.vm_hwm / x_bytes:5.2f} x X)   {peaks.seconds:6.0f} s")


@click.command()
@click.option("--tracks", type=click.IntRange(min=1), default=9949, show_default=True, help="Training tracks (split-0: 9949).")
@click.option("--validation-tracks", type=click.IntRange(min=2), default=3802, show_default=True)
@click.option("--test-tracks", type=click.IntRange(min=1), default=4231, show_default=True)
@click.option("--windows", type=click.IntRange(min=1), default=29, show_default=True, help="29 = the 1 s features, 5 = the 5 s")
@click.option("--width", type=click.IntRange(min=1), default=4096, show_default=True)
@click.option("--units", type=click.IntRange(min=1), default=64, show_default=True,
              help="RNN units (the paper: 1024, which adds about 2.4 GiB for the model and hours per epoch)")
@click.option("--epochs", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--compressed-scale", type=click.FloatRange(0, 1, min_open=True), default=1.0, show_default=True,
              help="Tracks of the compressed side, as a fraction of the sizes above.")
@click.option("--workdir", type=click.Path(exists=True, file_okay=False, path_type=Path), required=True,
              help="Where the npz files are written (needs about 1.1 x the X of both sides on disk).")
def main(tracks, validation_tracks, test_tracks, windows, width, units, epochs, compressed_scale, workdir):
    sizes = (tracks, validation_tracks, test_tracks)
    compressed_sizes = tuple(max(2, round(n * compressed_scale)) for n in sizes)
    click.echo(f"splits {' / '.join(map(str, sizes))} tracks of {windows} x {width}; GRU 2 x {units} units, "
               f"{epochs} epoch(s); compressed side {' / '.join(map(str, compressed_sizes))} tracks")
    folder = Path(tempfile.mkdtemp(prefix="train_rnn_memory.", dir=workdir))
    try:
        results = []
        for name, split_sizes, compress in (("uncompressed (memory map)", sizes, False),
                                            ("compressed (in memory)", compressed_sizes, True)):
            side = folder / ("compressed" if compress else "stored")
            side.mkdir()
            x_bytes = write_splits(side, split_sizes, windows, width, compress)
            results.append((name, x_bytes, run_train_rnn(side, units, epochs)))
            report(*results[-1])
            shutil.rmtree(side)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    click.echo("peak RssAnon / X: " + ", ".join(f"{name} {peaks.rss_anon / x_bytes:.2f}" for name, x_bytes, peaks in results))


if __name__ == "__main__":
    main()
