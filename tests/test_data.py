"""Split TSVs, tags and ground truth, checked against the real MTG-Jamendo files."""

import os

import numpy as np
import pytest
from click.testing import CliRunner

from augli import data
from augli.errors import AugliError
from augli.files import atomic_open
from conftest import DATASET, MEP, REPO, SPLIT_0
from labels.make_labels import main as make_labels


def test_split_sizes_and_fields():
    sizes = {split: len(data.read_split(data.split_tsv(SPLIT_0, split))) for split in data.SPLITS}
    assert sizes == {"train": 9949, "validation": 3802, "test": 4231}
    first = data.read_split(data.split_tsv(SPLIT_0, "train"))[0]
    assert (first.track_id, first.path, first.tags) == ("track_0000948", "48/948.mp3", ("mood/theme---background",))
    assert isinstance(first.duration, float)


def test_test_split_binarised_with_training_tags_is_the_groundtruth():
    tags = data.tags_of(data.read_split(data.split_tsv(SPLIT_0, "train")))
    assert tags == data.read_tag_list(DATASET / "data" / "tags" / "moodtheme_split.txt")
    binarised = data.binarize(data.read_split(data.split_tsv(SPLIT_0, "test")), tags)
    np.testing.assert_array_equal(binarised.astype(bool), data.load_groundtruth(MEP))


def test_the_official_ground_truth_is_checked_only_for_mediaeval_2019s_split():
    tracks = data.read_split(data.split_tsv(SPLIT_0, "test"))
    tags = data.read_tag_list(data.tag_list_path(MEP))
    truth = data.binarize(tracks, tags)
    paths = [track.path for track in tracks]
    assert data.official_groundtruth_disagreement(MEP, paths, truth, tags) is None
    flipped = truth.copy()
    flipped[5, 7] = 1 - flipped[5, 7]
    assert data.official_groundtruth_disagreement(MEP, paths, flipped, tags) == (
        f"{data.groundtruth_path(MEP)} differs from the test split's tags in 1 cell(s)")
    # Another split, the same tracks in another order, or other tags: nothing to compare with.
    assert data.official_groundtruth_disagreement(MEP, paths[:-1], flipped[:-1], tags) is None
    assert data.official_groundtruth_disagreement(MEP, paths[::-1], flipped[::-1], tags) is None
    assert data.official_groundtruth_disagreement(MEP, paths, flipped[:, 1:], tags[1:]) is None


@pytest.mark.parametrize("subset, train_tsv, sha256_list", [
    ("moodtheme", "split-3/autotagging_moodtheme-train.tsv", "autotagging_moodtheme_audio-low_sha256_tracks.txt"),
    ("genre", "split-3/autotagging_genre-train.tsv", "raw_30s_audio-low_sha256_tracks.txt"),
    ("instrument", "split-3/autotagging_instrument-train.tsv", "raw_30s_audio-low_sha256_tracks.txt"),
    ("top50tags", "split-3/autotagging_top50tags-train.tsv", "raw_30s_audio-low_sha256_tracks.txt"),
    ("all", "split-3/autotagging-train.tsv", "raw_30s_audio-low_sha256_tracks.txt"),
])
def test_every_subset_and_split_has_mtgs_file_names(subset, train_tsv, sha256_list):
    assert data.split_tsv(data.split_dir("MEP", 3), "train", subset) == (
        data.split_dir("MEP", 0).parent / train_tsv)
    assert data.sha256_list(subset, "audio-low") == f"data/download/{sha256_list}"


def test_unknown_subsets_and_splits_are_refused():
    with pytest.raises(AugliError, match="unknown subset 'mood': choose from moodtheme, genre, instrument, top50tags, all"):
        data.split_tsv("x", "train", "mood")
    with pytest.raises(AugliError, match="MTG-Jamendo has no split 5: its splits are 0 to 4"):
        data.split_dir("MEP", 5)


def test_unknown_tag_is_named(tmp_path):
    tsv = tmp_path / "split.tsv"
    tsv.write_text("TRACK_ID\tARTIST_ID\tALBUM_ID\tPATH\tDURATION\tTAGS\nt1\ta1\tb1\t01/1.mp3\t30.0\tmood/theme---new\n")
    with pytest.raises(AugliError, match=r"tag 'mood/theme---new' of track 01/1.mp3 in .*split.tsv is not among the 1 training tags"):
        data.binarize(data.read_split(tsv), ["mood/theme---calm"], source=str(tsv))


@pytest.mark.parametrize("content, message", [
    ("PATH\tTAGS\n", "is not an MTG-Jamendo split TSV"),
    ("TRACK_ID\tARTIST_ID\tALBUM_ID\tPATH\tDURATION\tTAGS\nt1\ta1\tb1\t01/1.mp3\n", "line 2: expected at least 6 tab-separated fields, found 4"),
    ("TRACK_ID\tARTIST_ID\tALBUM_ID\tPATH\tDURATION\tTAGS\nt1\ta1\tb1\t01/1.mp3\tlong\tx\n", "line 2: DURATION 'long' is not a number"),
    ("TRACK_ID\tARTIST_ID\tALBUM_ID\tPATH\tDURATION\tTAGS\n", "lists no tracks"),
])
def test_malformed_split_files(tmp_path, content, message):
    tsv = tmp_path / "bad.tsv"
    tsv.write_text(content)
    with pytest.raises(AugliError, match=message):
        data.read_split(tsv)


def test_groundtruth_prefers_the_2019_location_then_falls_back(tmp_path):
    assert data.groundtruth_path(MEP) == DATASET / "results" / "mediaeval" / "groundtruth.npy"
    old = tmp_path / "mtg-jamendo-dataset" / "results" / "mediaeval2019"
    old.mkdir(parents=True)
    np.save(old / "groundtruth.npy", np.ones((2, 3), bool))
    assert data.load_groundtruth(tmp_path).shape == (2, 3)
    with pytest.raises(AugliError, match=r"no ground truth found: looked for .*mediaeval2019/groundtruth.npy or .*mediaeval/groundtruth.npy"):
        data.groundtruth_path(tmp_path / "elsewhere")


def test_atomic_open_leaves_nothing_behind_on_failure(tmp_path):
    target = tmp_path / "out.npy"
    with pytest.raises(RuntimeError):
        with atomic_open(target) as handle:
            handle.write(b"partial")
            raise RuntimeError("interrupted")
    assert os.listdir(tmp_path) == []
    with atomic_open(target) as handle:
        np.save(handle, np.arange(3))
    assert os.listdir(tmp_path) == ["out.npy"]
    assert np.load(target).tolist() == [0, 1, 2]


def test_committed_label_files_are_regenerated_exactly(tmp_path):
    result = CliRunner().invoke(make_labels, [str(SPLIT_0), str(tmp_path)])
    assert result.exit_code == 0, result.output
    for split in data.SPLITS:
        name = f"autotagging_moodtheme-{split}.csv"
        assert (tmp_path / name).read_bytes() == (REPO / "labels" / name).read_bytes()
    lines = (tmp_path / "autotagging_moodtheme-test.csv").read_text().splitlines()
    assert lines[:2] == ["filename,label", "24/3524.mp3,mood/theme---melodic"]
    assert len(lines) == 4232


def test_label_files_of_another_subset_take_its_names(tmp_path):
    splits = tmp_path / "split-3"
    splits.mkdir()
    header = "\t".join(data.TSV_COLUMNS)
    for split in data.SPLITS:
        (splits / f"autotagging_instrument-{split}.tsv").write_text(
            f"{header}\nt1\ta1\tb1\t01/1.mp3\t30.0\tinstrument---piano\tinstrument---voice\n")
    result = CliRunner().invoke(make_labels, [str(splits), str(tmp_path / "labels"), "--subset", "instrument"])
    assert result.exit_code == 0, result.output
    assert sorted(path.name for path in (tmp_path / "labels").iterdir()) == [
        f"autotagging_instrument-{split}.csv" for split in ("test", "train", "validation")]
    assert (tmp_path / "labels/autotagging_instrument-test.csv").read_text() == "filename,label\n01/1.mp3,instrument---piano\n"


def test_the_tag_prefix_comes_from_the_tag_list():
    tags = data.read_tag_list(DATASET / "data" / "tags" / "moodtheme_split.txt")
    assert data.tag_prefix(tags) == "mood/theme---"
    assert data.short_tag_names(tags)[:2] == ["action", "adventure"]
    assert data.tag_prefix(["genre---rock", "genre---jazz"]) == "genre---"
    mixed = ["genre---rock", "instrument---piano"]
    assert data.tag_prefix(mixed) == "" and data.short_tag_names(mixed) == mixed
    assert data.tag_prefix(["calm", "mood/theme---dark"]) == ""
