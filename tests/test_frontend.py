"""The CRNN front end against a numpy / librosa statement of kapre 0.1.4's Melspectrogram, and the
noise and band-normalisation layers after it.

The oracle is augli-facts.md section 1 written out: TF 'SAME' zero padding, periodic Hann frames of
512 every 256 samples, |FFT|^2, librosa's Slaney mel filterbank (125-7500 Hz, 64 bands), square root,
10 log10(max(., 1e-10)), minus the sample's maximum, clipped at -80.
"""

import math

import keras
import librosa
import numpy as np
import pytest

from augli.crnn_training import noise_std
from augli.frontend import BandNormalization, decibel_mel_spectrogram
from augli.models import crnn_tagger

RATE = 16000
# Bins near the -80 floor hold float32 rounding noise of either implementation; they are not compared.
COMPARED_ABOVE_DB = -50
TOLERANCE_DB = 0.01


def kapre_01_melspectrogram(signal):
    """(frames, 64) decibel mel of one signal, kapre 0.1.4's way, in float64."""
    n_samples, window, hop = len(signal), 512, 256
    n_frames = math.ceil(n_samples / hop)
    pad_total = max((n_frames - 1) * hop + window - n_samples, 0)
    padded = np.pad(signal.astype(np.float64), (pad_total // 2, pad_total - pad_total // 2))
    hann = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(window) / window)  # periodic
    frames = np.stack([padded[t * hop:t * hop + window] * hann for t in range(n_frames)])
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    mel = librosa.filters.mel(sr=RATE, n_fft=window, n_mels=64, fmin=125, fmax=7500, htk=False, norm="slaney")
    decibel = 10 * np.log10(np.maximum(np.sqrt(power @ mel.T.astype(np.float64)), 1e-10))
    return np.maximum(decibel - decibel.max(), -80)


def signals(n_samples):
    rng = np.random.default_rng(0)
    time = np.arange(n_samples) / RATE
    sine = 0.5 * np.sin(2 * np.pi * 440 * time) + 1e-3 * rng.standard_normal(n_samples)
    sweep = np.sin(2 * np.pi * (100 * time + (7000 - 100) / (2 * time[-1]) * time ** 2))  # 100 -> 7000 Hz
    chirp = sweep * (0.5 + 0.4 * np.sin(2 * np.pi * 3 * time))  # amplitude-modulated, as in the facts
    noise = 0.1 * rng.uniform(-1, 1, n_samples)
    return {"sine": sine, "chirp": chirp, "noise": noise}


@pytest.fixture(scope="module")
def front_end():
    inputs = keras.Input((None,))
    return keras.Model(inputs, decibel_mel_spectrogram(inputs))


@pytest.mark.parametrize("n_samples", [320_000, 48_000 + 100])  # 20 s (128 + 128 padding) and an odd length
def test_matches_kapre_01_on_sine_chirp_and_noise(front_end, n_samples):
    batch = signals(n_samples)
    output = front_end.predict(np.stack(list(batch.values())).astype(np.float32), verbose=0)
    assert output.shape == (3, math.ceil(n_samples / 256), 64, 1)
    for index, (name, signal) in enumerate(batch.items()):
        expected = kapre_01_melspectrogram(signal)
        actual = output[index, :, :, 0]
        assert actual.max() == 0 and actual.min() >= -80, name
        compared = expected > COMPARED_ABOVE_DB
        assert compared.sum() > 1000, name
        assert np.abs(actual - expected)[compared].max() <= TOLERANCE_DB, name


def test_each_sample_has_its_own_maximum(front_end):
    loud, quiet = signals(16_000)["noise"], 0.01 * signals(16_000)["noise"]
    output = front_end.predict(np.stack([loud, quiet]).astype(np.float32), verbose=0)
    np.testing.assert_allclose(output[0], output[1], atol=1e-3)  # a gain does not change the shifted dB
    silent = front_end.predict(np.zeros((1, 4096), dtype=np.float32), verbose=0)
    assert (silent == 0).all()  # 10 log10(1e-10) everywhere, shifted to 0


def test_band_normalization_pools_each_mel_band_over_batch_time_and_channel():
    rng = np.random.default_rng(1)
    x = rng.normal(loc=-30, scale=np.linspace(1, 10, 64)[None, None, :, None], size=(3, 50, 64, 1)).astype(np.float32)
    layer = BandNormalization()
    output = np.asarray(layer(x))
    expected = (x - x.mean(axis=(0, 1, 3), keepdims=True)) / (x.std(axis=(0, 1, 3), keepdims=True) + 1e-10)
    np.testing.assert_allclose(output, expected, atol=1e-4)
    np.testing.assert_allclose(output.mean(axis=(0, 1, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(output.std(axis=(0, 1, 3)), 1, atol=1e-4)
    # The batch decides: a track normalised alone is not the same as in company.
    alone = np.asarray(layer(x[:1]))
    assert np.abs(alone - output[:1]).max() > 0.1
    constant = np.asarray(layer(np.full((2, 5, 64, 1), -80, dtype=np.float32)))
    assert (constant == 0).all()  # epsilon keeps a silent band finite


def test_noise_std_is_drawn_once_from_the_seed():
    assert noise_std(0.1, 42) == pytest.approx(0.03745401188473625, abs=1e-15)  # the original's probable value
    assert noise_std(0.1, 42) == noise_std(0.1, 42) != noise_std(0.1, 43)
    assert 0 <= noise_std(0.5, 7) <= 0.5
    assert noise_std(0, 42) == 0


def test_noise_is_added_in_training_only_with_its_fixed_std():
    model = crnn_tagger(3, "gru", 4, 1, 0.0, 0.0, noise_std=0.25)
    noise = model.get_layer("additive_noise")
    x = np.full((4, 200, 64, 1), -20, dtype=np.float32)
    np.testing.assert_array_equal(np.asarray(noise(x, training=False)), x)
    draws = [np.asarray(noise(x, training=True)) - x for _ in range(3)]
    for draw in draws:
        assert draw.std() == pytest.approx(0.25, rel=0.03)  # the same std every call, not redrawn
    assert np.abs(draws[0] - draws[1]).max() > 0  # fresh samples each call
    assert "additive_noise" not in [layer.name for layer in crnn_tagger(3, "gru", 4, 1, 0.0, 0.0, 0.0).layers]


def test_front_end_layers_survive_saving(front_end, tmp_path):
    model = crnn_tagger(3, "lstm", 4, 1, 0.0, 0.0, noise_std=0.1)
    model.save(tmp_path / "crnn.keras")
    loaded = keras.models.load_model(tmp_path / "crnn.keras")
    audio = signals(8_000)["chirp"][None].astype(np.float32)
    np.testing.assert_array_equal(loaded.predict(audio, verbose=0), model.predict(audio, verbose=0))
    assert loaded.get_layer("additive_noise").stddev == 0.1
