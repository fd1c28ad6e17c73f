"""The CRNN's audio input: checking the wavs, choosing crops, reading only the crop, and padding batches.

A crop is read with a seek into the wav (libsndfile), never the whole file, so an hour-long track
costs what a 30 s one does. Every random choice of an epoch (track order, crop starts, augmentation)
is drawn up front from a generator keyed by (seed, epoch), so it does not depend on the loading
threads or on how many epochs ran before in this process: a resumed run draws what the
uninterrupted one drew.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile
from tqdm import tqdm

from augli.audio import SAMPLE_RATE_HZ, wav_path
from augli.errors import AugliError
from augli.workers import prefetched

# Missing wavs named in the error before "..."
MISSING_SHOWN = 3


@dataclass(frozen=True)
class Wav:
    path: Path
    frames: int

    @property
    def seconds(self):
        return self.frames / SAMPLE_RATE_HZ


def _inspect(path):
    """A Wav, or the one-line reason it cannot be used."""
    try:
        info = soundfile.info(str(path))
    except (soundfile.LibsndfileError, soundfile.SoundFileError, RuntimeError) as error:
        return f"{path} is not a readable audio file ({error})"
    if info.samplerate != SAMPLE_RATE_HZ or info.channels != 1:
        return (f"{path} is {info.samplerate} Hz with {info.channels} channels; the CRNN reads {SAMPLE_RATE_HZ} Hz "
                "mono wavs: convert the audio with prepare_audio.py")
    if info.frames == 0:
        return f"{path} holds no audio frames"
    return Wav(Path(path), info.frames)


def find_wavs(tracks, wav_dir, workers, source, quiet=False):
    """The checked wav of every track (in track order): present, readable, 16 kHz mono, not empty."""
    paths = [wav_path(wav_dir, track.path) for track in tracks]
    missing = [path for path in paths if not path.is_file()]
    if missing:
        shown = ", ".join(str(path) for path in missing[:MISSING_SHOWN])
        more = ", ..." if len(missing) > MISSING_SHOWN else ""
        raise AugliError(f"{len(missing)} of the {len(paths)} wavs of {source} are missing: {shown}{more} "
                         f"(looked below {wav_dir}; make them with prepare_audio.py or point --audio-dir at them)")
    found = list(tqdm(prefetched(paths, _inspect, workers), total=len(paths),
                      desc=f"checking wavs of {Path(source).name}", unit="wav", disable=quiet, leave=False))
    for wav in found:
        if isinstance(wav, str):
            raise AugliError(wav)
    return found


@dataclass(frozen=True)
class Crop:
    """Which samples of a wav make one example, and how to augment them.

    `start` and `frames` are what is read; after augmentation the first `keep` samples are kept.
    """
    path: Path
    start: int
    frames: int
    keep: int
    stretch_rate: float = None
    pitch_steps: int = None


def window_samples(window_seconds):
    """Samples in a full crop of `window_seconds`; no crop is longer."""
    return int(window_seconds * SAMPLE_RATE_HZ)


def _crop(wav, start_seconds, read_seconds, window_seconds, **augmentation):
    """The original's load: `librosa.load(offset=start, duration=min(read, d))`, then the first window's samples."""
    start = int(start_seconds * SAMPLE_RATE_HZ)
    frames = min(int(min(read_seconds, wav.seconds) * SAMPLE_RATE_HZ), wav.frames - start)
    keep = min(window_samples(window_seconds), wav.frames)
    return Crop(wav.path, start, max(frames, 0), keep, **augmentation)


def middle_crop(wav, window_seconds):
    """The original's validation and test crop: from the middle (d/2) if d/2 > window, else from the start."""
    half = wav.seconds / 2
    return _crop(wav, half if half > window_seconds else 0, window_seconds, window_seconds)


def window_crops(wav, window_seconds):
    """Every whole, non-overlapping window of the track from its start (at least one)."""
    count = max(1, int(wav.seconds // window_seconds))
    return [_crop(wav, index * window_seconds, window_seconds, window_seconds) for index in range(count)]


def training_crops(wavs, window_seconds, seed, epoch, time_stretch=None, pitch_shift=None):
    """One epoch's order (track indices) and crops, from a generator keyed by (seed, epoch).

    As the original: a start in whole seconds from [0, max(1, int(d - read))] (both ends included),
    where read = window x (1 + time_stretch); a stretch rate from U(1 - ts, 1 + ts); integer pitch
    steps from U{-ps..ps}.
    """
    rng = np.random.default_rng((seed, epoch))
    order = rng.permutation(len(wavs))
    read_seconds = window_seconds * (1 + time_stretch) if time_stretch is not None else window_seconds
    crops = []
    for index in order:
        wav = wavs[index]
        start = int(rng.integers(0, max(1, int(wav.seconds - read_seconds)), endpoint=True))
        rate = float(rng.uniform(1 - time_stretch, 1 + time_stretch)) if time_stretch is not None else None
        steps = int(rng.integers(-pitch_shift, pitch_shift, endpoint=True)) if pitch_shift is not None else None
        crops.append(_crop(wav, start, read_seconds, window_seconds, stretch_rate=rate, pitch_steps=steps))
    return order, crops


def read_crop(crop):
    """The crop's samples as float32 in [-1, 1) (int16 / 32768, as librosa loads them), augmented, cut to `keep`."""
    with soundfile.SoundFile(str(crop.path)) as wav:
        wav.seek(crop.start)
        samples = wav.read(crop.frames, dtype="float32")
    if crop.stretch_rate is not None or crop.pitch_steps is not None:
        import librosa  # only augmented runs pay for it

        if crop.stretch_rate is not None:
            samples = librosa.effects.time_stretch(samples, rate=crop.stretch_rate)
        if crop.pitch_steps is not None:
            samples = librosa.effects.pitch_shift(samples, sr=SAMPLE_RATE_HZ, n_steps=crop.pitch_steps)
    return samples[:crop.keep]


def pad_front(clips, length=None):
    """(clips, length) float32: clips zero-padded at the front, as Keras' pad_sequences did, to `length`
    samples or, by default, to the longest clip."""
    batch = np.zeros((len(clips), length or max(len(clip) for clip in clips)), dtype=np.float32)
    for row, clip in enumerate(clips):
        batch[row, batch.shape[1] - len(clip):] = clip
    return batch


def load_batch(crops, length=None):
    return pad_front([read_crop(crop) for crop in crops], length)
