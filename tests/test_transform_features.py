"""transform_features: DeepSpectrum CSV -> npz, exact values, streaming parser edge cases, every bad input."""

import json
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import augli.features as features
from augli import feature_csv
from augli.data import TSV_COLUMNS, read_split
from augli.errors import AugliError
from transform_features import main

WIDTH = 8
TRAIN_TRACKS = {"48/948.mp3": ("happy", "film"), "12/1012.mp3": ("sad",), "07/3307.mp3": ("film", "calm")}
VALIDATION_TRACKS = {"33/533.mp3": ("sad", "calm"), "48/148.mp3": ("happy",)}
TEST_TRACKS = {"91/191.mp3": ("film",)}
SPLIT_TRACKS = {"train": TRAIN_TRACKS, "validation": VALIDATION_TRACKS, "test": TEST_TRACKS}
TAGS = ["calm", "film", "happy", "sad"]


def write_tsv(path, tracks):
    lines = ["\t".join(TSV_COLUMNS)]
    for number, (track_path, tags) in enumerate(tracks.items()):
        lines.append("\t".join([f"track_{number}", "artist_0", "album_0", track_path, "29.0", *tags]))
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")


def cell_texts(rng, count):
    """str(np.float32) cells as DeepSpectrum writes them: zeros, plain and scientific, one too small for the fast path."""
    values = rng.gamma(0.7, 1.5, count).astype(np.float32)
    values[rng.random(count) < 0.6] = 0
    values[rng.random(count) < 0.1] *= np.float32(1e-6)
    texts = [str(value) for value in values]
    texts[0] = str(np.float32(3.4e-38))  # decimal exponent beyond 10**22: rounded in Python
    return texts


def make_rows(tracks, windows, rng):
    """{path: [(timeStamp, [cell texts])]} with windows in time order."""
    return {path: [(str(window), cell_texts(rng, WIDTH)) for window in range(windows)] for path in tracks}


def write_csv(path, rows, order, header=None, newline="\n"):
    """Lines in `order` [(path, window index)], DeepSpectrum's header unless one is given."""
    header = header or ",".join(["name", "timeStamp"] + [f"neuron_{index}" for index in range(WIDTH)])
    lines = [header] + [",".join([name, rows[name][window][0], *rows[name][window][1]]) for name, window in order]
    path.write_bytes((newline.join(lines) + newline).encode("utf-8"))


def expected_features(rows, tracks):
    """The oracle: each cell rounded to float64 then float32, as pandas + np.array(dtype=float32) did."""
    return np.array([[[float(cell) for cell in cells] for _, cells in rows[path]] for path in tracks], dtype=np.float32)


@pytest.fixture
def dataset(tmp_path):
    """Three splits in FEATURE_DIR/LABEL_DIR layout, tracks shuffled and interleaved, 3 windows each."""
    rng = np.random.default_rng(7)
    feature_dir, label_dir = tmp_path / "features", tmp_path / "splits"
    feature_dir.mkdir()
    label_dir.mkdir()
    all_rows = {}
    for split, tracks in SPLIT_TRACKS.items():
        write_tsv(label_dir / f"autotagging_moodtheme-{split}.tsv", tracks)
        rows = make_rows(list(tracks) + ["99/999.mp3"], 3, rng)  # one track no TSV lists
        order = [(name, window) for window in range(3) for name in reversed(list(rows))]
        write_csv(feature_dir / f"{split}.csv", rows, order)
        all_rows[split] = rows
    return feature_dir, label_dir, all_rows


def run(*args):
    return CliRunner().invoke(main, [str(arg) for arg in args])


def error_line(result):
    return result.stderr.splitlines()[-1]


def npz_files(folder):
    return sorted(path.name for path in folder.iterdir() if path.suffix != ".csv")


def test_cli_writes_exact_npz_for_every_split(dataset):
    feature_dir, label_dir, rows = dataset
    result = run(feature_dir, label_dir)
    assert result.exit_code == 0, result.output
    assert result.stdout == "".join(f"wrote {feature_dir / split}.npz\n" for split in SPLIT_TRACKS)
    for split, tracks in SPLIT_TRACKS.items():
        with np.load(feature_dir / f"{split}.npz") as npz:
            assert list(npz.keys()) == ["names", "y", "X", "tags"]
            assert npz["names"].tolist() == list(tracks) and npz["names"].dtype.kind == "U"
            assert npz["tags"].tolist() == TAGS and npz["tags"].dtype.kind == "U"
            assert npz["y"].dtype == np.int64
            assert npz["y"].tolist() == [[int(tag in tags) for tag in TAGS] for tags in tracks.values()]
            assert npz["X"].dtype == np.float32 and npz["X"].shape == (len(tracks), 3, WIDTH)
            np.testing.assert_array_equal(npz["X"].view(np.uint32), expected_features(rows[split], tracks).view(np.uint32))


def test_ignored_tracks_are_counted_in_a_warning(dataset):
    feature_dir, label_dir, _ = dataset
    result = run(feature_dir, label_dir, "--splits", "test")
    assert (f"Warning: {feature_dir / 'test.csv'} has 1 track(s) that autotagging_moodtheme-test.tsv does not list; "
            "they are ignored") in result.stderr


def test_golden_three_tracks(tmp_path):
    """Hand-written CSV: windows keep CSV row order (not timeStamp order), CRLF, tracks out of TSV order."""
    label_dir = tmp_path / "splits"
    label_dir.mkdir()
    write_tsv(label_dir / "autotagging_moodtheme-train.tsv", {"1/1.mp3": ("b",), "2/2.mp3": ("a", "b"), "3/3.mp3": ("a",)})
    (tmp_path / "train.csv").write_bytes(
        b"name,timeStamp,neuron_0,neuron_1,neuron_2\r\n"
        b"3/3.mp3,0,0.0,1.5,-2.25\r\n"
        b"1/1.mp3,1,1e-05,0.1,3.4028235e+38\r\n"
        b"2/2.mp3,0,7,0.0,0.0\r\n"
        b"3/3.mp3,1,0.33333334,2.5e-45,-0.0\r\n"
        b"1/1.mp3,0,12.345678,0.0,0.0\r\n"
        b"2/2.mp3,1,0.0,4096.0,1.1754944e-38\r\n")
    assert run(tmp_path, label_dir, "--splits", "train").exit_code == 0
    with np.load(tmp_path / "train.npz") as npz:
        assert npz["names"].tolist() == ["1/1.mp3", "2/2.mp3", "3/3.mp3"]
        assert npz["tags"].tolist() == ["a", "b"]
        assert npz["y"].tolist() == [[0, 1], [1, 1], [1, 0]]
        golden = np.array([[[1e-05, 0.1, 3.4028235e+38], [12.345678, 0, 0]],
                           [[7, 0, 0], [0, 4096, 1.1754944e-38]],
                           [[0, 1.5, -2.25], [0.33333334, 2.5e-45, -0.0]]], dtype=np.float32)
        np.testing.assert_array_equal(npz["X"].view(np.uint32), golden.view(np.uint32))


@pytest.mark.parametrize("subset, tsv_name", [("genre", "autotagging_genre-train.tsv"), ("all", "autotagging-train.tsv")])
def test_another_subset_reads_its_own_tsvs(tmp_path, subset, tsv_name):
    label_dir = tmp_path / "splits"
    label_dir.mkdir()
    write_tsv(label_dir / tsv_name, {"1/1.mp3": ("genre---rock",), "2/2.mp3": ("genre---jazz", "instrument---piano")})
    (tmp_path / "train.csv").write_text("name,timeStamp,neuron_0\n1/1.mp3,0,0.5\n2/2.mp3,0,1.5\n")
    result = run(tmp_path, label_dir, "--splits", "train", "--subset", subset)
    assert result.exit_code == 0, result.output
    with np.load(tmp_path / "train.npz") as npz:
        assert npz["tags"].tolist() == ["genre---jazz", "genre---rock", "instrument---piano"]
        assert npz["y"].tolist() == [[0, 1, 0], [1, 0, 1]]
    result = run(tmp_path, label_dir, "--splits", "train")  # mood/theme's file is not there
    assert result.exit_code == 1 and f"missing input file {label_dir / 'autotagging_moodtheme-train.tsv'}" in result.output


def test_equals_the_original_pandas_algorithm(dataset):
    feature_dir, label_dir, _ = dataset
    assert run(feature_dir, label_dir, "--splits", "validation").exit_code == 0
    groups = pd.read_csv(feature_dir / "validation.csv").groupby(["name"])
    original = np.array([groups.get_group((name,)).values[:, 2:] for name in VALIDATION_TRACKS], dtype=np.float32)
    with np.load(feature_dir / "validation.npz") as npz:
        np.testing.assert_array_equal(npz["X"].view(np.uint32), original.view(np.uint32))


def test_small_chunks_and_slow_cell_batches_give_the_same_array(dataset, monkeypatch):
    feature_dir, label_dir, rows = dataset
    monkeypatch.setattr(features, "READ_CHUNK_BYTES", 50)  # shorter than a line: the buffer grows
    monkeypatch.setattr(features, "SLOW_CELLS_PER_CALL", WIDTH)  # one line's worth per kernel call
    csv_path = feature_dir / "train.csv"
    lines = csv_path.read_bytes().split(b"\n")
    lines[3:3] = [b"", b"\r"]  # blank lines, skipped
    csv_path.write_bytes(b"\n".join(lines).rstrip(b"\n"))  # and no newline after the last line
    transform = features.transform_features(feature_dir, label_dir, ["train"])
    assert transform == [feature_dir / "train.npz"]
    with np.load(feature_dir / "train.npz") as npz:
        np.testing.assert_array_equal(npz["X"].view(np.uint32), expected_features(rows["train"], TRAIN_TRACKS).view(np.uint32))


def test_splits_subset_still_uses_the_training_tags(dataset):
    feature_dir, label_dir, _ = dataset
    result = run(feature_dir, label_dir, "--splits", "test")
    assert result.exit_code == 0
    assert npz_files(feature_dir) == ["test.npz"]
    with np.load(feature_dir / "test.npz") as npz:
        assert npz["tags"].tolist() == TAGS  # not just "film", which a per-split binarizer would give
        assert npz["y"].tolist() == [[0, 1, 0, 0]]


def test_compress_writes_deflated_npz_with_the_same_arrays(dataset):
    feature_dir, label_dir, _ = dataset
    assert run(feature_dir, label_dir, "--splits", "train").exit_code == 0
    plain = dict(np.load(feature_dir / "train.npz"))
    assert run(feature_dir, label_dir, "--splits", "train", "--compress").exit_code == 0
    with zipfile.ZipFile(feature_dir / "train.npz") as archive:
        assert {info.compress_type for info in archive.infolist()} == {zipfile.ZIP_DEFLATED}
    with np.load(feature_dir / "train.npz") as npz:
        assert all(np.array_equal(npz[key], plain[key]) and npz[key].dtype == plain[key].dtype for key in plain)


def test_the_extractors_lines_parse_back_to_their_float32_values(tmp_path):
    """feature_csv's writer and the conversion's reader agree: the extractor's header and rows give back its values."""
    values = np.array([[0.1, -2.5e-8, 3.0], [1e30, 0.0, -7.25]], dtype=np.float32)
    csv_path, tsv_path = tmp_path / "test.csv", tmp_path / "test.tsv"
    lines = feature_csv.csv_header(3) + feature_csv.LINE_END + feature_csv.csv_rows("48/948.mp3", ["0", "1"], values)
    csv_path.write_bytes(lines.encode("utf-8"))
    write_tsv(tsv_path, {"48/948.mp3": ("calm",)})
    assert feature_csv.read_header(csv_path) == 3
    assert csv_path.read_bytes().split(b"\r\n")[1] == b"48/948.mp3,0,0.1,-2.5e-08,3.0"
    index = features.index_csvs([csv_path], read_split(tsv_path), tsv_path.name)
    np.testing.assert_array_equal(features.parse_features([csv_path], index, 3)[0], values)
    assert feature_csv.record_file(tmp_path / "train-1-of-2.csv") == tmp_path / "train-1-of-2.json"


def test_help_shows_defaults():
    result = CliRunner().invoke(main, ["--help"], terminal_width=200)
    assert result.exit_code == 0
    assert "[default: train,validation,test]" in result.stdout
    assert "[default: no-compress]" in result.stdout


def test_unknown_split_is_a_usage_error(dataset):
    feature_dir, label_dir, _ = dataset
    result = run(feature_dir, label_dir, "--splits", "train,dev")
    assert result.exit_code == 2
    assert error_line(result) == ("Error: Invalid value for '--splits': 'train,dev': give a comma-separated subset "
                                  "of train,validation,test")


def rewrite_line(csv_path, number, change):
    """Apply `change` to line `number` (1 = header) of the CSV."""
    lines = csv_path.read_text().split("\n")
    lines[number - 1] = change(lines[number - 1])
    csv_path.write_text("\n".join(lines))


def set_cell(column, text):
    def change(line):
        fields = line.split(",")
        fields[2 + column] = text
        return ",".join(fields)
    return change


@pytest.mark.parametrize("text", ["abc", "", "nan", "inf", "-inf", "1e39", "1.5x", "1e", "--1"])
def test_bad_cell_names_line_and_column(dataset, text):
    feature_dir, label_dir, _ = dataset
    rewrite_line(feature_dir / "test.csv", 3, set_cell(5, text))
    result = run(feature_dir, label_dir)
    assert result.exit_code == 1
    assert error_line(result) == f"Error: {feature_dir / 'test.csv'} line 3, column neuron_5: {text!r} is not a finite number"
    assert npz_files(feature_dir) == []  # train and validation parsed fine, yet nothing is left behind


def test_bad_last_cell_before_crlf(tmp_path):
    label_dir = tmp_path / "splits"
    label_dir.mkdir()
    write_tsv(label_dir / "autotagging_moodtheme-train.tsv", {"1/1.mp3": ("a",)})
    (tmp_path / "train.csv").write_bytes(b"name,timeStamp,neuron_0,neuron_1\r\n1/1.mp3,0,1.0,NaN\r\n")
    result = run(tmp_path, label_dir, "--splits", "train")
    assert error_line(result) == f"Error: {tmp_path / 'train.csv'} line 2, column neuron_1: 'NaN' is not a finite number"


@pytest.mark.parametrize("change, fields", [(lambda line: line + ",0.0", WIDTH + 3),
                                            (lambda line: line.rsplit(",", 1)[0], WIDTH + 1),
                                            (lambda line: line.split(",", 1)[0], 1)])
def test_wrong_field_count(dataset, change, fields):
    feature_dir, label_dir, _ = dataset
    rewrite_line(feature_dir / "train.csv", 4, change)
    result = run(feature_dir, label_dir)
    assert result.exit_code == 1
    if fields == 1:
        expected = f"Error: {feature_dir / 'train.csv'} line 4 has 1 field(s), the header has more"
    else:
        expected = f"Error: {feature_dir / 'train.csv'} line 4 has {fields} fields, the header has {WIDTH + 2}"
    assert error_line(result) == expected
    assert npz_files(feature_dir) == []


def test_track_missing_from_csv(dataset):
    feature_dir, label_dir, rows = dataset
    order = [(name, window) for name in ["33/533.mp3", "99/999.mp3"] for window in range(3)]
    write_csv(feature_dir / "validation.csv", rows["validation"], order)
    result = run(feature_dir, label_dir)
    assert result.exit_code == 1
    assert error_line(result) == (f"Error: {feature_dir / 'validation.csv'} has no rows for track 48/148.mp3 "
                                  "of autotagging_moodtheme-validation.tsv")
    assert npz_files(feature_dir) == []


def test_track_with_another_window_count(dataset):
    feature_dir, label_dir, rows = dataset
    order = [(name, window) for name in TRAIN_TRACKS for window in range(3)]
    order.remove(("12/1012.mp3", 2))
    write_csv(feature_dir / "train.csv", rows["train"], order)
    result = run(feature_dir, label_dir)
    assert result.exit_code == 1
    assert error_line(result) == f"Error: {feature_dir / 'train.csv'}: track 12/1012.mp3 has 2 windows, the other tracks have 3"


def test_duplicate_time_stamp(dataset):
    feature_dir, label_dir, rows = dataset
    rows["train"]["07/3307.mp3"][2] = ("1", rows["train"]["07/3307.mp3"][2][1])
    write_csv(feature_dir / "train.csv", rows["train"], [(name, window) for name in TRAIN_TRACKS for window in range(3)])
    result = run(feature_dir, label_dir)
    assert result.exit_code == 1
    assert error_line(result) == f"Error: {feature_dir / 'train.csv'}: track 07/3307.mp3 has timeStamp 1 more than once"


def header(*extra):
    return ",".join(["name", "timeStamp"] + [f"neuron_{index}" for index in range(WIDTH)] + list(extra))


@pytest.mark.parametrize("bad_header, message", [
    (header("label"), "has a label column 'label' after neuron_7: extract the features with DeepSpectrum's -nl (no labels)"),
    (header().replace("name,", "filename,"), "is not a DeepSpectrum feature CSV: its header starts "
                                             "'filename,timeStamp,neuron_0,...', expected 'name,timeStamp,neuron_0,...'"),
    ("name,timeStamp", "is not a DeepSpectrum feature CSV: its header starts 'name,timeStamp', "
                       "expected 'name,timeStamp,neuron_0,...'"),
    (header().replace("neuron_3", "neuron_4"), "header column 6 is 'neuron_4', expected 'neuron_3'"),
])
def test_bad_header(dataset, bad_header, message):
    feature_dir, label_dir, _ = dataset
    rewrite_line(feature_dir / "validation.csv", 1, lambda line: bad_header)
    result = run(feature_dir, label_dir)
    assert result.exit_code == 1
    separator = ":" if message.startswith("header") else ""
    assert error_line(result) == f"Error: {feature_dir / 'validation.csv'}{separator} {message}"
    assert npz_files(feature_dir) == []


def test_tag_that_training_lacks(dataset):
    feature_dir, label_dir, _ = dataset
    write_tsv(label_dir / "autotagging_moodtheme-test.tsv", {"91/191.mp3": ("film", "epic")})
    result = run(feature_dir, label_dir, "--splits", "test")
    assert result.exit_code == 1
    assert error_line(result) == (f"Error: tag 'epic' of track 91/191.mp3 in {label_dir / 'autotagging_moodtheme-test.tsv'} "
                                  "is not among the 4 training tags")


@pytest.mark.parametrize("missing", ["features/validation.csv", "splits/autotagging_moodtheme-test.tsv",
                                     "splits/autotagging_moodtheme-train.tsv"])
def test_missing_input_file(dataset, missing):
    feature_dir, label_dir, _ = dataset
    path = feature_dir.parent / missing
    path.unlink()
    result = run(feature_dir, label_dir, "--splits", "validation,test")
    assert result.exit_code == 1
    assert error_line(result) == f"Error: missing input file {path}"
    assert npz_files(feature_dir) == []


def test_missing_feature_dir(tmp_path):
    result = run(tmp_path / "nowhere", tmp_path)
    assert result.exit_code == 2
    assert "Directory" in error_line(result) and "does not exist" in error_line(result)


def test_file_changed_between_passes(dataset):
    feature_dir, label_dir, rows = dataset
    csv_path = feature_dir / "train.csv"
    tracks = read_split(label_dir / "autotagging_moodtheme-train.tsv")
    index = features.index_csvs([csv_path], tracks, "train.tsv")
    with csv_path.open("a") as handle:
        handle.write(f"99/999.mp3,9,{','.join(['0.0'] * WIDTH)}\n")
    with pytest.raises(AugliError, match="changed while it was read: it has more lines than when it was indexed"):
        features.parse_features([csv_path], index, WIDTH)


WHOLE_RECORD = {"options": {"output": "features/train.csv", "shard": None, "colour_map": "magma", "number_of_processes": 2},
                "network": {"weights": "none", "seed": 42}, "git_commit": "0123abc", "tracks": 4, "rows": 12,
                "skipped": ["60/1.mp3: unreadable"]}


def write_record(csv_path, record):
    csv_path.with_suffix(".json").write_text(json.dumps(record))


def cut_into_shards(csv_path, count):
    """Replace the CSV (and its record) by `count` shards of its lines beside it, as `--shard K/count` writes them."""
    header, *lines = csv_path.read_bytes().splitlines(keepends=True)
    parts = np.array_split(np.arange(len(lines)), count)
    tracks = np.array_split(np.arange(WHOLE_RECORD["tracks"]), count)
    for index, (part, shard_tracks) in enumerate(zip(parts, tracks), start=1):
        path = csv_path.with_name(f"{csv_path.stem}-{index}-of-{count}.csv")
        path.write_bytes(header + b"".join(lines[line] for line in part))
        options = {**WHOLE_RECORD["options"], "output": f"features/{path.name}", "shard": f"{index}/{count}"}
        write_record(path, {**WHOLE_RECORD, "options": options, "tracks": len(shard_tracks), "rows": len(part),
                            "skipped": WHOLE_RECORD["skipped"] if index == 1 else []})
    csv_path.unlink()
    csv_path.with_suffix(".json").unlink()


@pytest.mark.parametrize("count, they_have", [(3, "train-1-of-3.csv to train-3-of-3.csv have"), (1, "train-1-of-1.csv has")])
def test_shards_give_the_npz_of_the_whole_csv(dataset, count, they_have):
    feature_dir, label_dir, _ = dataset
    write_record(feature_dir / "train.csv", WHOLE_RECORD)
    assert run(feature_dir, label_dir, "--splits", "train").exit_code == 0
    whole = (feature_dir / "train.npz").read_bytes()
    cut_into_shards(feature_dir / "train.csv", count)  # the dataset interleaves windows: tracks span shards

    result = run(feature_dir, label_dir, "--splits", "train")

    assert result.exit_code == 0, result.output
    assert (feature_dir / "train.npz").read_bytes() == whole
    assert (f"Warning: {feature_dir}/{they_have} 1 track(s) that "
            "autotagging_moodtheme-train.tsv does not list") in result.stderr


def test_shards_may_differ_in_run_control_options_which_the_merged_record_lists():
    records = [{**WHOLE_RECORD, "options": {**WHOLE_RECORD["options"], "output": f"f/train-{index}-of-2.csv",
                                            "shard": f"{index}/2", "number_of_processes": processes}}
               for index, processes in ((1, 2), (2, 16))]
    merged = features.merged_record([Path("train-1-of-2.csv"), Path("train-2-of-2.csv")], records,
                                    feature_csv.RUN_CONTROL_OPTIONS)
    assert merged["options"] == {**WHOLE_RECORD["options"], "output": "f/train.csv", "number_of_processes": [2, 16]}
    assert merged["tracks"] == 8 and merged["skipped"] == WHOLE_RECORD["skipped"] * 2


def change_record(name, change):
    def apply(feature_dir):
        path = feature_dir / name
        record = json.loads(path.read_text())
        change(record)
        path.write_text(json.dumps(record))
    return apply


@pytest.mark.parametrize("case, message", [
    (lambda folder: (folder / "train-1-of-3.csv").rename(folder / "train-1-of-2.csv"),
     "shards of different counts in {dir}: train-1-of-2.csv, train-2-of-3.csv, train-3-of-3.csv"),
    (lambda folder: (folder / "train.csv").write_text(""),
     "both {dir}/train.csv and shards of it (train-1-of-3.csv, ...) are there: keep one or the other"),
    (lambda folder: (folder / "train-4-of-3.csv").write_text(""), "{dir}/train-4-of-3.csv names shard 4/3, which does not exist"),
    (change_record("train-2-of-3.json", lambda record: record["network"].update(weights="imagenet")),
     "{dir}/train-2-of-3.json and {dir}/train-1-of-3.json differ in network.weights: the shards of one split must "
     "come from one extraction"),
    (change_record("train-3-of-3.json", lambda record: record["options"].update(colour_map="viridis")),
     "{dir}/train-3-of-3.json and {dir}/train-1-of-3.json differ in options.colour_map: the shards of one split must "
     "come from one extraction"),
    (change_record("train-2-of-3.json", lambda record: record["options"].update(shard="3/3")),
     "{dir}/train-2-of-3.json records shard 3/3, but the name train-2-of-3.csv says 2/3"),
    (lambda folder: (folder / "train-3-of-3.json").unlink(),
     "{dir}/train-3-of-3.json is missing, yet the other shards of the split have their record"),
    (lambda folder: rewrite_line(folder / "train-3-of-3.csv", 1, lambda line: line.rsplit(",", 1)[0]),
     f"{{dir}}/train-3-of-3.csv has {WIDTH - 1} features per row, {{dir}}/train-1-of-3.csv has {WIDTH}"),
])
def test_bad_shards_are_refused(dataset, case, message):
    feature_dir, label_dir, _ = dataset
    write_record(feature_dir / "train.csv", WHOLE_RECORD)
    cut_into_shards(feature_dir / "train.csv", 3)
    case(feature_dir)
    result = run(feature_dir, label_dir)
    assert result.exit_code == 1
    assert error_line(result) == f"Error: {message.format(dir=feature_dir)}"
    assert not list(feature_dir.glob("*.npz"))


def test_a_shards_record_beside_the_whole_csv_is_refused(dataset):
    feature_dir, label_dir, _ = dataset
    write_record(feature_dir / "train.csv", {**WHOLE_RECORD, "options": {**WHOLE_RECORD["options"], "shard": "1/2"}})
    result = run(feature_dir, label_dir)
    assert error_line(result) == f"Error: {feature_dir / 'train.json'} records shard 1/2, but the name train.csv says none"
