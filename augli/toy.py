"""A small generated stand-in for MTG-Jamendo mood/theme, in the layout of the real data (or for another of its
splits and subsets, with the same sounds under that subset's tag names).

The real audio cannot be fetched on a test machine, so the demo and the end-to-end test run the
paper's pipeline on this instead. Each tag is an audible signature (a tone, a noise
band, a pulse rate, a sweep) that survives the 16 kHz mono conversion of the CRNNs and the
mel-spectrogram pictures of DeepSpectrum, so the models have something to learn. Every file is a
pure function of the options: the same options give the same bytes.

Beside the data it writes random VGGish weights in the layout of the AudioSet file: passed with -vw,
they take the real loading path, and crnn.py's first phase trains the head on a frozen VGGish, as the
paper's run does on the pretrained one.
"""

import json
import math
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile
from tqdm import tqdm

from augli.checksums import sha256_of
from augli.data import (CATEGORY_SEPARATOR, DATASET_DIR, GROUNDTRUTH_CANDIDATES, PAPER_SPLIT, PAPER_SUBSET, TAG_LIST,
                        TSV_COLUMNS, check_subset, is_mediaeval2019, label_csv, sha256_list, split_dir, split_file_name, split_tsv)
from augli.errors import AugliError
from augli.files import atomic_open, save_npy, write_text
from augli.workers import as_finished, process_pool
from vggish.params import conv_weight_shapes
from vggish.weights import write_dtaoo_weights

AUDIO_QUALITY = "audio"  # the toy audio is named as the full-quality download
GROUNDTRUTH_2019 = GROUNDTRUTH_CANDIDATES[0]  # the path of 2019, the one the seed's fusion.py read
LABEL_DIR = "labels"
DESCRIPTION = "toy-dataset.json"
RANDOM_VGGISH = "vggish-random-weights.h5"
# The categories of each subset's tags; top50tags and the whole dataset mix them, as the real ones do.
SUBSET_CATEGORIES = {
    "moodtheme": ("mood/theme",), "genre": ("genre",), "instrument": ("instrument",),
    "top50tags": ("genre", "instrument", "mood/theme"), "all": ("genre", "instrument", "mood/theme"),
}
# How many tags a track gets beyond its first (so 1 to 3 in all, mostly 1 or 2, as in the real split).
EXTRA_TAG_PROBABILITIES = (0.4, 0.4, 0.2)
# Track, artist and album numbers are drawn below this, as wide as the real ids.
TRACK_ID_LIMIT = 1_400_000
# The random VGGish draws from the seed stream (seed, TRACK_ID_LIMIT), which no track's audio uses.
VGGISH_STREAM = TRACK_ID_LIMIT
PEAK = 0.7  # headroom for the mp3 encoder
BACKGROUND_RMS = (0.05, 0.15)  # pink noise under every track, relative to one signature
SIGNATURE_GAIN = (0.5, 1.0)


def _time(n_samples, sample_rate):
    return np.arange(n_samples) / sample_rate


def _tone(n_samples, sample_rate, rng, frequency_hz):
    return np.sin(2 * np.pi * frequency_hz * _time(n_samples, sample_rate) + rng.uniform(0, 2 * np.pi))


def _band_noise(n_samples, sample_rate, rng, low_hz, high_hz):
    spectrum = np.fft.rfft(rng.standard_normal(n_samples))
    frequencies = np.fft.rfftfreq(n_samples, 1 / sample_rate)
    spectrum[(frequencies < low_hz) | (frequencies > high_hz)] = 0
    return np.fft.irfft(spectrum, n_samples)


def _pulses(n_samples, sample_rate, rng, rate_hz, length_s):
    """1 during a raised-cosine burst of `length_s` at the start of each period, else 0; random phase."""
    position = (_time(n_samples, sample_rate) * rate_hz + rng.uniform()) % 1 / rate_hz
    return np.where(position < length_s, np.sin(np.pi * np.minimum(position / length_s, 1)) ** 2, 0)


def _swells(n_samples, sample_rate, rng, rate_hz):
    """A level rising from 0 to 1 and back `rate_hz` times a second; random phase."""
    return (1 - np.cos(2 * np.pi * rate_hz * _time(n_samples, sample_rate) + rng.uniform(0, 2 * np.pi))) / 2


def _sweeps(n_samples, sample_rate, rng, low_hz, high_hz, period_s):
    """A tone gliding from `low_hz` to `high_hz` once every `period_s`, over and over."""
    progress = (_time(n_samples, sample_rate) / period_s + rng.uniform()) % 1
    return np.sin(2 * np.pi * np.cumsum(low_hz + (high_hz - low_hz) * progress) / sample_rate)


def _vibrato(n_samples, sample_rate, rng, centre_hz, depth, rate_hz):
    wobble = np.sin(2 * np.pi * rate_hz * _time(n_samples, sample_rate) + rng.uniform(0, 2 * np.pi))
    return np.sin(2 * np.pi * np.cumsum(centre_hz * (1 + depth * wobble)) / sample_rate)


@dataclass(frozen=True)
class Signature:
    """What a tag sounds like: a description for people, where it lies in frequency, and its generator."""

    description: str
    band_hz: tuple  # (lowest, highest) frequency it occupies
    render: object  # (n_samples, sample_rate, rng) -> float array

    def __call__(self, n_samples, sample_rate, rng):
        signal = self.render(n_samples, sample_rate, rng)
        return signal / np.sqrt(np.mean(signal**2))  # unit RMS: every tag equally loud


# Frequencies between 125 and 7500 Hz (the VGGish mel range), far enough apart on the mel scale to be
# told apart in a 64-band VGGish input and in DeepSpectrum's 128-band picture. Each sound also comes
# and goes at its own rate (1-8 Hz, so a 1 s window holds at least one cycle): the CRNN normalises
# every mel band over the time of one test track, which erases a steady level but not its changes.
SIGNATURES = {
    "calm": Signature(
        "440 Hz tone swelling twice a second",
        (440, 440),
        lambda n, sr, rng: _tone(n, sr, rng, 440) * _swells(n, sr, rng, 2),
    ),
    "dark": Signature(
        "rumble: 3 bursts a second of noise at 150-320 Hz",
        (150, 320),
        lambda n, sr, rng: _band_noise(n, sr, rng, 150, 320) * _pulses(n, sr, rng, 3, 0.12),
    ),
    "energetic": Signature(
        "8 clicks a second of noise at 1.8-2.6 kHz",
        (1800, 2600),
        lambda n, sr, rng: _band_noise(n, sr, rng, 1800, 2600) * _pulses(n, sr, rng, 8, 0.04),
    ),
    "melodic": Signature(
        "1.2 kHz tone with a 5 Hz vibrato of 4%",
        (1152, 1248),
        lambda n, sr, rng: _vibrato(n, sr, rng, 1200, 0.04, 5),
    ),
    "nature": Signature(
        "hiss: noise at 6.2-7.2 kHz swelling once a second",
        (6200, 7200),
        lambda n, sr, rng: _band_noise(n, sr, rng, 6200, 7200) * _swells(n, sr, rng, 1),
    ),
    "slow": Signature(
        "one 0.3 s burst of a 700 Hz tone a second",
        (700, 700),
        lambda n, sr, rng: _tone(n, sr, rng, 700) * _pulses(n, sr, rng, 1, 0.3),
    ),
    "space": Signature(
        "4 beeps a second at 3.5 kHz",
        (3500, 3500),
        lambda n, sr, rng: _tone(n, sr, rng, 3500) * _pulses(n, sr, rng, 4, 0.1),
    ),
    "uplifting": Signature(
        "a sweep up from 4.3 to 5.5 kHz every 0.5 s",
        (4300, 5500),
        lambda n, sr, rng: _sweeps(n, sr, rng, 4300, 5500, 0.5),
    ),
}


def toy_tags(subset=PAPER_SUBSET):
    """The toy's tags under `subset`'s names, sorted: each signature in one of its categories, in turn."""
    categories = SUBSET_CATEGORIES[check_subset(subset)]
    return tuple(sorted(f"{categories[index % len(categories)]}{CATEGORY_SEPARATOR}{name}"
                        for index, name in enumerate(sorted(SIGNATURES))))


TOY_TAGS = toy_tags()  # mood/theme---calm, ...


def signature_of(tag):
    """The sound of a toy tag, whatever its category."""
    return SIGNATURES[tag.split(CATEGORY_SEPARATOR)[-1]]


def _pink_noise(n_samples, rng):
    spectrum = np.fft.rfft(rng.standard_normal(n_samples))
    spectrum[1:] /= np.sqrt(np.arange(1, spectrum.size))
    spectrum[0] = 0
    noise = np.fft.irfft(spectrum, n_samples)
    return noise / np.sqrt(np.mean(noise**2))


def synthesize(tags, duration_s, sample_rate, seed):
    """A track holding the signatures of `tags` over pink noise, float32 mono peaking at PEAK.

    `seed` alone decides the random choices (phases, gains, noise), so tracks can be made in any order.
    """
    rng = np.random.default_rng(seed)
    n_samples = round(duration_s * sample_rate)
    mix = rng.uniform(*BACKGROUND_RMS) * _pink_noise(n_samples, rng)
    for tag in tags:
        mix += rng.uniform(*SIGNATURE_GAIN) * signature_of(tag)(n_samples, sample_rate, rng)
    return (PEAK * mix / np.abs(mix).max()).astype(np.float32)


@dataclass(frozen=True)
class ToyTrack:
    number: int
    artist: int
    album: int
    tags: tuple

    @property
    def path(self):
        """MTG's layout: the folder is the track number's last two digits (`48/948.mp3`)."""
        return f"{self.number % 100:02d}/{self.number}.mp3"

    def tsv_row(self, duration_s):
        return "\t".join([f"track_{self.number:07d}", f"artist_{self.artist:06d}", f"album_{self.album:06d}",
                          self.path, f"{duration_s:.1f}", *self.tags])


def draw_splits(sizes, tags, rng):
    """{split: tracks sorted by number}: 1-3 tags per track, every tag in every split.

    A split's first tags run through shuffled rounds of all the tags, so a split of at least as many
    tracks as tags holds each of them.
    """
    for split, size in sizes.items():
        if size < len(tags):
            raise AugliError(f"the {split} split needs at least {len(tags)} tracks (one per tag), not {size}")
    numbers = rng.choice(TRACK_ID_LIMIT, size=sum(sizes.values()), replace=False)
    artists, albums = rng.choice(TRACK_ID_LIMIT, size=(2, max(1, len(numbers) // 3)), replace=False)
    splits, start = {}, 0
    for split, size in sizes.items():
        rounds = math.ceil(size / len(tags))
        first_tags = np.concatenate([rng.permutation(len(tags)) for _ in range(rounds)])[:size]
        tracks = []
        for number, first in zip(numbers[start:start + size], first_tags):
            extra = rng.choice(len(EXTRA_TAG_PROBABILITIES), p=EXTRA_TAG_PROBABILITIES)
            others = [index for index in range(len(tags)) if index != first]
            chosen = [first, *rng.choice(others, size=min(extra, len(others)), replace=False)]
            artist = rng.integers(len(artists))
            track_tags = tuple(sorted(tags[index] for index in chosen))
            tracks.append(ToyTrack(int(number), int(artists[artist]), int(albums[artist]), track_tags))
        splits[split] = sorted(tracks, key=lambda track: track.number)
        start += size
    return splits


def _write_mp3(job):
    path, tags, duration_s, sample_rate, seed = job
    audio = synthesize(tags, duration_s, sample_rate, seed)
    with atomic_open(path, "wb", temp_suffix=".part") as handle:
        soundfile.write(handle, audio, sample_rate, format="MP3", subtype="MPEG_LAYER_III")


def _write_audio(jobs, workers):
    with tqdm(total=len(jobs), unit="track", desc="synthesizing") as progress, process_pool(workers) as pool:
        for _ in as_finished(pool, _write_mp3, jobs):
            progress.update()


def write_random_vggish(path, seed):
    """VGGish conv weights drawn as Keras draws a new Conv2D's (Glorot uniform kernels, zero biases), in DTaoo's
    layout: a file that crnn.py loads and freezes like the AudioSet one, for a toy run without it."""
    rng = np.random.default_rng((seed, VGGISH_STREAM))
    weights = {}
    for layer, (kernel_shape, bias_shape) in conv_weight_shapes().items():
        receptive_field = math.prod(kernel_shape[:-2])
        limit = math.sqrt(6 / (receptive_field * (kernel_shape[-2] + kernel_shape[-1])))
        weights[layer] = (rng.uniform(-limit, limit, kernel_shape).astype(np.float32), np.zeros(bias_shape, np.float32))
    write_dtaoo_weights(path, weights)


def make_toy_dataset(out, sizes, duration_s=35.0, sample_rate=22050, n_tags=len(TOY_TAGS), seed=0, workers=1,
                     split_number=PAPER_SPLIT, subset=PAPER_SUBSET):
    """Write the toy dataset to `out` (which must not exist, or be empty); {split: tracks}.

    `out` then holds `audio/NN/ID.mp3`, `mtg-jamendo-dataset/` (the split TSVs of `split_number` and
    `subset`, the sha256 list, and for MediaEval 2019's split-0 mood/theme the tag list and ground truth,
    which MTG has for no other), `labels/` (DeepSpectrum label files), RANDOM_VGGISH and
    `toy-dataset.json` (settings and tags).
    It is built in a hidden folder beside `out` and renamed when complete, so a dataset never lacks files.
    """
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise AugliError(f"{out} already exists and is not an empty folder: remove it or choose another")
    if not 1 <= n_tags <= len(TOY_TAGS):
        raise AugliError(f"the toy dataset has 1 to {len(TOY_TAGS)} tags, not {n_tags}")
    tags = toy_tags(subset)[:n_tags]
    split_dir(out, split_number)  # refuses a split MTG-Jamendo does not have
    splits = draw_splits(sizes, tags, np.random.default_rng(seed))
    partial = out.with_name(f".{out.name}.part")
    shutil.rmtree(partial, ignore_errors=True)  # what a killed run left
    _write_dataset(partial, splits, tags, duration_s, sample_rate, seed, workers, split_number, subset)
    if out.exists():
        out.rmdir()
    partial.rename(out)
    return splits


def _write_dataset(out, splits, tags, duration_s, sample_rate, seed, workers, split_number, subset):
    tracks = sorted((track for split in splits.values() for track in split), key=lambda track: track.path)
    audio = out / "audio"
    jobs = [(audio / track.path, track.tags, duration_s, sample_rate, (seed, track.number)) for track in tracks]
    _write_audio(jobs, workers)

    dataset = out / DATASET_DIR
    for split, split_tracks in splits.items():
        rows = ["\t".join(TSV_COLUMNS), *(track.tsv_row(duration_s) for track in split_tracks)]
        write_text(split_tsv(split_dir(out, split_number), split, subset),
                   "".join(row + "\r\n" for row in rows))  # CRLF, as MTG's
        write_text(out / LABEL_DIR / f"{split_file_name(split, subset)}.csv", label_csv(split_tracks))
    if is_mediaeval2019(split_number, subset):
        write_text(dataset / TAG_LIST, "".join(tag + "\n" for tag in tags))
        save_npy(dataset / GROUNDTRUTH_2019, np.array([[tag in track.tags for tag in tags] for track in splits["test"]]))
    write_text(dataset / sha256_list(subset, AUDIO_QUALITY),
               "".join(f"{sha256_of(audio / track.path)} {track.path}\n" for track in tracks))
    write_random_vggish(out / RANDOM_VGGISH, seed)
    description = {
        "seed": seed, "duration_s": duration_s, "sample_rate_hz": sample_rate,
        "split": split_number, "subset": subset,
        "tracks": {split: len(split_tracks) for split, split_tracks in splits.items()},
        "tags": {tag: signature_of(tag).description for tag in tags},
        "vggish_weights": {"file": RANDOM_VGGISH, "initialisation": "Glorot uniform kernels, zero biases"},
    }
    write_text(out / DESCRIPTION, json.dumps(description, indent=1) + "\n")
