"""The npz layout of augli.sequences: written block by block as np.savez writes it, read as a memory map
when stored, checked for truncation and for NaN/inf block by block. No TensorFlow here."""

import io

import numpy as np
import pytest

from augli.errors import AugliError
from augli.sequences import first_non_finite, load_sequences, save_sequences, save_sequences_in_blocks, track_blocks

TAGS = ["mood/theme---calm", "mood/theme---dark", "mood/theme---happy"]


def toy(n_tracks=30, windows=4, features=6, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_tracks, windows, features)).astype(np.float32)
    y = (rng.random((n_tracks, len(TAGS))) < 0.4).astype(np.int64)
    names = [f"{i}/{i}.mp3" for i in range(n_tracks)]
    return names, y, X


@pytest.mark.parametrize("compress", [False, True])
def test_writes_the_bytes_of_np_savez_whole_or_in_blocks(compress):
    names, y, X = toy()
    expected = io.BytesIO()
    (np.savez_compressed if compress else np.savez)(expected, names=np.array(names), y=y, X=X, tags=np.array(TAGS))
    whole, in_blocks = io.BytesIO(), io.BytesIO()
    save_sequences(whole, names, y, X, TAGS, compress)
    save_sequences_in_blocks(in_blocks, names, y, X.shape, [X[:7], X[7:8], X[8:]], TAGS, compress)
    assert whole.getvalue() == in_blocks.getvalue() == expected.getvalue()


def test_blocks_that_do_not_add_up_to_the_shape_are_refused():
    names, y, X = toy()
    with pytest.raises(ValueError, match="X blocks hold 29 tracks, the shape says 30"):
        save_sequences_in_blocks(io.BytesIO(), names, y, X.shape, [X[:29]], TAGS)


@pytest.mark.parametrize("compress", [False, True])
def test_stored_x_is_memory_mapped_and_compressed_x_is_read(compress, tmp_path):
    names, y, X = toy()
    path = tmp_path / "split.npz"
    with open(path, "wb") as handle:
        save_sequences(handle, names, y, X, TAGS, compress)
    sequences = load_sequences(path)
    if compress:
        assert not isinstance(sequences.X, np.memmap)
    else:
        assert isinstance(sequences.X, np.memmap) and not sequences.X.flags.writeable
    np.testing.assert_array_equal(sequences.X, X)
    np.testing.assert_array_equal(sequences.y, y)
    assert sequences.X.dtype == sequences.y.dtype == np.float32 and sequences.tags == tuple(TAGS)


def test_fortran_ordered_and_float64_x_read_as_written(tmp_path):
    _, y, X = toy()
    fortran, double = tmp_path / "fortran.npz", tmp_path / "double.npz"
    np.savez(fortran, X=np.asfortranarray(X), y=y, tags=np.array(TAGS))
    np.savez(double, X=X.astype(np.float64), y=y, tags=np.array(TAGS))
    np.testing.assert_array_equal(load_sequences(fortran).X, X)
    loaded = load_sequences(double).X
    assert loaded.dtype == np.float32
    np.testing.assert_array_equal(loaded, X)


def test_a_truncated_file_is_a_clear_error(tmp_path):
    names, y, X = toy()
    path = tmp_path / "split.npz"
    with open(path, "wb") as handle:
        save_sequences(handle, names, y, X, TAGS)
    path.write_bytes(path.read_bytes()[:-1000])  # an interrupted copy: the zip directory at the end is gone
    with pytest.raises(AugliError, match=f"^cannot read {path}: File is not a zip file$"):
        load_sequences(path)


def test_the_nan_scan_names_the_first_bad_value_across_blocks():
    _, _, X = toy(n_tracks=40)
    track_bytes = X[0].nbytes
    assert first_non_finite(X, block_bytes=3 * track_bytes) is None
    X[29, 1, 5] = np.inf
    X[17, 3, 2] = np.nan
    X[17, 2, 4] = -np.inf  # same track, earlier window: this one is first
    assert first_non_finite(X, block_bytes=3 * track_bytes) == (17, 2, 4)
    assert first_non_finite(X) == (17, 2, 4)


def test_track_blocks_cover_every_track_once_within_the_bound():
    _, _, X = toy(n_tracks=40)
    blocks = track_blocks(X, block_bytes=3 * X[0].nbytes + 1)
    assert [(block.start, block.stop) for block in blocks] == [(start, min(start + 3, 40)) for start in range(0, 40, 3)]
    assert [block.stop - block.start for block in track_blocks(X, block_bytes=1)] == [1] * 40  # at least one track


def test_x_that_is_not_numbers_is_a_clear_error(tmp_path):
    _, y, X = toy()
    path = tmp_path / "text.npz"
    np.savez(path, X=X.astype(str), y=y, tags=np.array(TAGS))
    with pytest.raises(AugliError, match=f"^X in {path} must hold numbers, found dtype <U"):
        load_sequences(path)
