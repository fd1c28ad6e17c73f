"""Tracks per second of prepare_audio against `ffmpeg -ac 1 -ar 16000` on the same synthetic mp3s.

    python -m bench.prepare_audio --tracks 64 -j 2

Both run with the same number of parallel workers; ffmpeg is skipped when it is not on PATH.
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


def synthetic_track(rng, seconds):
    """Stereo music-like signal: a few random sines with a slow tremolo plus quiet noise."""
    time_s = np.arange(round(seconds * SOURCE_RATE_HZ)) / SOURCE_RATE_HZ
    channels = []
    for _ in range(2):
        tones = sum(np.sin(2 * np.pi * rng.uniform(80, 6000) * time_s + rng.uniform(0, 2 * np.pi)) for _ in range(5))
        tremolo = 0.6 + 0.4 * np.sin(2 * np.pi * rng.uniform(0.2, 2) * time_s)
        channels.append(0.1 * tones * tremolo + 0.01 * rng.standard_normal(time_s.size))
    return np.stack(channels, axis=1).astype(np.float32)


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


def timed(function, *args):
    start = time.perf_counter()
    function(*args)
    return time.perf_counter() - start


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
@click.option("--seed", type=int, default=0, show_default=True)
def main(tracks, seconds, jobs, seed):
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        make_tracks(scratch / "audio", tracks, seconds, seed)
        ours_s = timed(prepare_audio, scratch / "audio", scratch / "ours", (), None, jobs)
        click.echo(f"{tracks} stereo {SOURCE_RATE_HZ} Hz mp3s of {seconds:g} s, {jobs} workers")
        click.echo(f"prepare_audio: {tracks / ours_s:.2f} tracks/s ({ours_s:.1f} s)")
        if shutil.which("ffmpeg") is None:
            click.echo("ffmpeg: not on PATH, skipped")
            return
        ffmpeg_s = timed(ffmpeg_convert, scratch / "audio", scratch / "ffmpeg", jobs)
        click.echo(f"ffmpeg -ac 1 -ar 16000: {tracks / ffmpeg_s:.2f} tracks/s ({ffmpeg_s:.1f} s)")
        click.echo(f"prepare_audio / ffmpeg speed: {ffmpeg_s / ours_s:.2f}")
        click.echo(f"worst signal-to-difference, ours vs ffmpeg: {difference_db(scratch / 'ours', scratch / 'ffmpeg'):.1f} dB")


if __name__ == "__main__":
    main()
