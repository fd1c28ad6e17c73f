"""The scripts chained through their files: feature CSVs -> transform_features -> train_rnn -> fusion."""

import numpy as np
from click.testing import CliRunner

import fusion
import train_rnn
import transform_features
from augli.data import TSV_COLUMNS
from augli.metrics import METRICS, evaluate

TAGS = ["mood/theme---calm", "mood/theme---dark", "mood/theme---happy"]
WINDOWS, WIDTH = 3, 6
SIZES = {"train": 90, "validation": 45, "test": 45}


def write_split(folder, split, n_tracks, rng):
    """A split TSV and its DeepSpectrum-style CSV; tag k raises neurons 2k and 2k+1 in one window."""
    tsv, csv = ["\t".join(TSV_COLUMNS)], ["name,timeStamp," + ",".join(f"neuron_{i}" for i in range(WIDTH))]
    labels = []
    for track in range(n_tracks):
        path = f"{track % 100:02d}/{split}{track}.mp3"
        tags = [tag for tag in TAGS if rng.random() < 0.4] or [TAGS[track % len(TAGS)]]
        tsv.append("\t".join([f"track_{track}", "artist", "album", path, "30.0", *tags]))
        features = rng.random((WINDOWS, WIDTH)).astype(np.float32)
        for tag in tags:
            k = TAGS.index(tag)
            features[rng.integers(WINDOWS), 2 * k:2 * k + 2] += 3
        csv += [f"{path},{window}," + ",".join(str(value) for value in features[window]) for window in range(WINDOWS)]
        labels.append([tag in tags for tag in TAGS])
    (folder / f"autotagging_moodtheme-{split}.tsv").write_text("\r\n".join(tsv) + "\r\n")
    (folder / f"{split}.csv").write_text("\n".join(csv) + "\n")
    return np.array(labels)


def test_features_to_fused_evaluation(tmp_path):
    rng = np.random.default_rng(0)
    features = tmp_path / "features" / "DeepSpectrum" / "1s"
    features.mkdir(parents=True)
    labels = {split: write_split(features, split, n_tracks, rng) for split, n_tracks in SIZES.items()}
    (tmp_path / "MEDIAEVAL19").mkdir()  # no ground truth file: the test split's tags are the ground truth

    runner = CliRunner()
    result = runner.invoke(transform_features.main, [str(features), str(features)])
    assert result.exit_code == 0, result.output
    experiment = tmp_path / "fusion" / "DeepSpectrum" / "1s" / "gru"
    result = runner.invoke(train_rnn.main, [
        "-mep", str(tmp_path / "MEDIAEVAL19"), "-ebp", str(experiment), "-rt", "gru",
        "-tr", str(features / "train.npz"), "-v", str(features / "validation.npz"), "-te", str(features / "test.npz"),
        "-e", "3", "-ru", "8", "-rl", "1", "-bs", "15", "-lr", "0.01", "--quiet"])
    assert result.exit_code == 0, result.output
    assert np.load(experiment / "predictions.npy").shape == (45, 3)

    out = tmp_path / "fusion-results"
    result = runner.invoke(fusion.main, ["-mep", str(tmp_path / "MEDIAEVAL19"), "-fbp", str(tmp_path / "fusion"),
                                         "-o", str(out), "--thresholds", "validation",
                                         "-te", str(features / "autotagging_moodtheme-test.tsv"),
                                         "-v", str(features / "autotagging_moodtheme-validation.tsv")])
    assert result.exit_code == 0, result.output
    rows = [line.split("\t") for line in (out / "results.tsv").read_text().splitlines()]
    assert [row[0] for row in rows] == ["", "all", "ds-1s", "ds-all"]
    assert rows[0][1:] == list(METRICS)
    np.testing.assert_array_equal(np.load(out / "ds-1s" / "predictions.npy"), np.load(experiment / "predictions.npy"))
    fused, decisions = np.load(out / "all" / "predictions.npy"), np.load(out / "all" / "decisions.npy")
    expected = evaluate(labels["test"], fused, decisions)
    assert rows[1][1:] == [f"{expected[metric]:.6f}" for metric in METRICS]  # scored against the test TSV's tags
