"""The toy dataset: MTG's layout and formats, determinism, and tags that can be heard after conversion."""

import json

import numpy as np
import pytest
import soundfile
from click.testing import CliRunner

import make_toy_dataset
import prepare_audio
from augli import data, toy
from augli.checksums import read_sha256_list
from augli.metrics import macro_auc
from vggish.params import conv_weight_shapes
from vggish.weights import read_conv_weights

SIZES = {"train": 9, "validation": 8, "test": 8}
DURATION_S = 4.0
SAMPLE_RATE_HZ = 22050


def generate(out, *options):
    result = CliRunner().invoke(make_toy_dataset.main, [
        str(out), "--train", SIZES["train"], "--validation", SIZES["validation"], "--test", SIZES["test"],
        "--duration", DURATION_S, "--sample-rate", SAMPLE_RATE_HZ, *options])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def toy_root(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("toy") / "MEDIAEVAL19", "-j", 1)


def splits_of(root):
    return {split: data.read_split(data.split_tsv(data.split_dir(root), split)) for split in data.SPLITS}


def files_below(root):
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def test_layout_and_formats_are_mtgs(toy_root):
    dataset = toy_root / "mtg-jamendo-dataset"
    splits = splits_of(toy_root)
    assert {split: len(tracks) for split, tracks in splits.items()} == SIZES
    tsv = (dataset / "data/splits/split-0/autotagging_moodtheme-test.tsv").read_bytes()
    assert tsv.startswith(b"TRACK_ID\tARTIST_ID\tALBUM_ID\tPATH\tDURATION\tTAGS\r\n")
    assert tsv.count(b"\r\n") == tsv.count(b"\n") == SIZES["test"] + 1

    every_track = [track for tracks in splits.values() for track in tracks]
    assert len({track.track_id for track in every_track}) == len(every_track)
    for track in every_track:
        number = int(track.track_id.removeprefix("track_"))
        assert track.path == f"{number % 100:02d}/{number}.mp3"
        assert track.duration == DURATION_S
        assert 1 <= len(track.tags) <= 3 and list(track.tags) == sorted(set(track.tags))
        info = soundfile.info(toy_root / "audio" / track.path)
        assert (info.format, info.samplerate, info.channels) == ("MP3", SAMPLE_RATE_HZ, 1)
        assert info.frames == DURATION_S * SAMPLE_RATE_HZ
    for split, tracks in splits.items():
        assert [track.track_id for track in tracks] == sorted(track.track_id for track in tracks)
        assert (toy_root / "labels" / f"autotagging_moodtheme-{split}.csv").read_text() == data.label_csv(tracks)

    tags = data.read_tag_list(data.tag_list_path(toy_root))
    assert tags == list(toy.TOY_TAGS) == sorted(tags) and len(tags) == 8
    assert all(tag.startswith("mood/theme---") for tag in tags)
    groundtruth_file = dataset / "results" / "mediaeval2019" / "groundtruth.npy"
    assert data.groundtruth_path(toy_root) == groundtruth_file
    groundtruth = np.load(groundtruth_file)
    assert groundtruth.dtype == bool
    np.testing.assert_array_equal(groundtruth, data.binarize(splits["test"], tags).astype(bool))

    sha256 = read_sha256_list(dataset / "data" / "download" / "autotagging_moodtheme_audio_sha256_tracks.txt")
    assert sorted(sha256) == sorted(track.path for track in every_track)
    description = json.loads((toy_root / "toy-dataset.json").read_text())
    assert description["tracks"] == SIZES and list(description["tags"]) == tags


def test_the_random_vggish_is_glorot_uniform_in_dtaoos_layout(toy_root):
    weights = read_conv_weights(toy_root / toy.RANDOM_VGGISH)  # refuses another layout or shape
    assert list(weights) == list(conv_weight_shapes())
    for layer, (kernel, bias) in weights.items():
        limit = np.sqrt(6 / (np.prod(kernel.shape[:2]) * (kernel.shape[2] + kernel.shape[3])))
        assert np.abs(kernel).max() <= limit and np.abs(kernel).max() > 0.99 * limit, layer
        assert kernel.std() == pytest.approx(limit / np.sqrt(3), rel=0.05), layer
        assert not bias.any(), layer
    assert json.loads((toy_root / "toy-dataset.json").read_text())["vggish_weights"]["file"] == toy.RANDOM_VGGISH


def test_every_tag_is_in_every_split(toy_root):
    for split, tracks in splits_of(toy_root).items():
        assert data.tags_of(tracks) == list(toy.TOY_TAGS), split


def test_same_seed_same_bytes_another_seed_other_audio(toy_root, tmp_path):
    first = files_below(toy_root)
    assert files_below(generate(tmp_path / "again", "-j", 2)) == first  # worker count changes nothing
    other = files_below(generate(tmp_path / "other", "--seed", 1, "-j", 1))
    assert other.keys() != first.keys()
    assert not {name: content for name, content in other.items() if name.endswith(".mp3")}.items() & first.items()


def test_prepare_audio_accepts_the_checksums_and_the_tags_survive_16_khz(toy_root, tmp_path):
    checksums = toy_root / "mtg-jamendo-dataset/data/download/autotagging_moodtheme_audio_sha256_tracks.txt"
    wav = tmp_path / "wav"
    result = CliRunner().invoke(prepare_audio.main, [str(toy_root / "audio"), str(wav), "--sha256", str(checksums), "-j", 1])
    assert result.exit_code == 0, result.output
    assert "converted 25, already done 0, failed 0" in result.output

    tracks = [track for tracks in splits_of(toy_root).values() for track in tracks]
    band_levels = []  # tracks x tags: share of the track's energy in each tag's band, in dB
    for track in tracks:
        samples, rate = soundfile.read(wav / track.path.replace(".mp3", ".wav"))
        assert rate == 16000 and samples.ndim == 1 and len(samples) == DURATION_S * rate
        power = np.abs(np.fft.rfft(samples)) ** 2
        frequencies = np.fft.rfftfreq(len(samples), 1 / rate)
        band_levels.append([
            10 * np.log10(power[(frequencies >= low - 50) & (frequencies <= high + 50)].sum() / power.sum())
            for low, high in (toy.SIGNATURES[tag.removeprefix("mood/theme---")].band_hz for tag in toy.TOY_TAGS)])
    truth, band_levels = data.binarize(tracks, list(toy.TOY_TAGS)), np.array(band_levels)
    for column, tag in enumerate(toy.TOY_TAGS):
        assert macro_auc(truth[:, [column]], band_levels[:, [column]])[0] == 1.0, tag


@pytest.mark.parametrize("options, message", [
    (["--train", 7], "the train split needs at least 8 tracks (one per tag), not 7"),
    (["--tags", 3, "--test", 2], "the test split needs at least 3 tracks (one per tag), not 2"),
])
def test_too_small_splits_are_refused(tmp_path, options, message):
    result = CliRunner().invoke(make_toy_dataset.main, [str(tmp_path / "toy"), *map(str, options)])
    assert result.exit_code == 1
    assert result.output == f"Error: {message}\n"
    assert not (tmp_path / "toy").exists()


def test_an_existing_folder_with_content_is_refused(toy_root):
    result = CliRunner().invoke(make_toy_dataset.main, [str(toy_root)])
    assert result.exit_code == 1
    assert result.output == f"Error: {toy_root} already exists and is not an empty folder: remove it or choose another\n"


def test_an_empty_folder_is_filled_and_a_killed_runs_leftovers_are_replaced(tmp_path):
    (tmp_path / "toy").mkdir()
    (tmp_path / ".toy.part" / "audio").mkdir(parents=True)
    (tmp_path / ".toy.part" / "audio" / "stale.mp3").write_bytes(b"")
    toy.make_toy_dataset(tmp_path / "toy", {"train": 1, "validation": 1, "test": 1}, duration_s=1.0, n_tags=1)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["toy"]
    assert len(list((tmp_path / "toy" / "audio").rglob("*.mp3"))) == 3


def test_fewer_tags(tmp_path):
    result = CliRunner().invoke(make_toy_dataset.main, [
        str(tmp_path / "toy"), "--tags", 3, "--train", 3, "--validation", 3, "--test", 4, "--duration", 1, "-j", 1])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"wrote {tmp_path / 'toy'}: moodtheme split-0, 3 train, 3 validation, 4 test tracks of 1 s, 3 tags\n"
    assert data.read_tag_list(data.tag_list_path(tmp_path / "toy")) == list(toy.TOY_TAGS[:3])
    assert np.load(tmp_path / "toy/mtg-jamendo-dataset/results/mediaeval2019/groundtruth.npy").shape == (4, 3)


@pytest.mark.parametrize("subset, categories", [("genre", {"genre"}), ("all", {"genre", "instrument", "mood/theme"})])
def test_another_split_and_subset_has_mtgs_names_and_no_official_files(tmp_path, subset, categories):
    """As MTG's repository: the subset's TSVs in split-3 and its sha256 list; a tag list and ground truth only for
    split-0 of mood/theme. The same sounds under the subset's tag names."""
    result = CliRunner().invoke(make_toy_dataset.main, [
        str(tmp_path / "toy"), "--split", "3", "--subset", subset, "--tags", 5, "--train", 5, "--validation", 5,
        "--test", 5, "--duration", 1, "-j", 1])
    assert result.exit_code == 0, result.output
    root = tmp_path / "toy"
    tracks = {split: data.read_split(data.split_tsv(data.split_dir(root, 3), split, subset)) for split in data.SPLITS}
    tags = data.tags_of(tracks["train"])
    assert tags == list(toy.toy_tags(subset)[:5]) and len(tags) == 5
    assert {tag.split("---")[0] for tag in toy.toy_tags(subset)} == categories
    assert {tag.split("---")[1] for tag in toy.toy_tags(subset)} == set(toy.SIGNATURES)
    assert not (root / "mtg-jamendo-dataset/results").exists() and not data.tag_list_path(root).exists()
    assert not data.split_dir(root, 0).exists()
    listed = read_sha256_list(root / "mtg-jamendo-dataset" / data.sha256_list(subset, "audio"))
    assert sorted(listed) == sorted(track.path for split in tracks.values() for track in split)
    for split, split_tracks in tracks.items():
        assert (root / "labels" / f"{data.split_file_name(split, subset)}.csv").read_text() == data.label_csv(split_tracks)
    description = json.loads((root / "toy-dataset.json").read_text())
    assert (description["split"], description["subset"]) == (3, subset)
