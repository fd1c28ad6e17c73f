"""The two DeepSpectrum renderers side by side, and the speed of a whole extraction.

    python -m bench.deepspectrum_render --repeats 10 --tracks 4 -np 2

For sines, chirps, noise and silence, in 1 s and 5 s chunks at 44.1 kHz, it draws each chunk's
mel spectrogram with the matplotlib reference and with the numpy rasteriser, alternately, and
prints the median time per picture of each, their ratio, the share of identical pixels and the
largest difference of any colour channel. Then it compares the two on random spectrograms of
every shape in SWEEP (rates, frame counts, band counts; cells narrower than a pixel included).
Last, it runs deepspectrum_features.py (`-t 5 5 -s 0 -e 29 -cm magma -nl --weights none`) on
TRACKS and on 2 x TRACKS synthetic 29 s mp3s and prints tracks per second: overall for the larger
run, and per extra track (the difference of the two runs, without the start-up and the model build).
"""

import statistics
import tempfile
import time
from pathlib import Path

import click
import numpy as np
from click.testing import CliRunner

import deepspectrum_features
from augli.spectrogram_image import colour_table, mel_db, render_matplotlib, render_numpy
from augli.workers import DEFAULT_JOBS
from bench.prepare_audio import make_tracks

RATE_HZ = 44100
NUMPY_CALLS_PER_REPEAT = 20  # one numpy picture is too quick to time alone
SWEEP = {"rates_hz": (8000, 11025, 16000, 22050, 32000, 44100, 48000, 96000),
         "frames": (1, 2, 7, 42, 43, 107, 214, 215, 227, 300, 1260), "bands": (32, 128, 300)}


def signals(seconds):
    time_s = np.arange(round(seconds * RATE_HZ)) / RATE_HZ
    sweep_hz_per_s = (RATE_HZ / 2 - 100) / seconds
    return {
        "sine": 0.5 * np.sin(2 * np.pi * 440 * time_s),
        "chirp": 0.5 * np.sin(2 * np.pi * (100 * time_s + sweep_hz_per_s / 2 * time_s**2)),
        "noise": np.random.default_rng(0).uniform(-0.5, 0.5, time_s.size),
        "silence": np.zeros(time_s.size),
    }


def compare_renderers(repeats):
    colours = colour_table("magma")
    print(f"{'chunk':>6} {'signal':>8} {'matplotlib ms':>14} {'numpy ms':>9} {'ratio':>7} {'identical %':>12} {'max diff':>9}")
    for seconds in (1, 5):
        for name, signal in signals(seconds).items():
            db = mel_db(signal.astype(np.float32), RATE_HZ, 128)
            reference_times, numpy_times = [], []
            for _ in range(repeats):
                start = time.perf_counter()
                reference = render_matplotlib(db, RATE_HZ, "magma")
                reference_times.append(time.perf_counter() - start)
                start = time.perf_counter()
                for _ in range(NUMPY_CALLS_PER_REPEAT):
                    painted = render_numpy(db, RATE_HZ, colours)
                numpy_times.append((time.perf_counter() - start) / NUMPY_CALLS_PER_REPEAT)
            reference_ms, numpy_ms = 1000 * statistics.median(reference_times), 1000 * statistics.median(numpy_times)
            identical = 100 * np.mean(np.all(painted == reference, axis=-1))
            difference = np.abs(painted.astype(int) - reference).max()
            print(f"{seconds:>5}s {name:>8} {reference_ms:>14.2f} {numpy_ms:>9.3f} {reference_ms / numpy_ms:>6.0f}x "
                  f"{identical:>12.3f} {difference:>9}")


def sweep_agreement():
    colours = colour_table("magma")
    rng = np.random.default_rng(5)
    pictures = identical = 0
    for rate in SWEEP["rates_hz"]:
        for frames in SWEEP["frames"]:
            for bands in SWEEP["bands"]:
                db = rng.standard_normal((bands, frames)).astype(np.float32)
                pictures += 1
                identical += np.array_equal(render_numpy(db, rate, colours), render_matplotlib(db, rate, "magma"))
    print(f"random spectrograms, {pictures} shapes: {identical} pictures identical to matplotlib's")


def extraction_seconds(audio_dir, output, jobs):
    arguments = [str(audio_dir), "-t", "5", "5", "-s", "0", "-e", "29", "-cm", "magma", "-nl", "-o", str(output),
                 "--weights", "none", "-np", str(jobs)]
    start = time.perf_counter()
    result = CliRunner().invoke(deepspectrum_features.main, arguments)
    if result.exit_code != 0:
        raise click.ClickException(f"extraction failed: {result.output}")
    return time.perf_counter() - start


def measure_extraction(tracks, jobs):
    import augli.vgg16  # noqa: F401  (TensorFlow's start-up is not part of either run)

    with tempfile.TemporaryDirectory() as folder:
        few, many = Path(folder) / "few", Path(folder) / "many"
        make_tracks(few, tracks, 29, seed=1)
        make_tracks(many, 2 * tracks, 29, seed=1)
        few_s = extraction_seconds(few, Path(folder) / "few.csv", jobs)
        many_s = extraction_seconds(many, Path(folder) / "many.csv", jobs)
    print(f"extraction, -t 5 5, --weights none, -np {jobs}: {2 * tracks} tracks in {many_s:.1f} s "
          f"({2 * tracks / many_s:.3f} tracks/s overall); {tracks} more tracks took {many_s - few_s:.1f} s "
          f"({tracks / (many_s - few_s):.3f} tracks/s without start-up)")


@click.command()
@click.option("--repeats", type=click.IntRange(min=1), default=10, show_default=True, help="Timed pictures per case.")
@click.option("--tracks", type=click.IntRange(min=0), default=4, show_default=True,
              help="Tracks of the smaller extraction run (0: no extraction).")
@click.option("-np", "--number-of-processes", type=click.IntRange(min=1), default=DEFAULT_JOBS, show_default=True)
def main(repeats, tracks, number_of_processes):
    compare_renderers(repeats)
    sweep_agreement()
    if tracks:
        measure_extraction(tracks, number_of_processes)


if __name__ == "__main__":
    main()
