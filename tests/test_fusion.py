"""fusion.py end to end, in-process, on the official predictions and on generated layouts."""

import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner

from augli import metrics
from augli.data import binarize, load_groundtruth, read_split, read_tag_list
from conftest import DATASET, MEP, REPO, RESULTS, SPLIT_0, SUBMISSIONS, read_metric_lines, read_result_table
from fusion import main

AUGLI_ALL = SUBMISSIONS / "AugLi" / "all-predictions.npy"
VGGISH = RESULTS / "baseline_vggish_predictions.npy"
GROUNDTRUTH = load_groundtruth(MEP)
TAGS = read_tag_list(DATASET / "data" / "tags" / "moodtheme_split.txt")


def run(*args):
    return CliRunner().invoke(main, ["-mep", str(MEP), *map(str, args)])


def place(base, relative, source=None, array=None):
    folder = base / relative
    folder.mkdir(parents=True, exist_ok=True)
    if source is not None:
        shutil.copy(source, folder / "predictions.npy")
    else:
        np.save(folder / "predictions.npy", array)
    return folder


@pytest.fixture
def three_model_base(tmp_path):
    """crnn, DeepSpectrum 1s and 5s models: the official submission, the VGGish baseline and a blend."""
    base = tmp_path / "fusion"
    augli, vggish = np.load(AUGLI_ALL), np.load(VGGISH)
    place(base, "crnn/gru", array=augli)
    place(base, "DeepSpectrum/1s/lstm", array=vggish)
    place(base, "DeepSpectrum/5s/bilstm", array=(0.3 * augli + 0.7 * vggish).astype(np.float32))
    return base


def test_single_model_reproduces_the_official_augli_row_and_files(tmp_path):
    base = tmp_path / "fusion"
    place(base, "submission", source=AUGLI_ALL)
    out = tmp_path / "results"
    result = run("-fbp", base, "-o", out)
    assert result.exit_code == 0, result.output
    official = (SUBMISSIONS / "AugLi.tsv").read_text().splitlines()
    assert (out / "results.tsv").read_text().splitlines() == official[:2]
    assert (out / "all" / "thresholds.txt").read_text() == (SUBMISSIONS / "AugLi" / "all-thresholds.txt").read_text()
    np.testing.assert_array_equal(np.load(out / "all" / "decisions.npy"), np.load(SUBMISSIONS / "AugLi" / "all-decisions.npy"))
    np.testing.assert_array_equal(np.load(out / "all" / "predictions.npy"), np.load(AUGLI_ALL))
    assert read_metric_lines(out / "all" / "eval-on-test.tsv") == read_result_table(SUBMISSIONS / "AugLi.tsv")["all"]
    assert "thresholds: per-tag thresholds tuned on the test set (the official 2019 protocol)" in result.output
    assert "note: group crnn matches no predictions.npy" in result.output
    assert sorted(path.name for path in out.iterdir()) == ["all", "pr-auc-per-tag.png", "protocol.txt", "results.tsv"]
    assert (out / "pr-auc-per-tag.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_vggish_baseline_thresholds_and_decisions_through_the_cli(tmp_path):
    base = tmp_path / "fusion"
    place(base, "baseline", source=VGGISH)
    result = run("-fbp", base, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out/all/thresholds.txt").read_text() == (RESULTS / "baseline_vggish_thresholds.txt").read_text()
    np.testing.assert_array_equal(np.load(tmp_path / "out/all/decisions.npy"), np.load(RESULTS / "baseline_vggish_decisions.npy"))
    assert read_metric_lines(tmp_path / "out/all/eval-on-test.tsv") == read_result_table(SUBMISSIONS / "baseline.tsv")["vggish"]


def test_groups_fuse_the_mean_of_their_models(three_model_base, tmp_path):
    out = tmp_path / "out"
    result = run("-fbp", three_model_base, "-o", out)
    assert result.exit_code == 0, result.output
    table = (out / "results.tsv").read_text().splitlines()
    assert [line.split("\t")[0] for line in table] == ["", "all", "crnn", "ds-1s", "ds-5s", "ds-all"]
    # Models are fused in sorted path order ("DeepSpectrum" < "crnn"); float32 sums depend on it.
    models = {name: np.load(three_model_base / name / "predictions.npy")
              for name in ("DeepSpectrum/1s/lstm", "DeepSpectrum/5s/bilstm", "crnn/gru")}
    expected = {
        "all": np.mean(np.stack(list(models.values())), axis=0),
        "crnn": models["crnn/gru"],
        "ds": np.mean(np.stack([models["DeepSpectrum/1s/lstm"], models["DeepSpectrum/5s/bilstm"]]), axis=0),
        "ds-1s": models["DeepSpectrum/1s/lstm"],
        "ds-5s": models["DeepSpectrum/5s/bilstm"],
    }
    for group, scores in expected.items():
        np.testing.assert_array_equal(np.load(out / group / "predictions.npy"), scores)
        thresholds = metrics.f_score_thresholds(GROUNDTRUTH, scores)
        official = metrics.evaluate(GROUNDTRUTH, scores, metrics.decide(scores, thresholds))
        assert read_metric_lines(out / group / "eval-on-test.tsv") == {k: f"{v:.6f}" for k, v in official.items()}
    assert "all: 3 model(s)" in result.output and "ds: 2 model(s)" in result.output


def test_output_inside_the_base_path_is_not_fused_again(three_model_base):
    for _ in range(2):
        result = run("-fbp", three_model_base, "-o", three_model_base / "results")
        assert result.exit_code == 0, result.output
    assert "all: 3 model(s)" in result.output


def test_validation_protocol_tunes_thresholds_on_validation(three_model_base, tmp_path):
    validation_truth = binarize(read_split(SPLIT_0 / "autotagging_moodtheme-validation.tsv"), TAGS)
    rng = np.random.default_rng(0)
    for index, model in enumerate(sorted(three_model_base.glob("**/predictions.npy"))):
        scores = (0.3 * validation_truth + rng.random(validation_truth.shape)).astype(np.float32)
        np.save(model.with_name("validation-predictions.npy"), scores)
    out = tmp_path / "out"
    result = run("-fbp", three_model_base, "-o", out, "--thresholds", "validation")
    assert result.exit_code == 0, result.output
    fused_validation = np.mean(np.stack([np.load(path) for path in sorted(three_model_base.glob("**/validation-predictions.npy"))]), axis=0)
    expected = metrics.f_score_thresholds(validation_truth, fused_validation)
    assert (out / "all" / "thresholds.txt").read_text() == metrics.format_thresholds(TAGS, expected)
    test_scores = np.load(out / "all" / "predictions.npy")
    np.testing.assert_array_equal(np.load(out / "all" / "decisions.npy"), test_scores > expected)
    assert "tuned on the validation set" in (out / "protocol.txt").read_text()
    assert "thresholds: per-tag thresholds tuned on the validation set" in result.output


def broken_layout(tmp_path, case):
    """A media-eval path and a fusion base that are wrong in one way each."""
    mep = tmp_path / "mep"
    shutil.copytree(MEP, mep)
    base = tmp_path / "fusion"
    good = place(base, "crnn/gru", source=AUGLI_ALL)
    if case == "missing test split":
        (mep / "mtg-jamendo-dataset/data/splits/split-0/autotagging_moodtheme-test.tsv").unlink()
    elif case == "wrong shape":
        place(base, "crnn/lstm", array=np.zeros((4231, 55), np.float32))
    elif case in ("nan", "inf"):
        scores = np.load(AUGLI_ALL)
        scores[7, 3] = np.nan if case == "nan" else -np.inf
        place(base, "crnn/lstm", array=scores)
    elif case == "thresholds disagree":
        (good / "thresholds.tsv").write_text("".join(f"{tag}\t0.5\n" for tag in TAGS))
        other = place(base, "crnn/lstm", source=AUGLI_ALL)
        (other / "thresholds.tsv").write_text("".join(f"{tag}\t0.5\n" for tag in reversed(TAGS)))
    elif case == "a tag short":
        (good / "thresholds.tsv").write_text("".join(f"{tag}\t0.5\n" for tag in TAGS[:-1]))
    elif case == "unreadable":
        (place(base, "crnn/lstm", source=AUGLI_ALL) / "predictions.npy").write_bytes(b"not an npy file")
    elif case == "empty base":
        shutil.rmtree(base)
        base.mkdir()
    elif case == "missing base":
        shutil.rmtree(base)
    elif case == "no validation predictions":
        np.save(good / "validation-predictions.npy", np.zeros((3802, 56), np.float32))
        place(base, "crnn/lstm", source=AUGLI_ALL)
    return mep, base


@pytest.mark.parametrize("case, extra, message", [
    ("missing test split", [], r"Error: cannot read split file .*split-0/autotagging_moodtheme-test.tsv: "),
    ("wrong shape", [], r"Error: .*crnn/lstm/predictions.npy is 4231 x 55, the ground truth is 4231 x 56"),
    ("nan", [], r"Error: .*crnn/lstm/predictions.npy holds NaN or inf scores \(first at track 7, tag 3\)"),
    ("inf", [], r"Error: .*crnn/lstm/predictions.npy holds NaN or inf scores \(first at track 7, tag 3\)"),
    ("thresholds disagree", [], r"Error: the models tag different tag lists: .*crnn/gru has 56 tags, .*crnn/lstm has 56 tags in another order"),
    ("a tag short", [], r"Error: tag 'mood/theme---uplifting' of track .* in .*autotagging_moodtheme-test.tsv is not among the 55 training tags"),
    ("unreadable", [], r"Error: cannot read .*crnn/lstm/predictions.npy: "),
    ("empty base", [], r"Error: no predictions.npy below fusion base path .*fusion"),
    ("missing base", [], r"Error: fusion base path .*fusion does not exist or is not a folder"),
    ("no validation predictions", ["--thresholds", "validation"],
     r"Error: --thresholds validation needs .*crnn/lstm/validation-predictions.npy \(the trainers write it beside predictions.npy\)"),
])
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, case, extra, message):
    mep, base = broken_layout(tmp_path, case)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["-mep", str(mep), "-fbp", str(base), "-o", str(out), *extra])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert re.fullmatch(message + ".*", lines[0]), lines[0]
    assert not out.exists()


def test_the_ground_truth_is_the_test_split_and_the_tag_order_the_models(tmp_path):
    """The official submission's columns reordered, with a thresholds.tsv that says so, and a test split
    with half of split-0's tracks: every figure is that of the same arrays in the official order."""
    order = np.random.default_rng(3).permutation(len(TAGS))
    base = tmp_path / "fusion"
    half = np.arange(0, len(GROUNDTRUTH), 2)
    model = place(base, "crnn/gru", array=np.load(AUGLI_ALL)[half][:, order])
    (model / "thresholds.tsv").write_text("".join(f"{TAGS[column]}\t0.5\n" for column in order))
    lines = (SPLIT_0 / "autotagging_moodtheme-test.tsv").read_text().splitlines(keepends=True)
    test_tsv = tmp_path / "half-test.tsv"
    test_tsv.write_text(lines[0] + "".join(lines[1 + row] for row in half))
    result = run("-fbp", base, "-o", tmp_path / "out", "-te", test_tsv)
    assert result.exit_code == 0, result.output
    scores, truth = np.load(AUGLI_ALL)[half], GROUNDTRUTH[half]
    expected = metrics.evaluate(truth, scores, metrics.decide(scores, metrics.f_score_thresholds(truth, scores)))
    assert read_metric_lines(tmp_path / "out/all/eval-on-test.tsv") == {k: f"{v:.6f}" for k, v in expected.items()}
    assert (tmp_path / "out/all/thresholds.txt").read_text().splitlines()[0].startswith(TAGS[order[0]])


def test_missing_media_eval_path_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(main, ["-mep", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert "Directory" in result.output and "does not exist" in result.output


def test_fusion_never_imports_tensorflow(tmp_path):
    base = tmp_path / "fusion"
    place(base, "crnn/gru", source=AUGLI_ALL)
    code = ("import sys, fusion\n"
            f"fusion.main(['-mep', {str(MEP)!r}, '-fbp', {str(base)!r}, '-o', {str(tmp_path / 'out')!r}], standalone_mode=False)\n"
            "print(sorted(name for name in ('tensorflow', 'keras', 'kapre') if name in sys.modules))")
    completed = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert completed.stdout.strip().splitlines()[-1] == "[]"
