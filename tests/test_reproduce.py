"""reproduce.sh: the README's commands are the ones it runs, and the whole pipeline runs end to end on toy data."""

import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from augli import data
from augli.metrics import METRICS
from augli.toy import make_toy_dataset
from conftest import (REPO, SMOKE_COMMANDS, SMOKE_RUN_NAME, SMOKE_RUN_OPTIONS, SMOKE_SIZES, SMOKE_TAGS,
                      assert_smoke_run_succeeded, read_metric_lines, reproduce, reproduce_command, scikit_learn_metrics)

MODELS = ["crnn/lstm", "crnn/bilstm", "crnn/gru"] + [
    f"DeepSpectrum/{window}/{rnn}" for window in ("1s", "5s") for rnn in ("lstm", "bilstm", "gru")]
EXPERIMENT_FILES = ["config.json", "history.csv", "checkpoints/best.weights.h5", "predictions.npy", "decisions.npy",
                    "thresholds.tsv", "validation-predictions.npy", "validation-truth.npy",
                    "evaluation-on-test.tsv"]
FUSION_GROUPS = ["all", "crnn", "ds", "ds-1s", "ds-5s"]
FUSION_GROUP_FILES = ["predictions.npy", "thresholds.txt", "decisions.npy", "eval-on-test.tsv"]


USAGE = ("usage: reproduce.sh [--paper|--toy|--smoke] [--print] [--from N] [--low-quality] [--check] "
         "[--split K] [--subset NAME] [--seed N] DATA_ROOT [OUTPUT_DIR]")


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


def test_the_audio_conversion_takes_the_split_tracks_and_low_quality_its_own_checksums():
    first = printed("--paper", "MEDIAEVAL19")[0]
    splits = "MEDIAEVAL19/mtg-jamendo-dataset/data/splits/split-0/autotagging_moodtheme"
    assert first.endswith(f" --tsv {splits}-train.tsv --tsv {splits}-validation.tsv --tsv {splits}-test.tsv")
    assert " --sha256 MEDIAEVAL19/mtg-jamendo-dataset/data/download/autotagging_moodtheme_audio_sha256_tracks.txt " in first
    low = printed("--paper", "--low-quality", "MEDIAEVAL19")
    assert low[0] == first.replace("_audio_sha256_tracks.txt", "_audio-low_sha256_tracks.txt")
    assert low[1:] == printed("--paper", "MEDIAEVAL19")[1:]


def test_a_named_run_keeps_its_split_subset_and_seed_apart():
    """Its own TSVs, sha256 list, label files, features and output folder; the trainers get the seed; fusion.py
    scores the run's own test split. Renamed back, every command is the paper's with those options appended."""
    paper = printed("/data", "build")
    named = printed("--split", "2", "--subset", "all", "--seed", "5", "/data", "build")
    assert len(named) == len(paper) + 1
    splits = "/data/mtg-jamendo-dataset/data/splits/split-2"
    assert named.pop(4) == f"python -m labels.make_labels {splits} /data/features/all-split2/labels --subset all"
    renamed = [line.replace("split-2/autotagging-", "split-0/autotagging_moodtheme-").replace("split-2/", "split-0/")
                   .replace("download/raw_30s_audio", "download/autotagging_moodtheme_audio")
                   .replace("/data/features/all-split2/labels/autotagging-", "labels/autotagging_moodtheme-")
                   .replace("/data/features/all-split2/", "/data/features/").replace("build/all-split2-seed5/", "build/")
               for line in named]
    paper_splits = "/data/mtg-jamendo-dataset/data/splits/split-0/autotagging_moodtheme"
    extras = {"crnn.py": " --seed 5", "train_rnn.py": " --seed 5", "transform_features.py": " --subset all",
              "fusion.py": f" -te {paper_splits}-test.tsv -v {paper_splits}-validation.tsv"}
    for line, paper_line in zip(renamed, paper):
        extra = next((text for script, text in extras.items() if line.startswith(f"python {script} ")), "")
        assert line == paper_line + extra, line
    assert printed("--seed", "42", "/data", "build")[1].startswith("python crnn.py -mep /data/ -ebp build/moodtheme-split0-seed42/")


def test_check_runs_the_preflight_alone_and_fails_on_a_toy_root(tmp_path):
    root = tmp_path / "MEDIAEVAL19"
    make_toy_dataset(root, SMOKE_SIZES, duration_s=1.0, n_tags=SMOKE_TAGS)
    before = sorted(tmp_path.rglob("*"))
    result = reproduce("--check", root, tmp_path / "build")
    assert result.returncode == 1
    assert result.stderr.startswith("Error: ") and "problems to fix before the paper run:" in result.stderr
    assert "is not the MediaEval 2019 file" in result.stderr
    assert "[1]" not in result.stdout  # no command of the pipeline ran
    assert sorted(tmp_path.rglob("*")) == before


def test_a_trailing_slash_on_the_data_root_changes_nothing():
    assert printed("MEDIAEVAL19/") == printed("--paper", "MEDIAEVAL19")


@pytest.mark.parametrize("arguments, message", [
    ((), USAGE),
    (("a", "b", "c"), USAGE),
    (("--fast", "MEDIAEVAL19"), "reproduce.sh: unknown option --fast"),
    (("--from", "x", "MEDIAEVAL19"), "reproduce.sh: --from needs a command number"),
    (("--split", "5", "MEDIAEVAL19"), "reproduce.sh: --split needs a split number, 0 to 4"),
    (("--subset", "mood", "MEDIAEVAL19"), "reproduce.sh: --subset needs one of: moodtheme genre instrument top50tags all"),
    (("--seed", "-1", "MEDIAEVAL19"), "reproduce.sh: --seed needs a whole number"),
])
def test_bad_arguments(arguments, message):
    result = reproduce(*arguments)
    assert (result.returncode, result.stdout, result.stderr) == (2, "", message + "\n")


def test_help_says_how_a_run_continues():
    result = reproduce("--help")
    assert result.returncode == 0 and result.stdout.startswith("The paper's whole pipeline")
    assert "Started again with the same arguments" in result.stdout and "--from N" in result.stdout


def test_it_refuses_to_run_outside_the_repository_root(tmp_path):
    result = reproduce("--print", "MEDIAEVAL19", cwd=tmp_path)
    assert result.returncode == 2
    assert "run it from the repository root" in result.stderr


def test_the_report_names_each_model_no_better_than_chance(tmp_path):
    """`--from 21` runs none of the 20 commands, only the report, here on constructed results."""
    out = tmp_path / "build"
    test_roc_auc = dict.fromkeys(MODELS, "0.912345") | {"crnn/gru": "0.512110", "DeepSpectrum/5s/lstm": "0.600000",
                                                        "DeepSpectrum/1s/gru": None}
    for model, roc_auc in test_roc_auc.items():
        (out / "fusion" / model).mkdir(parents=True)
        roc_auc_line = "" if roc_auc is None else f"ROC-AUC-macro\t{roc_auc}\n"
        (out / "fusion" / model / "evaluation-on-test.tsv").write_text("PR-AUC-macro\t0.5\n" + roc_auc_line)
    for protocol in ("test", "validation"):
        (out / "fusion-results" / f"thresholds-{protocol}").mkdir(parents=True)
        (out / "fusion-results" / f"thresholds-{protocol}" / "results.tsv").write_text("metric\tall\n")

    result = reproduce("--toy", "--from", "21", tmp_path / "MEDIAEVAL19", out)

    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stdout.splitlines() if line.startswith("warning:")]
    assert warnings == [
        "warning: crnn/gru is no better than chance on its test split (ROC-AUC-macro 0.512110, below 0.6), yet it is fused",
        "warning: DeepSpectrum/1s/gru is no better than chance on its test split (ROC-AUC-macro missing, below 0.6), "
        "yet it is fused"]
    assert result.stdout.endswith("\n".join(warnings) + "\n")


@pytest.mark.skipif(not ((REPO / "crnn.py").is_file() and (REPO / "deepspectrum_features.py").is_file()),
                    reason="needs crnn.py and deepspectrum_features.py")
def test_smoke_run_writes_every_file_the_readme_names(smoke_run):
    assert_smoke_run_succeeded(smoke_run)
    root, out, splits, result = smoke_run.root, smoke_run.run, smoke_run.splits, smoke_run.result

    for track in (track for tracks in splits.values() for track in tracks):
        assert (root / "wav" / track.path.replace(".mp3", ".wav")).is_file()
    for window in ("1s", "5s"):
        for split in data.SPLITS:
            for suffix in (".csv", ".json"):
                assert (smoke_run.features / window / f"{split}{suffix}").is_file()
            npz = np.load(smoke_run.features / window / f"{split}.npz")
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
    assert len(re.findall(r"^\[\s*\d+\]\s+\d+ s  python ", report, flags=re.MULTILINE)) == SMOKE_COMMANDS
    for model in MODELS:
        assert re.search(rf"^{re.escape(model)}\s+\d\.\d{{6}}\s+\d\.\d{{6}}$", report, flags=re.MULTILINE), model
    assert str(out / "fusion-results" / "thresholds-validation" / "pr-auc-per-tag.png") in report


def test_another_split_and_subset_without_official_ground_truth_score_as_scikit_learn_does(smoke_run):
    """The smoke run is genre split-3, with no groundtruth.npy: every model and every fusion is scored against the
    test TSV's own tags, each figure scikit-learn's on the same arrays."""
    assert_smoke_run_succeeded(smoke_run)
    assert not (smoke_run.root / data.DATASET_DIR / "results").exists()
    tracks = data.read_split(smoke_run.split_tsv("test"))
    run = smoke_run.run
    tags = [line.split("\t")[0] for line in (run / "fusion" / MODELS[0] / "thresholds.tsv").read_text().splitlines()]
    assert len(tags) == SMOKE_TAGS and all(tag.startswith("genre---") for tag in tags)
    truth = data.binarize(tracks, tags).astype(bool)
    folders = [run / "fusion" / model for model in MODELS]
    folders += [run / "fusion-results" / f"thresholds-{protocol}" / group
                for protocol in ("test", "validation") for group in FUSION_GROUPS]
    for folder in folders:
        scores, decisions = np.load(folder / "predictions.npy"), np.load(folder / "decisions.npy")
        evaluation = folder / ("evaluation-on-test.tsv" if "fusion-results" not in folder.parts else "eval-on-test.tsv")
        figures = scikit_learn_metrics(truth, scores, decisions)
        assert read_metric_lines(evaluation) == {metric: f"{figures[metric]:.6f}" for metric in METRICS}, folder


# --- started again after kill -9 -------------------------------------------------------------------------

RESUMED_MODELS = ("DeepSpectrum/5s/bilstm", "DeepSpectrum/5s/gru")  # the 3rd and 2nd commands from the end
FIRST_RESUMED = SMOKE_COMMANDS - 3


def moved(smoke_run, folder):
    """A copy of the smoke run's data root and output below `folder`, its record of finished commands rewritten to
    the new paths, and the outputs of its last four commands (two RNNs, the fusions) removed, as if never run."""
    root, out = folder / "MEDIAEVAL19", folder / "build"
    shutil.copytree(smoke_run.root, root)
    shutil.copytree(smoke_run.out, out)
    run = out / SMOKE_RUN_NAME
    for record in (run / ".reproduce").iterdir():
        if int(record.name) >= FIRST_RESUMED:
            record.unlink()
        else:
            text = record.read_text().replace(str(smoke_run.root), str(root)).replace(str(smoke_run.out), str(out))
            record.write_text(text)
    for model in RESUMED_MODELS:
        shutil.rmtree(run / "fusion" / model)
    shutil.rmtree(run / "fusion-results")
    return root, out


def killed_after_its_first_epoch(root, out, model):
    """reproduce.sh --smoke killed with SIGKILL (its whole process group) once `model` has finished an epoch."""
    command, environment = reproduce_command("--smoke", *SMOKE_RUN_OPTIONS, root, out)
    process = subprocess.Popen(command, cwd=REPO, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, start_new_session=True)
    state = out / SMOKE_RUN_NAME / "fusion" / model / "checkpoints" / "last-state.json"
    deadline = time.monotonic() + 300
    while not state.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    return process.communicate()[0]


def test_killed_twice_and_started_again_it_ends_as_an_uninterrupted_run(smoke_run, tmp_path):
    assert_smoke_run_succeeded(smoke_run)
    root, out = moved(smoke_run, tmp_path)
    first = killed_after_its_first_epoch(root, out, RESUMED_MODELS[0])
    assert f"[{FIRST_RESUMED - 1}] finished earlier: python train_rnn.py" in first and "[1] finished earlier" in first
    second = killed_after_its_first_epoch(root, out, RESUMED_MODELS[1])
    assert re.search(rf"^\[{FIRST_RESUMED}\] python train_rnn.py .* --resume$", second, flags=re.MULTILINE), second[-2000:]
    third = reproduce("--smoke", *SMOKE_RUN_OPTIONS, root, out)
    assert third.returncode == 0, third.stdout[-3000:] + third.stderr[-3000:]
    assert f"[{FIRST_RESUMED}] finished earlier" in third.stdout
    assert re.search(rf"^\[{FIRST_RESUMED + 1}\] python train_rnn.py .* --resume$", third.stdout, flags=re.MULTILINE)
    run, uninterrupted = out / SMOKE_RUN_NAME, smoke_run.run
    for model in RESUMED_MODELS:
        for name in ("predictions.npy", "validation-predictions.npy"):
            np.testing.assert_array_equal(np.load(run / "fusion" / model / name),
                                          np.load(uninterrupted / "fusion" / model / name))
        assert (run / "fusion" / model / "history.csv").read_text() == \
            (uninterrupted / "fusion" / model / "history.csv").read_text()
    for protocol in ("test", "validation"):
        fused = Path("fusion-results") / f"thresholds-{protocol}"
        assert (run / fused / "results.tsv").read_text() == (uninterrupted / fused / "results.tsv").read_text()
        np.testing.assert_array_equal(np.load(run / fused / "all" / "predictions.npy"),
                                      np.load(uninterrupted / fused / "all" / "predictions.npy"))
    again = reproduce("--smoke", *SMOKE_RUN_OPTIONS, root, out)  # finished: nothing runs
    assert again.returncode == 0
    assert len(re.findall(r"^\[\s*\d+\] finished earlier: ", again.stdout, flags=re.MULTILINE)) == SMOKE_COMMANDS
