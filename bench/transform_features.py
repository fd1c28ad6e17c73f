"""transform_features: the original's algorithm against ours, on one synthetic DeepSpectrum CSV.

    python -m bench.transform_features [--tracks 600] [--windows 29] [--width 4096] [--workdir DIR]

Writes a realistic CSV (real MTG PATHs from the test fixtures, tracks shuffled, about 60 % of the
cells "0.0", the rest `str(np.float32)` of ReLU-like activations), then runs each side in its own
subprocess so that peak memory is measured separately, checks both npz files hold the same arrays,
and prints wall time, peak RSS and the ratios. The original needs about 7.5 x the CSV size in RAM.
Two parser-only sides (pandas' C engine in chunks, numpy's loadtxt in chunks) show why the
converter has its own numba parser: parsing alone with them is slower than our whole conversion.
"""

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import click
import numpy as np
import pandas as pd
from sklearn.preprocessing import MultiLabelBinarizer

from augli.data import read_split, split_tsv
from augli.features import transform_features

FIXTURE_SPLITS = Path(__file__).resolve().parent.parent / "tests/fixtures/MEDIAEVAL19/mtg-jamendo-dataset/data/splits/split-0"
ZERO_FRACTION = 0.6  # share of fc2 ReLU outputs that are exactly zero
DISTINCT_VALUES = 200_000  # non-zero cells are drawn from this many str(np.float32) values (generation speed)


def write_synthetic_split(workdir, tracks, windows, width, seed):
    """`workdir/train.csv` and `workdir/labels/autotagging_moodtheme-train.tsv` for the first `tracks` training tracks."""
    rng = np.random.default_rng(seed)
    labels_dir = workdir / "labels"
    labels_dir.mkdir(parents=True, exist_ok=True)
    fixture_tsv = split_tsv(FIXTURE_SPLITS, "train")
    lines = fixture_tsv.read_text(encoding="utf-8").splitlines(keepends=True)
    split_tsv(labels_dir, "train").write_text("".join(lines[:tracks + 1]), encoding="utf-8")
    paths = [track.path for track in read_split(split_tsv(labels_dir, "train"))]
    values = np.array([str(value) for value in rng.gamma(0.7, 1.5, DISTINCT_VALUES).astype(np.float32)], dtype=object)
    with open(workdir / "train.csv", "w", encoding="utf-8") as handle:
        handle.write(",".join(["name", "timeStamp"] + [f"neuron_{index}" for index in range(width)]) + "\n")
        for track in rng.permutation(len(paths)):
            for window in range(windows):
                cells = np.where(rng.random(width) < ZERO_FRACTION, "0.0", values[rng.integers(0, DISTINCT_VALUES, width)])
                handle.write(f"{paths[track]},{window}," + ",".join(cells) + "\n")
    return workdir / "train.csv", labels_dir


def original_transform(feature_csv, label_tsv, npz_path):
    """The original transform_features.py for one split, with only its pandas 3 KeyError fixed (1-tuple key)."""
    filenames, classes = [], []
    for track in read_split(label_tsv):
        filenames.append(track.path)
        classes.append(track.tags)
    binarizer = MultiLabelBinarizer()
    binarizer.fit(classes)
    label_map = dict(zip(filenames, binarizer.transform(classes)))
    groups = pd.read_csv(feature_csv).groupby(["name"])
    features = [groups.get_group((name,)).values[:, 2:] for name in filenames]
    np.savez_compressed(npz_path, names=np.array(filenames), y=np.array([label_map[name] for name in filenames]),
                        X=np.array(features, dtype=np.float32), tags=np.array(binarizer.classes_, dtype=str))


def pandas_chunks_parse(feature_csv, rows_per_chunk=2000):
    """Parser-only alternative: pandas' C engine in chunks, features in CSV order (no grouping, no npz)."""
    parts = [chunk.iloc[:, 2:].to_numpy(np.float32) for chunk in pd.read_csv(feature_csv, chunksize=rows_per_chunk)]
    return np.concatenate(parts)


def numpy_loadtxt_parse(feature_csv, chunk_bytes=64 << 20):
    """Parser-only alternative: numpy's C loadtxt on chunks of lines, features in CSV order (no grouping, no npz)."""
    with open(feature_csv, "rb") as handle:
        width = handle.readline().count(b",") - 1
        parts = []
        while lines := handle.readlines(chunk_bytes):
            parts.append(np.loadtxt(lines, delimiter=",", dtype=np.float32, usecols=range(2, 2 + width), ndmin=2))
    return np.concatenate(parts)


PARSER_ONLY = {"pandas-chunks": pandas_chunks_parse, "numpy-loadtxt": numpy_loadtxt_parse}
SIDES = ("original", "ours", "ours-compressed", *PARSER_ONLY)


def run_side(side, workdir):
    """One side in this process; prints its wall time and peak RSS as JSON."""
    start = time.perf_counter()
    if side == "original":
        original_transform(workdir / "train.csv", split_tsv(workdir / "labels", "train"), workdir / "original.npz")
    elif side in PARSER_ONLY:
        PARSER_ONLY[side](workdir / "train.csv")
    else:
        transform_features(workdir, workdir / "labels", ["train"], compress=side == "ours-compressed")
        (workdir / "train.npz").replace(workdir / f"{side}.npz")
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"wall_s": wall, "peak_rss_bytes": peak}))


def measure(side, workdir):
    result = subprocess.run([sys.executable, "-m", "bench.transform_features", "--side", side, "--workdir", str(workdir)],
                            check=True, stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parent.parent)
    return json.loads(result.stdout.strip().splitlines()[-1])


def same_npz(first, second):
    with np.load(first) as a, np.load(second) as b:
        return list(a.keys()) == list(b.keys()) and all(
            a[key].dtype == b[key].dtype and np.array_equal(a[key], b[key]) for key in a.keys())


@click.command()
@click.option("--tracks", type=click.IntRange(min=1), default=600, show_default=True, help="Tracks in the CSV (about 0.78 MB each at 29 x 4096).")
@click.option("--windows", type=click.IntRange(min=1), default=29, show_default=True, help="Rows per track (29 for 1 s windows, 5 for 5 s).")
@click.option("--width", type=click.IntRange(min=1), default=4096, show_default=True, help="Feature columns (fc2 of VGG16: 4096).")
@click.option("--workdir", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None, help="An existing folder to hold the temporary CSV and npz files [default: the system temporary folder].")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--side", type=click.Choice(SIDES), default=None, hidden=True)
def main(tracks, windows, width, workdir, seed, side):
    if side is not None:
        run_side(side, workdir)
        return
    with tempfile.TemporaryDirectory(dir=workdir) as scratch:
        scratch = Path(scratch)
        start = time.perf_counter()
        csv_path, _ = write_synthetic_split(scratch, tracks, windows, width, seed)
        size = csv_path.stat().st_size
        print(f"CSV: {tracks} tracks x {windows} windows x {width} columns, {size / 2**20:.0f} MiB "
              f"(written in {time.perf_counter() - start:.0f} s)")
        results = {name: measure(name, scratch) for name in SIDES}
        for name in ("ours", "ours-compressed"):
            print(f"{name} npz equals the original's: {same_npz(scratch / 'original.npz', scratch / f'{name}.npz')}")
        base = results["original"]
        print(f"{'side':<16}{'wall s':>9}{'peak RSS MiB':>14}{'speed-up':>10}{'RSS ratio':>11}")
        for name, result in results.items():
            print(f"{name:<16}{result['wall_s']:>9.2f}{result['peak_rss_bytes'] / 2**20:>14.0f}"
                  f"{base['wall_s'] / result['wall_s']:>9.1f}x{result['peak_rss_bytes'] / base['peak_rss_bytes']:>10.2f}x")
        print(f"X array: {tracks * windows * width * 4 / 2**20:.0f} MiB; CSV: {size / 2**20:.0f} MiB; "
              f"{', '.join(PARSER_ONLY)}: parsing alone, a lower bound for a converter built on them")


if __name__ == "__main__":
    main()
