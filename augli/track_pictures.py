"""A track as DeepSpectrum's pictures: the settings that draw them, its chunks with their timeStamps, and each chunk
drawn at the network's size (augli.spectrogram_image). The extractor and the tagger both call it, in worker processes.

DeepSpectrum computed its Decimal options (window, hop, start) with `getcontext().prec = 6`; every sum and
product of seconds here uses that precision, so chunk lengths, timeStamps and excerpt starts are DeepSpectrum's
to the digit.
"""

import decimal
from dataclasses import dataclass

import numpy as np

from augli.audio import load_mono
from augli.errors import AugliError
from augli.spectrogram_image import colour_table, fft_size, mel_db, render_matplotlib, render_numpy, resize_for_network

_DECIMAL = decimal.Context(prec=6)
TRACKS_AHEAD_PER_WORKER = 4  # drawn tracks waiting for the network, per worker: keeps the workers busy during a batch


@dataclass(frozen=True)
class PictureSettings:
    """What a worker needs to turn a track into network-sized pictures."""

    start_s: decimal.Decimal
    duration_s: decimal.Decimal | None
    window_s: decimal.Decimal
    hop_s: decimal.Decimal
    n_mels: int
    renderer: str
    colour_map: str
    colours: np.ndarray  # the colour map's table, for the numpy renderer
    resize: str


@dataclass
class TrackPictures:
    name: str
    timestamps: list
    pictures: np.ndarray  # windows x 224 x 224 x 3, RGB uint8


@dataclass
class TrackFailure:
    """A file no pictures (so no row, no score) can be made of, and why."""

    name: str
    reason: str


def picture_settings(options):
    """PictureSettings from deepspectrum_features.py's options (resolved, or as an extraction record holds them)."""
    window_s, hop_s = options["window_size_and_hop"]
    try:
        colours = colour_table(options["colour_map"])
    except (KeyError, ValueError):
        raise AugliError(f"-cm {options['colour_map']!r} is not a matplotlib colour map (e.g. magma, viridis)") from None
    return PictureSettings(options["start"], options["end"], window_s, hop_s, options["number_of_melbands"],
                           options["renderer"], options["colour_map"], colours, options["resize"])


def chunk_spans(n_samples, sample_rate, window_s, hop_s):
    """DeepSpectrum's chunks of a track (plotting.py `_generate_chunks`) as (index, first, end) samples.

    Chunk n starts at n hops and runs one window or to the end of the audio; there are
    max(floor(samples / hop), 1) of them, and those shorter than one FFT window are dropped.
    """
    window = int(_DECIMAL.multiply(window_s, sample_rate))
    hop = int(_DECIMAL.multiply(hop_s, sample_rate))
    if hop < 1:
        raise AugliError(f"a hop of {hop_s} s is less than one sample at {sample_rate} Hz")
    spans = [(index, index * hop, min(index * hop + window, n_samples)) for index in range(max(n_samples // hop, 1))]
    return [(index, first, end) for index, first, end in spans if end - first >= fft_size(sample_rate)]


def seconds_after(start_s, index, step_s):
    """start + index x step seconds, in DeepSpectrum's Decimal arithmetic: a chunk's or an excerpt's start."""
    return _DECIMAL.add(start_s, _DECIMAL.multiply(index, step_s))


def timestamp(start_s, index, hop_s):
    """A chunk's timeStamp as DeepSpectrum wrote it: the Decimal start + index * hop."""
    return str(seconds_after(start_s, index, hop_s))


def picture(chunk, sample_rate, settings):
    """One chunk drawn as DeepSpectrum drew it, at the network's size."""
    db = mel_db(chunk, sample_rate, settings.n_mels)
    if settings.renderer == "numpy":
        image = render_numpy(db, sample_rate, settings.colours)
    else:
        image = render_matplotlib(db, sample_rate, settings.colour_map)
    return resize_for_network(image, settings.resize)


def render_track(name, source, settings):
    """The pictures of the chunks of the audio file `source`, or why there are none; runs in a worker process."""
    try:
        mono, rate = load_mono(source, sample_rate=None, offset_s=settings.start_s, duration_s=settings.duration_s)
        spans = chunk_spans(len(mono), rate, settings.window_s, settings.hop_s)
        if not spans:
            raise AugliError(f"{source} holds {len(mono)} samples from -s {settings.start_s} on, fewer than one "
                             f"FFT window ({fft_size(rate)} samples at {rate} Hz): DeepSpectrum wrote no row for it")
        pictures = np.stack([picture(mono[first:end], rate, settings) for _, first, end in spans])
    except AugliError as error:
        return TrackFailure(name, error.message)
    timestamps = [timestamp(settings.start_s, index, settings.hop_s) for index, _, _ in spans]
    return TrackPictures(name, timestamps, pictures)
