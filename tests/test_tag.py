"""tag.py on models trained through the CLIs: reproduce.sh --smoke's CRNN (crnn.py) and its DeepSpectrum RNN on
1 s windows (deepspectrum_features.py -> transform_features.py -> train_rnn.py), tiny and with random pretrained
weights, on the toy dataset (the session's smoke run: no second training). Tagging the test split's mp3s must give
back each model's own test predictions and fusion.py's fused ones.
"""

import json
import shutil

import numpy as np
import pytest
import soundfile
from click.testing import CliRunner

import fusion
import tag
from augli import data, tagging
from augli.tagging import WindowScores, fused_taggram, load_models, tag_files
from augli.toy import TOY_TAGS
from conftest import SMOKE_TAGS, assert_smoke_run_succeeded

RATE = 16000
TAGS = TOY_TAGS[:SMOKE_TAGS]
WINDOW_S = 1  # the smoke run's CRNN window and the DeepSpectrum window of the model used here
MODELS = ("crnn/gru", f"DeepSpectrum/{WINDOW_S}s/gru")


def invoke(command, *arguments):
    result = CliRunner().invoke(command.main, [str(argument) for argument in arguments])
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def trained(smoke_run, tmp_path_factory):
    """One model of each kind from the smoke run, in a base folder of their own, fused; the test split's audio."""
    assert_smoke_run_succeeded(smoke_run)
    root = tmp_path_factory.mktemp("tag")
    base = root / "fusion"
    for model in MODELS:
        shutil.copytree(smoke_run.out / "fusion" / model, base / model)
    invoke(fusion, "-mep", smoke_run.root, "-fbp", base, "-o", root / "fused", "--thresholds", "validation")
    tracks = data.read_split(data.split_tsv(data.split_dir(smoke_run.root), "test"))
    test_audio = [smoke_run.root / "audio" / track.path for track in tracks]
    features = smoke_run.root / "features" / "DeepSpectrum" / f"{WINDOW_S}s"
    return {"base": base, "fused": root / "fused", "audio": test_audio, "features": features, "root": root}


@pytest.fixture(scope="module")
def loaded(trained):
    return load_models([trained["base"]])


@pytest.fixture
def cached_models(trained, loaded, monkeypatch):
    """tag.py with `-m BASE` gets the models loaded once for the module (each load builds VGGish and VGG16)."""
    def load(paths):
        assert list(paths) == [trained["base"]]
        return loaded

    monkeypatch.setattr(tagging, "load_models", load)


def test_each_model_and_the_fusion_reproduce_their_test_predictions(trained, loaded, cached_models):
    base = trained["base"]
    config = json.loads((base / MODELS[1] / "config.json").read_text())
    extraction = config["input_pipeline"]["features"]["test"]
    assert extraction["options"]["window_size_and_hop"] == [str(WINDOW_S)] * 2 and extraction["network"]["seed"] == 42
    assert extraction == json.loads((trained["features"] / "test.json").read_text())

    models, vgg16_networks = loaded
    assert [model.folder for model in models] == [base / MODELS[1], base / MODELS[0]]
    results, skipped = tag_files(models, vgg16_networks, trained["audio"], None, quiet=True)
    assert skipped == []
    for index, model in enumerate(models):
        own = np.load(model.folder / "predictions.npy")
        np.testing.assert_allclose(np.stack([result.model_scores[index] for result in results]), own, atol=1e-5)

    out = trained["root"] / "tags.json"
    invoke(tag, "-m", base, *trained["audio"], "--format", "json", "--top", "0", "-o", out, "-np", "1", "--quiet")
    files = json.loads(out.read_text())["tags"]
    assert [entry["file"] for entry in files] == [str(path) for path in trained["audio"]]
    fused = np.load(trained["fused"] / "all" / "predictions.npy")
    decisions = np.load(trained["fused"] / "all" / "decisions.npy")
    for entry, scores, decided in zip(files, fused, decisions):
        # --top 0 lists exactly the tags decided present, with fusion.py's validation thresholds.
        assert {item["tag"] for item in entry["tags"]} == {TAGS[i] for i in np.flatnonzero(decided)}
        for item in entry["tags"]:
            assert item["score"] == pytest.approx(scores[TAGS.index(item["tag"])], abs=1e-5) and item["present"]


def test_printed_table_has_short_names_and_scores_only_without_thresholds(trained, cached_models):
    result = invoke(tag, "-m", trained["base"], trained["audio"][0], "--top", "2", "--thresholds",
                    "none", "-np", "1", "--quiet")
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert rows[0] == ["file", "tag", "score", "present"] and len(rows) == 3
    assert result.stderr.splitlines()[0] == "CPU only: no GPU visible"
    assert {row[1] for row in rows[1:]} <= {name.removeprefix("mood/theme---") for name in TAGS}
    assert all(row[3] == "" for row in rows[1:]) and float(rows[1][2]) >= float(rows[2][2])


def test_real_stereo_files_are_tagged(trained, cached_models, tmp_path):
    """ogg and mp3 at 44.1 and 48 kHz, stereo, 3 s: resampled and downmixed per model, every window scored."""
    paths = []
    for suffix, subtype in (("ogg", "VORBIS"), ("mp3", "MPEG_LAYER_III")):
        for rate in (44100, 48000):
            time = np.arange(3 * rate) / rate
            stereo = np.stack([0.3 * np.sin(2 * np.pi * 440 * time), 0.2 * np.sin(2 * np.pi * 660 * time)], axis=1)
            paths.append(tmp_path / f"song-{rate}.{suffix}")
            soundfile.write(paths[-1], stereo.astype(np.float32), rate, subtype=subtype)
    pictures = tmp_path / "taggrams"
    result = invoke(tag, "-m", trained["base"], tmp_path, "--top", "3", "--crops", "all", "-np", "1", "--quiet",
                    "--taggram", pictures)
    rows = [line.split("\t") for line in result.stdout.splitlines()[1:]]
    assert sorted({row[0] for row in rows}) == sorted(map(str, paths))
    assert all(0 <= float(row[2]) <= 1 for row in rows) and len(rows) >= 3 * len(paths)
    # One picture per file; the ogg and mp3 of the same name get distinct ones.
    assert sorted(path.name for path in pictures.iterdir()) == ["song-44100-2.png", "song-44100.png",
                                                                "song-48000-2.png", "song-48000.png"]
    assert all(path.read_bytes().startswith(b"\x89PNG") for path in pictures.iterdir())


def test_taggram_puts_every_model_on_the_finest_grid_and_fuses():
    crnn = WindowScores(2.0, 0.0, np.array([[0.0], [1.0]]))
    deepspectrum = WindowScores(3.0, 0.0, np.array([[0.5]]))
    step, cells = fused_taggram([crnn, deepspectrum], 5.0)
    assert step == 2.0 and cells[:, 0].tolist() == [0.25, 0.75, 0.75]  # the last windows extend to the end


def test_bad_files_are_skipped_and_listed(trained, cached_models, tmp_path):
    broken = tmp_path / "broken.mp3"
    broken.write_bytes(b"not audio at all")
    tiny = tmp_path / "tiny.wav"
    soundfile.write(tiny, np.zeros(100, dtype=np.float32), RATE)
    arguments = ["-m", trained["base"], broken, tiny, trained["audio"][0], "--top", "1", "-np", "1", "--quiet"]
    result = CliRunner().invoke(tag.main, [str(argument) for argument in arguments])
    assert result.exit_code == 1
    assert f"SKIPPED {broken}: {broken} is not a readable audio file" in result.output
    assert f"SKIPPED {tiny}: " in result.output and "fewer than one FFT window" in result.output
    assert str(trained["audio"][0]) in result.output
    assert CliRunner().invoke(tag.main, [str(argument) for argument in arguments] + ["--skip-bad"]).exit_code == 0


@pytest.mark.parametrize("case, message", [
    ("no models", "no predictions.npy below"),
    ("no weights", "has no checkpoints/best.weights.h5"),
    ("no provenance", "records no input_pipeline"),
    ("other tags", f"has {SMOKE_TAGS} tags in another order"),
    ("no extraction record", "records no extraction settings for the test features"),
])
def test_bad_models_are_one_line(trained, tmp_path, case, message):
    base = tmp_path / "models"
    model = base / "crnn" / "gru"  # the first model found: it fails before any model is built
    shutil.copytree(trained["base"] / "crnn" / "gru", model)
    shutil.copytree(trained["base"] / "crnn" / "gru", base / "crnn" / "other")
    if case == "no models":
        shutil.rmtree(base)
        base.mkdir()
    elif case == "no weights":
        (model / "checkpoints" / "best.weights.h5").unlink()
    elif case == "no provenance":
        config = json.loads((model / "config.json").read_text())
        del config["input_pipeline"]
        (model / "config.json").write_text(json.dumps(config))
    elif case == "no extraction record":
        deepspectrum = base / MODELS[1]  # found first
        shutil.copytree(trained["base"] / MODELS[1], deepspectrum)
        config = json.loads((deepspectrum / "config.json").read_text())
        config["input_pipeline"]["features"]["test"] = None  # as for an npz made from a CSV without its OUT.json
        (deepspectrum / "config.json").write_text(json.dumps(config))
    else:
        thresholds = (base / "crnn" / "other" / "thresholds.tsv").read_text().splitlines()
        (base / "crnn" / "other" / "thresholds.tsv").write_text("\n".join(thresholds[::-1]) + "\n")
    result = CliRunner().invoke(tag.main, ["-m", str(base), str(trained["audio"][0]), "-np", "1", "--quiet"])
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output


def test_help_starts_no_tensorflow():
    import subprocess
    import sys

    from conftest import REPO

    code = "import sys, tag; print(any(name in sys.modules for name in ('tensorflow', 'keras', 'matplotlib')))"
    assert subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True).stdout.strip() == "False"
