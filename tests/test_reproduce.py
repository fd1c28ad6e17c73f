"""reproduce.sh: the README's commands are the ones it runs, and the whole pipeline runs end to end on toy data."""

import re

import numpy as np
import pytest

from augli import data
from augli.metrics import METRICS
from conftest import REPO, SMOKE_SIZES, SMOKE_TAGS, assert_smoke_run_succeeded, reproduce

MODELS = ["crnn/lstm", "crnn/bilstm", "crnn/gru"] + [
    f"DeepSpectrum/{window}/{rnn}" for window in ("1s", "5s") for rnn in ("lstm", "bilstm", "gru")]
EXPERIMENT_FILES = ["config.json", "history.csv", "checkpoints/best.weights.h5", "predictions.npy", "decisions.npy",
                    "thresholds.tsv", "validation-predictions.npy", "validation-truth.npy",
                    "evaluation-on-test.tsv"]
FUSION_GROUPS = ["all", "crnn", "ds", "ds-1s", "ds-5s"]
FUSION_GROUP_FILES = ["predictions.npy", "thresholds.txt", "decisions.npy", "eval-on-test.tsv"]


def printed(*arguments):
    result = reproduce("--print", *arguments)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def readme_commands():
    """The commands of the README's "Reproducing the paper" section that run one of this repository's scripts."""
    readme = (REPO / "README.md").read_text()
    section = readme.split("\n## Reproducing the paper\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", section, flags=re.DOTALL)
    lines = [line.strip() for block in blocks for line in block.splitlines()]
    return [line for line in lines if re.match(r"python [\w-]+\.py ", line)]  # MTG's download.py is `python3 PATH`


def test_the_readme_lists_exactly_the_commands_reproduce_paper_runs():
    assert readme_commands() == printed("--paper", "MEDIAEVAL19")


def test_toy_and_smoke_run_the_paper_commands_with_options_appended():
    """The same commands, only with the toy dataset's own DeepSpectrum label files."""
    paper = [line.replace(" -lf labels/", " -lf /data/toy/labels/") for line in printed("--paper", "/data/toy", "build/x")]
    assert len(paper) == 20
    assert all("/data/toy/" in line for line in paper)
    assert sum("build/x/fusion" in line for line in paper) == 11  # 9 models and 2 fusions
    for scale in ("--toy", "--smoke"):
        scaled = printed(scale, "/data/toy", "build/x")
        assert len(scaled) == len(paper)
        for short, paper_line in zip(scaled, paper):
            assert short == paper_line or short.startswith(paper_line + " "), (scale, short)


def test_a_trailing_slash_on_the_data_root_changes_nothing():
    assert printed("MEDIAEVAL19/") == printed("--paper", "MEDIAEVAL19")


@pytest.mark.parametrize("arguments, message", [
    ((), "usage: reproduce.sh [--paper|--toy|--smoke] [--print] [--from N] DATA_ROOT [OUTPUT_DIR]"),
    (("a", "b", "c"), "usage: reproduce.sh [--paper|--toy|--smoke] [--print] [--from N] DATA_ROOT [OUTPUT_DIR]"),
    (("--fast", "MEDIAEVAL19"), "reproduce.sh: unknown option --fast"),
])
def test_bad_arguments(arguments, message):
    result = reproduce(*arguments)
    assert (result.returncode, result.stdout, result.stderr) == (2, "", message + "\n")


def test_it_refuses_to_run_outside_the_repository_root(tmp_path):
    result = reproduce("--print", "MEDIAEVAL19", cwd=tmp_path)
    assert result.returncode == 2
    assert "run it from the repository root" in result.stderr


@pytest.mark.skipif(not ((REPO / "crnn.py").is_file() and (REPO / "deepspectrum_features.py").is_file()),
                    reason="needs crnn.py and deepspectrum_features.py")
def test_smoke_run_writes_every_file_the_readme_names(smoke_run):
    assert_smoke_run_succeeded(smoke_run)
    root, out, splits, result = smoke_run.root, smoke_run.out, smoke_run.splits, smoke_run.result

    for track in (track for tracks in splits.values() for track in tracks):
        assert (root / "wav" / track.path.replace(".mp3", ".wav")).is_file()
    for window in ("1s", "5s"):
        for split in data.SPLITS:
            for suffix in (".csv", ".json"):
                assert (root / "features" / "DeepSpectrum" / window / f"{split}{suffix}").is_file()
            npz = np.load(root / "features" / "DeepSpectrum" / window / f"{split}.npz")
            assert npz["X"].shape[:2] == (SMOKE_SIZES[split], 1) and npz["X"].shape[2] == 4096
    n_test = SMOKE_SIZES["test"]
    for model in MODELS:
        for name in EXPERIMENT_FILES:
            assert (out / "fusion" / model / name).is_file(), f"{model}/{name}"
        assert any((out / "fusion" / model / "log").iterdir()), f"{model}/log/"
        assert np.load(out / "fusion" / model / "predictions.npy").shape == (n_test, SMOKE_TAGS)
        assert np.load(out / "fusion" / model / "validation-predictions.npy").shape == (SMOKE_SIZES["validation"], SMOKE_TAGS)
    for protocol in ("test", "validation"):
        fused = out / "fusion-results" / f"thresholds-{protocol}"
        for name in ("results.tsv", "protocol.txt", "pr-auc-per-tag.png"):
            assert (fused / name).is_file()
        for group in FUSION_GROUPS:
            for name in FUSION_GROUP_FILES:
                assert (fused / group / name).is_file(), f"{protocol}/{group}/{name}"
        header = (fused / "results.tsv").read_text().splitlines()[0].split("\t")
        assert header[1:] == list(METRICS)
        np.testing.assert_array_equal(np.load(fused / "all" / "decisions.npy").shape, (n_test, SMOKE_TAGS))

    report = result.stdout.split("\nTime per command:\n", 1)[1]
    assert len(re.findall(r"^\[\s*\d+\]\s+\d+ s  python ", report, flags=re.MULTILINE)) == 20
    for model in MODELS:
        assert re.search(rf"^{re.escape(model)}\s+\d\.\d{{6}}\s+\d\.\d{{6}}$", report, flags=re.MULTILINE), model
    assert str(out / "fusion-results" / "thresholds-validation" / "pr-auc-per-tag.png") in report
