"""DeepSpectrum's picture of an audio chunk: its mel spectrogram in dB, drawn as a 227 x 227 RGB image.

DeepSpectrum 0.6.9 drew the picture with librosa 0.7's `specshow` (a pcolormesh on a symlog
frequency axis) in a 1 x 1 inch matplotlib figure saved at 227 dpi. `render_matplotlib` does the
same with matplotlib today, with librosa 0.7's mesh geometry restated here (librosa 0.11's specshow
places the cells differently). `render_numpy` paints the identical picture directly: Agg snaps the
corners of the axis-aligned, non-antialiased mesh cells to whole pixels (floor(v + 0.5)), so every
pixel takes the colour of the cell that holds its centre; the pixel -> cell maps depend only on the
chunk's shape and rate and are computed once.
"""

import io
from functools import lru_cache

import numpy as np
from PIL import Image

IMAGE_SIZE_PX = 227  # DeepSpectrum's deep.conf `size`: the 1 x 1 inch figure is saved at this dpi
NETWORK_SIZE_PX = 224  # VGG16's input; DeepSpectrum resized the 227-pixel picture with Pillow
FFT_WINDOW_SECONDS = 0.025  # DeepSpectrum's nfft: the next power of two of this many samples
POWER_FLOOR = 1e-10  # librosa.power_to_db's amin
# Slaney's mel scale, as librosa computes it (restated here: the drawing processes then need neither
# librosa nor scipy, whose imports take seconds, and the arithmetic is librosa 0.7's).
SLANEY_HZ_PER_MEL = 200.0 / 3
SLANEY_LOG_START_HZ = 1000.0
SLANEY_LOG_STEP = np.log(6.4) / 27.0
# librosa 0.7 specshow's mel axis: matplotlib's symlog scale, base 2, linear up to 1 kHz, linscale 1.
SYMLOG_BASE = 2.0
SYMLOG_LINEAR_LIMIT_HZ = 1000.0
SYMLOG_LINEAR_SCALE = 1.0
# Pillow's default filter for Image.resize: NEAREST up to Pillow 6, BICUBIC since Pillow 7.
RESIZE_FILTERS = {"bicubic": Image.Resampling.BICUBIC, "nearest": Image.Resampling.NEAREST}
RENDERERS = ("numpy", "matplotlib")


def fft_size(sample_rate):
    """DeepSpectrum's nfft: 2048 at 44.1 and 48 kHz, 1024 at 22.05 kHz, 512 at 16 kHz."""
    samples = int(sample_rate * FFT_WINDOW_SECONDS)
    return 1 << (samples - 1).bit_length()


def stft_power(chunk, n_fft):
    """|STFT|^2 (bins x frames, float32) with a periodic Hann window, hop n_fft / 2, no padding.

    Computed as librosa 0.7 did: window and FFT in float64, the spectrum stored as complex64
    (librosa 0.11 with numpy 2 transforms float32 input in float32).
    """
    hop = n_fft // 2
    frames = 1 + (len(chunk) - n_fft) // hop
    starts = np.arange(frames) * hop
    windowed = chunk[starts[:, None] + np.arange(n_fft)] * _hann(n_fft)
    spectrum = np.fft.rfft(windowed, axis=1).astype(np.complex64).T
    return np.abs(spectrum) ** 2


def mel_db(chunk, sample_rate, n_mels):
    """The chunk's Slaney mel power spectrogram in dB below its own maximum (mels x frames, float32).

    `power_to_db(ref=np.max, top_db=None)` with numpy 1's casting, as in 2019: the reference level
    is computed in float64 and subtracted in float32.
    """
    n_fft = fft_size(sample_rate)
    power = _mel_filters(sample_rate, n_fft, n_mels) @ stft_power(chunk, n_fft)
    db = np.float32(10.0) * np.log10(np.maximum(np.float32(POWER_FLOOR), power))
    db -= np.float32(10.0 * np.log10(max(POWER_FLOOR, float(power.max()))))
    return db


@lru_cache(maxsize=8)
def _hann(n_fft):
    """scipy.signal.get_window("hann", n_fft) (periodic), computed as scipy computes it."""
    angles = np.linspace(-np.pi, np.pi, n_fft + 1)[:n_fft]
    return 0.5 + 0.5 * np.cos(angles)


def hz_to_mel(hz):
    """Slaney's mel scale (librosa's default): linear below 1 kHz, logarithmic above."""
    hz = np.asarray(hz, dtype=np.float64)
    linear = hz / SLANEY_HZ_PER_MEL
    with np.errstate(divide="ignore"):
        logarithmic = SLANEY_LOG_START_HZ / SLANEY_HZ_PER_MEL + np.log(hz / SLANEY_LOG_START_HZ) / SLANEY_LOG_STEP
    return np.where(hz >= SLANEY_LOG_START_HZ, logarithmic, linear)


def mel_to_hz(mels):
    mels = np.asarray(mels, dtype=np.float64)
    start_mel = SLANEY_LOG_START_HZ / SLANEY_HZ_PER_MEL
    logarithmic = SLANEY_LOG_START_HZ * np.exp(SLANEY_LOG_STEP * (mels - start_mel))
    return np.where(mels >= start_mel, logarithmic, SLANEY_HZ_PER_MEL * mels)


def mel_frequencies(n_mels, max_hz):
    """librosa.mel_frequencies(n_mels, fmin=0, fmax=max_hz): equally spaced on the mel scale."""
    return mel_to_hz(np.linspace(hz_to_mel(0.0), hz_to_mel(max_hz), n_mels))


@lru_cache(maxsize=8)
def _mel_filters(sample_rate, n_fft, n_mels):
    """librosa 0.7's filters.mel(sr, n_fft, n_mels): Slaney-normalised triangles, float32."""
    bin_hz = np.linspace(0, float(sample_rate) / 2, 1 + n_fft // 2)
    band_hz = mel_frequencies(n_mels + 2, float(sample_rate) / 2)
    widths = np.diff(band_hz)
    ramps = np.subtract.outer(band_hz, bin_hz)
    weights = np.zeros((n_mels, len(bin_hz)), dtype=np.float32)
    for band in range(n_mels):
        weights[band] = np.maximum(0, np.minimum(-ramps[band] / widths[band], ramps[band + 2] / widths[band + 1]))
    weights *= (2.0 / (band_hz[2:] - band_hz[:-2]))[:, None]
    return weights


def mel_band_edges_hz(n_mels, max_hz):
    """librosa 0.7 specshow's y coordinates: 0, the midpoints between the mel band centres, max_hz."""
    centres = mel_frequencies(n_mels, max_hz)
    centres[1:] -= 0.5 * np.diff(centres)
    return np.append(np.maximum(0, centres), [max_hz])


def frame_edges_s(n_frames, hop, sample_rate):
    """librosa 0.7 specshow's x coordinates: the start times of frames 0 .. n_frames."""
    return np.arange(n_frames + 1) * hop / float(sample_rate)


def symlog(hz):
    """matplotlib's symlog transform of frequencies (>= 0) as specshow's mel axis sets it."""
    linear_scale = SYMLOG_LINEAR_SCALE / (1.0 - 1.0 / SYMLOG_BASE)
    log_base = np.log(SYMLOG_BASE)
    hz = np.asarray(hz, dtype=np.float64)
    with np.errstate(divide="ignore"):
        logarithmic = SYMLOG_LINEAR_LIMIT_HZ * (linear_scale - np.log(SYMLOG_LINEAR_LIMIT_HZ) / log_base
                                                + np.log(hz) / log_base)
    return np.where(hz <= SYMLOG_LINEAR_LIMIT_HZ, hz * linear_scale, logarithmic)


@lru_cache(maxsize=32)
def pixel_cells(n_mels, n_frames, sample_rate, hop, size=IMAGE_SIZE_PX):
    """The mesh cell (band * n_frames + frame) under each pixel's centre; rows run from high to low bands.

    Cell edges go through the axes transform (data limits to 0..size, y flipped for Agg) and are
    snapped as Agg snaps them; a cell that spans no pixel centre is not drawn.
    """
    x_edges = frame_edges_s(n_frames, hop, sample_rate)
    columns = np.floor(x_edges * (size * (1.0 / x_edges[-1])) + 0.5)
    y_edges = symlog(mel_band_edges_hz(n_mels, sample_rate / 2))
    rows = np.floor((size - y_edges * (size * (1.0 / y_edges[-1]))) + 0.5)
    pixels = np.arange(size)
    frame_of_column = np.searchsorted(columns, pixels, side="right") - 1
    band_of_row = np.searchsorted(-rows, -pixels, side="left") - 1
    return band_of_row[:, None] * n_frames + frame_of_column[None, :]


def colour_indices(db, n_colours):
    """Colormap entry of each cell: matplotlib's Normalize over the chunk's min..max, then Colormap's binning."""
    low, high = float(db.min()), float(db.max())
    if low == high:
        return np.zeros(db.shape, dtype=np.intp)
    scaled = (db.astype(np.float64) - low).astype(np.float32)
    scaled = (scaled.astype(np.float64) / (high - low)).astype(np.float32)
    scaled *= np.float32(n_colours)
    return np.minimum(scaled.astype(np.intp), n_colours - 1)


def colour_table(colour_map):
    """A matplotlib colormap as the uint8 RGB rows Agg paints (round(255 * c))."""
    import matplotlib

    colours = matplotlib.colormaps[colour_map]
    return np.floor(colours(np.arange(colours.N))[:, :3] * 255 + 0.5).astype(np.uint8)


def render_numpy(db, sample_rate, colours):
    """The 227 x 227 RGB uint8 picture of `db` (mels x frames), painted from a `colour_table`."""
    cells = pixel_cells(*db.shape, sample_rate, fft_size(sample_rate) // 2)
    return np.take(colours, np.take(colour_indices(db, len(colours)).ravel(), cells), axis=0)


def render_matplotlib(db, sample_rate, colour_map):
    """The reference: DeepSpectrum's figure, drawn by matplotlib's Agg and read back from the PNG."""
    from matplotlib.figure import Figure  # saved to PNG through Agg, matplotlib's default for PNG

    hop = fft_size(sample_rate) // 2
    x_edges = frame_edges_s(db.shape[1], hop, sample_rate)
    y_edges = mel_band_edges_hz(db.shape[0], sample_rate / 2)
    figure = Figure(frameon=False)
    figure.set_size_inches(1, 1)
    axes = figure.add_axes((0.0, 0.0, 1.0, 1.0))
    axes.set_axis_off()
    axes.pcolormesh(x_edges, y_edges, db, cmap=colour_map, rasterized=True, edgecolors="None", shading="flat")
    axes.set_xlim(x_edges.min(), x_edges.max())
    axes.set_ylim(y_edges.min(), y_edges.max())
    axes.set_yscale("symlog", base=SYMLOG_BASE, linthresh=SYMLOG_LINEAR_LIMIT_HZ, linscale=SYMLOG_LINEAR_SCALE)
    png = io.BytesIO()
    figure.savefig(png, format="png", dpi=IMAGE_SIZE_PX)
    with Image.open(png) as picture:
        return np.asarray(picture.convert("RGBA"))[:, :, :3]


def resize_for_network(image, resize_filter):
    """The picture at VGG16's 224 x 224, as DeepSpectrum resized it with Pillow."""
    return np.asarray(Image.fromarray(image).resize((NETWORK_SIZE_PX, NETWORK_SIZE_PX), RESIZE_FILTERS[resize_filter]))
