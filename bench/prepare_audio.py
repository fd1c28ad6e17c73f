"""Tracks per second of prepare_audio against `ffmpeg -ac 1 -ar 16000` on the same synthetic mp3s.

    python -m bench.prepare_audio --tracks 64 -j 2 --repeats 3

Both run with the same number of parallel workers, alternately, each from an empty output folder;
the median of the repeats is reported, so that load from elsewhere hits both sides alike. ffmpeg is
skipped when it is not on PATH.
Besides the speed, it prints how far the two conversions are apart (different mp3 decoders and
resamplers), as a signal-to-difference ratio.
"""

import shutil
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import click
import numpy as np
import soundfile

from augli.conversion import prepare_audio

SOURCE_RATE_HZ = 44100  # the MTG-Jamendo mp3s' rate
DISTINCT_TRACKS = 4


def synthetic_track(rng, seconds, rate_hz=SOURCE_RATE_HZ, channels=2):
    """Music-like signal, samples x channels: a few random sines with a slow tremolo plus quiet noise.

    The other benches' synthetic audio comes from here too.
    """
    time_s = np.arange(round(seconds * rate_hz)) / rate_hz
    signals = []
    for _ in range(channels):
        tones = sum(np.sin(2 * np.pi * rng.uniform(80, 6000) * time_s + rng.uniform(0, 2 * np.pi)) for _ in range(5))
        tremolo = 0.6 + 0.4 * np.sin(2 * np.pi * rng.uniform(0.2, 2) * time_s)
        signals.append(0.1 * tones * tremolo + 0.01 * rng.standard_normal(time_s.size))
    return np.stack(signals, axis=1).astype(np.float32)


def make_tracks(root, count, seconds, seed):
    """`count` mp3s in MTG-like folders; encoding is slow, so a few distinct ones are copied round."""
    rng = np.random.default_rng(seed)
    distinct = []
    for index in range(count):
        path = root / f"{index % 100:02d}" / f"{index}.mp3"
        path.parent.mkdir(parents=True, exist_ok=True)
        if len(distinct) < DISTINCT_TRACKS:
            soundfile.write(path, synthetic_track(rng, seconds), SOURCE_RATE_HZ)
            distinct.append(path)
        else:
            shutil.copyfile(distinct[index % DISTINCT_TRACKS], path)


def ffmpeg_convert(source_root, output_root, jobs):
    def convert(source):
        output = output_root / source.relative_to(source_root).with_suffix(".wav")
        output.parent.mkdir(parents=True, exist_ok=True)
        command = ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", source, "-ac", "1", "-ar", "16000", output]
        subprocess.run(command, check=True)

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(convert, sorted(source_root.rglob("*.mp3"))))


def timed(function, source_root, output_root, jobs):
    """Seconds for one conversion of everything into a fresh `output_root`."""
    shutil.rmtree(output_root, ignore_errors=True)
    start = time.perf_counter()
    function(source_root, output_root, jobs)
    return time.perf_counter() - start


def ours(source_root, output_root, jobs):
    prepare_audio(source_root, output_root, jobs=jobs)


def difference_db(ours_root, theirs_root):
    """Worst track's 10 log10(power of ours / power of ours - theirs), on the common length."""
    ratios = []
    for ours_path in sorted(ours_root.rglob("*.wav")):
        ours, _ = soundfile.read(ours_path)
        theirs, _ = soundfile.read(theirs_root / ours_path.relative_to(ours_root))
        length = min(len(ours), len(theirs))
        residual = np.sum((ours[:length] - theirs[:length]) ** 2)
        ratios.append(10 * np.log10(np.sum(ours[:length] ** 2) / residual))
    return min(ratios)


@click.command()
@click.option("--tracks", type=click.IntRange(min=1), default=64, show_default=True)
@click.option("--seconds", type=click.FloatRange(min=1), default=30.0, show_default=True, help="Length of each track (MTG's clips: 30 s).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=2, show_default=True)
@click.option("--repeats", type=click.IntRange(min=1), default=3, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
def main(tracks, seconds, jobs, repeats, seed):
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        make_tracks(scratch / "audio", tracks, seconds, seed)
        sides = {"prepare_audio": (ours, scratch / "ours")}
        if shutil.which("ffmpeg") is not None:
            sides["ffmpeg -ac 1 -ar 16000"] = (ffmpeg_convert, scratch / "ffmpeg")
        seconds_taken = {name: [] for name in sides}
        for _ in range(repeats):
            for name, (function, output_root) in sides.items():
                seconds_taken[name].append(timed(function, scratch / "audio", output_root, jobs))
        median_s = {name: float(np.median(taken)) for name, taken in seconds_taken.items()}

        click.echo(f"{tracks} stereo {SOURCE_RATE_HZ} Hz mp3s of {seconds:g} s, {jobs} workers, median of {repeats}")
        for name, taken in median_s.items():
            click.echo(f"{name}: {tracks / taken:.2f} tracks/s ({taken:.1f} s)")
        if len(sides) == 1:
            click.echo("ffmpeg: not on PATH, skipped")
            return
        click.echo(f"prepare_audio / ffmpeg speed: {median_s['ffmpeg -ac 1 -ar 16000'] / median_s['prepare_audio']:.2f}")
        click.echo(f"worst signal-to-difference, ours vs ffmpeg: {difference_db(scratch / 'ours', scratch / 'ffmpeg'):.1f} dB")


if __name__ == "__main__":
    main()
