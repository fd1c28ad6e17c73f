"""Audio in and out: find the audio files of a folder or a split, decode any track, make it mono at the rate the
CRNN front end needs, write wav.

Decoding is libsndfile's (through soundfile: mp3, ogg, flac, wav), resampling is soxr's, so no
system tool (ffmpeg, sox) is needed.
"""

import os
from pathlib import Path, PurePosixPath

import numpy as np
import soundfile
import soxr

from augli.errors import AugliError
from augli.files import atomic_open
from vggish import params as vggish_params

# The rate the wavs are made at: what VGGish's pretrained weights, and so the CRNN's front end, require.
SAMPLE_RATE_HZ = vggish_params.SAMPLE_RATE_HZ
WAV_SUBTYPE = "PCM_16"
RESAMPLE_QUALITY = "HQ"  # soxr's 20-bit precision: finer than the 16-bit output can hold
AUDIO_SUFFIXES = (".flac", ".mp3", ".ogg", ".wav")
# MTG's `audio-low` download names a track `48/948.low.mp3` where the split TSVs say `48/948.mp3`.
LOW_QUALITY_SUFFIX = ".low.mp3"
# Leftovers of a killed run end in this, so they never look like a finished wav.
PARTIAL_SUFFIX = ".part"


def find_audio(source_dir):
    """Audio files below `source_dir` as sorted relative POSIX paths; hidden files are skipped."""
    found = []
    for folder, subfolders, files in os.walk(source_dir):
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]
        relative_folder = PurePosixPath(Path(folder).relative_to(source_dir))
        found += [
            str(relative_folder / name)
            for name in files
            if not name.startswith(".") and Path(name).suffix.lower() in AUDIO_SUFFIXES
        ]
    return sorted(found)


def locate(source_dir, track_path):
    """The source of a TSV PATH: the file itself, else MTG's low-quality `.low.mp3`, else (missing) the PATH."""
    if track_path.endswith(".mp3"):
        low_quality = track_path[: -len(".mp3")] + LOW_QUALITY_SUFFIX
        if not (Path(source_dir) / track_path).is_file() and (Path(source_dir) / low_quality).is_file():
            return low_quality
    return track_path


def decode(path, offset_s=0, duration_s=None):
    """(frames x channels float32 samples, native sample rate) of an audio file.

    `offset_s` and `duration_s` (seconds, rounded to the nearest frame) select an excerpt, as
    librosa.load's offset and duration do. Decoding stops at the excerpt's end; the frames before
    it are decoded and dropped, because libsndfile's mp3 seek is not sample-accurate.
    """
    if not Path(path).is_file():
        raise AugliError(f"{path}: no such file")  # libsndfile would only say "System error."
    try:
        with soundfile.SoundFile(path) as sound:
            rate = sound.samplerate
            start = round(offset_s * rate)
            frames = -1 if duration_s is None else start + round(duration_s * rate)
            samples = sound.read(frames, dtype="float32", always_2d=True)[start:]
    except soundfile.LibsndfileError as error:
        raise AugliError(f"{path} is not a readable audio file (libsndfile: {error.error_string})") from None
    except soundfile.SoundFileError as error:
        raise AugliError(f"cannot decode {path}: {error}") from None
    if samples.shape[0] == 0:
        after = f" after {offset_s} s" if start else ""
        raise AugliError(f"cannot decode {path}: it holds no audio frames{after}")
    return samples, rate


def downmix(samples):
    """Mono as the average of the channels (frames x channels -> frames)."""
    return samples.mean(axis=1, dtype=np.float32)


def resample(mono, rate, target_rate=SAMPLE_RATE_HZ):
    if rate == target_rate:
        return mono
    return soxr.resample(mono, rate, target_rate, quality=RESAMPLE_QUALITY)


def load_mono(path, sample_rate=SAMPLE_RATE_HZ, offset_s=0, duration_s=None):
    """A track (or its excerpt, see `decode`) as mono float32 at `sample_rate` (None keeps the file's own rate), and that rate."""
    samples, rate = decode(path, offset_s, duration_s)
    mono = downmix(samples)
    if sample_rate is None:
        return mono, rate
    return resample(mono, rate, sample_rate), sample_rate


def write_wav(path, mono, sample_rate=SAMPLE_RATE_HZ):
    """Write 16-bit PCM mono wav atomically; libsndfile clips samples outside [-1, 1]."""
    try:
        with atomic_open(path, "wb", temp_suffix=PARTIAL_SUFFIX) as handle:
            soundfile.write(handle, mono, sample_rate, subtype=WAV_SUBTYPE, format="WAV")
    except (soundfile.SoundFileError, OSError) as error:
        raise AugliError(f"cannot write {path}: {error}") from None


def wav_name(track_path):
    """Where a track's wav lives below the wav folder: `48/948.mp3` and `48/948.low.mp3` -> `48/948.wav`."""
    track_path = PurePosixPath(track_path)
    if track_path.name.endswith(LOW_QUALITY_SUFFIX):
        track_path = track_path.with_name(track_path.name[: -len(LOW_QUALITY_SUFFIX)] + ".mp3")
    return str(track_path.with_suffix(".wav"))


def wav_path(wav_dir, track_path):
    """The converted wav of a TSV PATH (e.g. `48/948.mp3`) below `wav_dir` (`MEDIAEVAL19/wav`)."""
    return Path(wav_dir) / wav_name(track_path)
