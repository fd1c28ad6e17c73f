"""crnn.py's audio input against in-memory data, and its crop reader against librosa's.

    python -m bench.crnn [--tracks 48] [--seconds 120] [--window 20] [--batch-size 8] [--epochs 3] [--workers 4]

Training steps/s, each side on a freshly built CRNN (GRU, 256 units, 2 layers; VGGish frozen, as
in phase 1, where the step is cheapest and the input pipeline has the least time to hide in):
  in-memory   model.fit on the crops already decoded into one float32 array
  crnn.py     training_batches: wavs on disk, (seed, epoch) crops read with seeks by --workers
              threads, padded and fed through tf.data, as crnn.py trains
Both run the same number of steps; the rate runs from the end of the first epoch (tracing) to the
end of the last. The two sides alternate over --repeats and the medians are compared, so that load
from elsewhere hits both alike.

Crop reading, examples/s on one thread over the same crops of the same wavs:
  augli       read_crop: soundfile seek + read of the crop only
  librosa     librosa.load(path, sr=16000, offset, duration), what the original called, and the
              original's per-example librosa.get_duration before it
"""

import tempfile
import time
from pathlib import Path

import click
import numpy as np
import soundfile

from augli.audio import SAMPLE_RATE_HZ
from augli.clips import Wav, load_batch, read_crop, training_crops
from augli.crnn_training import Split, noise_std, training_batches
from augli.models import compile_tagger, crnn_tagger
from augli.params import RANDOM_NOISE
from augli.training import set_seeds
from bench.common import alternate_sides, medians
from bench.prepare_audio import synthetic_track
from bench.train_rnn import EpochClock

SEED = 42
N_TAGS = 56


def make_wavs(root, tracks, seconds):
    """Music-like 16 kHz mono PCM16 wavs in MTG-like folders."""
    rng = np.random.default_rng(SEED)
    wavs = []
    for index in range(tracks):
        audio = synthetic_track(rng, seconds, SAMPLE_RATE_HZ, channels=1)[:, 0]
        path = root / f"{index % 100:02d}" / f"{index}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        soundfile.write(path, audio, SAMPLE_RATE_HZ, subtype="PCM_16")
        wavs.append(Wav(path, audio.size))
    return wavs


def fresh_model():
    set_seeds(SEED)
    model = crnn_tagger(N_TAGS, "gru", 256, 2, 0.3, 0.3, noise_std=noise_std(RANDOM_NOISE, SEED))
    model.get_layer("vggish").trainable = False
    compile_tagger(model, 0.001)
    return model


def crop_rates(wavs, window, repeats):
    """Median examples/s of each reader over every track's epoch-0 training crop."""
    import librosa

    _, crops = training_crops(wavs, window, SEED, 0)

    def ours():
        for crop in crops:
            read_crop(crop)

    def librosa_load():
        for crop in crops:
            librosa.load(crop.path, sr=SAMPLE_RATE_HZ, offset=crop.start / SAMPLE_RATE_HZ, duration=window)

    def librosa_original():
        for crop in crops:
            librosa.get_duration(path=crop.path)
            librosa.load(crop.path, sr=SAMPLE_RATE_HZ, offset=crop.start / SAMPLE_RATE_HZ, duration=window)

    sides = {"augli read_crop": ours, "librosa.load": librosa_load, "get_duration+load": librosa_original}
    rates = {name: [] for name in sides}
    librosa_load()  # librosa's first call imports and warms its loaders
    for _ in range(repeats):
        for name, side in sides.items():
            start = time.perf_counter()
            side()
            rates[name].append(len(crops) / (time.perf_counter() - start))
    return medians(rates)


@click.command()
@click.option("--tracks", type=click.IntRange(min=2), default=48, show_default=True)
@click.option("--seconds", type=click.FloatRange(min=1), default=120, show_default=True, help="Length of each wav.")
@click.option("--window", type=click.IntRange(min=1), default=20, show_default=True, help="Crop seconds (-w).")
@click.option("--batch-size", type=click.IntRange(min=1), default=8, show_default=True,
              help="The paper's 32 makes a CPU step take minutes.")
@click.option("--epochs", type=click.IntRange(min=2), default=3, show_default=True)
@click.option("--workers", type=click.IntRange(min=1), default=4, show_default=True, help="-nw")
@click.option("--repeats", type=click.IntRange(min=1), default=2, show_default=True)
@click.option("--workdir", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="Where to write the wavs (default: a temporary folder).")
def main(tracks, seconds, window, batch_size, epochs, workers, repeats, workdir):
    with tempfile.TemporaryDirectory(dir=workdir) as folder:
        wavs = make_wavs(Path(folder), tracks, seconds)
        click.echo(f"{tracks} wavs of {seconds:g} s, {window} s crops, batch {batch_size}, GRU 2 x 256, VGGish frozen, "
                   f"{epochs} epochs (first not timed), {workers} workers")
        y = (np.random.default_rng(SEED).random((tracks, N_TAGS)) < 0.035).astype(np.float32)
        split = Split(Path(folder), wavs, y)
        options = {"batch_size": batch_size, "window": window, "seed": SEED, "time_stretch": None,
                   "pitch_shift": None, "n_workers": workers}
        order, crops = training_crops(wavs, window, SEED, 0)
        in_memory, in_memory_y = load_batch(crops), y[order]
        steps = tracks // batch_size

        def memory_side():
            clock = EpochClock()
            fresh_model().fit(in_memory[:steps * batch_size], in_memory_y[:steps * batch_size], batch_size=batch_size,
                              epochs=epochs, shuffle=False, verbose=0, callbacks=[clock])
            return clock.sequences_per_second(steps * batch_size) / batch_size

        def pipeline_side():
            clock = EpochClock()
            batches, pipeline_steps = training_batches(split, options, 0, epochs)
            fresh_model().fit(batches, epochs=epochs, steps_per_epoch=pipeline_steps, verbose=0, callbacks=[clock])
            return clock.sequences_per_second(pipeline_steps * batch_size) / batch_size

        rates = medians(alternate_sides({"in-memory": memory_side, "crnn.py": pipeline_side}, repeats, "steps/s"))
        memory, ours = rates["in-memory"], rates["crnn.py"]
        click.echo(f"median: in-memory {memory:.3f}, crnn.py {ours:.3f} steps/s")
        click.echo(f"crnn.py / in-memory: {ours / memory:.3f}  (overhead {100 * (1 - ours / memory):+.1f} %)")

        readers = crop_rates(wavs, window, repeats)
        for name, rate in readers.items():
            click.echo(f"{name:18s} {rate:8.1f} examples/s")
        click.echo(f"read_crop / librosa.load: {readers['augli read_crop'] / readers['librosa.load']:.2f}; "
                   f"/ get_duration+load: {readers['augli read_crop'] / readers['get_duration+load']:.2f}")


if __name__ == "__main__":
    main()
