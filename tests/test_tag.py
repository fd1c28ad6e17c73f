"""tag.py on models trained through the CLIs: reproduce.sh --smoke's CRNN (crnn.py) and its DeepSpectrum RNN on
1 s windows (deepspectrum_features.py -> transform_features.py -> train_rnn.py), tiny and with random pretrained
weights, on the toy dataset (the session's smoke run: no second training). Tagging the test split's mp3s must give
back each model's own test predictions and fusion.py's fused ones.
"""

import hashlib
import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import soundfile
from click.testing import CliRunner

import fusion
import tag
from augli import checksums, data, tagging_models
from augli.errors import AugliError
from augli.tagging import WindowScores, fused_taggram, tag_files, validation_truth
from augli.tagging_models import load_models
from augli.toy import toy_tags
from augli.vgg16 import IMAGENET_WEIGHTS_FILE, WeightsSearch, weights_candidates
from conftest import SMOKE_SUBSET, SMOKE_TAGS, assert_smoke_run_succeeded, write_legacy_vgg16_weights

RATE = 16000
TAGS = toy_tags(SMOKE_SUBSET)[:SMOKE_TAGS]
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
        shutil.copytree(smoke_run.run / "fusion" / model, base / model)
    invoke(fusion, "-mep", smoke_run.root, "-fbp", base, "-o", root / "fused", "--thresholds", "validation",
           "-te", smoke_run.split_tsv("test"), "-v", smoke_run.split_tsv("validation"))
    tracks = data.read_split(smoke_run.split_tsv("test"))
    test_audio = [smoke_run.root / "audio" / track.path for track in tracks]
    features = smoke_run.features / f"{WINDOW_S}s"
    return {"base": base, "fused": root / "fused", "audio": test_audio, "features": features, "root": root,
            "recorded_roots": (smoke_run.root, smoke_run.out), "validation_tsv": smoke_run.split_tsv("validation")}


@pytest.fixture(scope="module")
def loaded(trained):
    return load_models([trained["base"]])


@pytest.fixture
def cached_models(trained, loaded, monkeypatch):
    """tag.py with `-m BASE` gets the models loaded once for the module (each load builds VGGish and VGG16)."""
    def load(paths, vgg16_weights=()):
        assert list(paths) == [trained["base"]] and vgg16_weights == ()
        return loaded

    monkeypatch.setattr(tagging_models, "load_models", load)


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
    assert_fused_tags(out, trained)


def assert_fused_tags(out, trained):
    """tag.py's --top 0 JSON of the test audio holds fusion.py's fused scores and validation-threshold decisions."""
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
    assert {row[1] for row in rows[1:]} <= {name.removeprefix(f"{SMOKE_SUBSET}---") for name in TAGS}
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
    ("keras 3 layers", "the model was trained with Keras 3's BatchNormalization"),
    ("other front end", "the model's front end had mel_bands = 128, this code's has 64"),
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
    elif case == "keras 3 layers":  # a folder written before augli.keras2
        config = json.loads((model / "config.json").read_text())
        del config["batch_normalization"]
        (model / "config.json").write_text(json.dumps(config))
    elif case == "other front end":
        config = json.loads((model / "config.json").read_text())
        config["input_pipeline"]["front_end"]["mel_bands"] = 128
        (model / "config.json").write_text(json.dumps(config))
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


# --- a folder copied elsewhere -------------------------------------------------------------------------------

def copied_elsewhere(trained, destination):
    """The base folder copied to `destination`, every path its config.json files record made invalid (as on
    another machine, or with the data root deleted)."""
    shutil.copytree(trained["base"], destination)
    for config in destination.glob("**/config.json"):
        text = config.read_text()
        for recorded in trained["recorded_roots"]:
            text = text.replace(str(recorded), "/nonexistent/elsewhere")
        config.write_text(text)
    return destination


def test_a_copied_fusion_tree_tags_as_before(trained, tmp_path, monkeypatch):
    base = copied_elsewhere(trained, tmp_path / "copy" / "fusion")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))  # an empty cache: random VGG16 weights need none
    out = tmp_path / "tags.json"
    result = invoke(tag, "-m", base, *trained["audio"], "--format", "json", "--top", "0", "-o", out, "-np", "1",
                    "--quiet")
    assert "Warning" not in result.output
    assert_fused_tags(out, trained)


def test_thresholds_read_the_folder_then_the_recorded_split_and_v_overrides(trained, loaded, tmp_path, capsys):
    models, _ = loaded  # the DeepSpectrum RNN first: its recorded split is the validation npz
    folder = tmp_path / "model"
    shutil.copytree(models[0].folder, folder)
    model = [replace(models[0], folder=folder)]
    kept = np.load(folder / "validation-truth.npy")
    truth, source = validation_truth(model, None)
    assert source == folder / "validation-truth.npy" and truth.dtype == bool
    assert capsys.readouterr().err == ""

    (folder / "validation-truth.npy").unlink()  # a folder written before the trainers kept it
    truth, source = validation_truth(model, None)
    np.testing.assert_array_equal(truth, kept)
    assert source == trained["features"] / "validation.npz"
    assert capsys.readouterr().err == (f"Warning: {folder} holds no validation-truth.npy (written before the trainers "
                                       f"kept it): the thresholds read the validation split it records, {source}\n")

    tsv = trained["validation_tsv"]
    truth, source = validation_truth(model, tsv)
    assert source == tsv
    np.testing.assert_array_equal(truth, kept)


def test_weights_are_looked_for_at_the_recorded_path_in_the_cache_then_in_each_given_place(tmp_path):
    folder, weights_file = tmp_path / "folder", tmp_path / "mine.h5"
    folder.mkdir()
    weights_file.touch()
    assert weights_candidates("/old/custom.h5", "/cache", [weights_file, folder]) == [
        Path("/old/custom.h5"), Path("/cache/custom.h5"), Path("/cache", IMAGENET_WEIGHTS_FILE), weights_file,
        folder / "custom.h5", folder / IMAGENET_WEIGHTS_FILE]
    # The ImageNet file is recorded under the name Keras gives it: one name to look for per folder.
    assert weights_candidates(f"/old/{IMAGENET_WEIGHTS_FILE}", "/cache", [folder]) == [
        Path("/old", IMAGENET_WEIGHTS_FILE), Path("/cache", IMAGENET_WEIGHTS_FILE), folder / IMAGENET_WEIGHTS_FILE]


def counted_hashing(monkeypatch):
    """The files checksums.sha256_of reads from now on, in order."""
    hashed, sha256_of = [], checksums.sha256_of

    def counting(path):
        hashed.append(Path(path))
        return sha256_of(path)

    monkeypatch.setattr(checksums, "sha256_of", counting)
    return hashed


def test_weights_are_found_by_sha256_each_file_hashed_once(tmp_path, monkeypatch):
    cache, given = tmp_path / "keras" / "models", tmp_path / "given"
    cache.mkdir(parents=True)
    given.mkdir()
    (cache / IMAGENET_WEIGHTS_FILE).write_bytes(b"other weights")
    (given / "custom.h5").write_bytes(b"the weights")
    recorded = tmp_path / "old" / "custom.h5"
    wanted = hashlib.sha256(b"the weights").hexdigest()
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    hashed = counted_hashing(monkeypatch)

    search = WeightsSearch((given,))
    assert search.find(wanted, recorded) == given / "custom.h5"  # the cached file has another sha256
    assert search.find(wanted, recorded) == given / "custom.h5"  # a second model: nothing hashed again
    assert hashed == [cache / IMAGENET_WEIGHTS_FILE, given / "custom.h5"]  # in the search's order

    (cache / "custom.h5").write_bytes(b"the weights")
    assert WeightsSearch((given,)).find(wanted, recorded) == cache / "custom.h5"  # the cache before the option
    recorded.parent.mkdir()
    recorded.write_bytes(b"the weights")
    assert WeightsSearch((given,)).find(wanted, recorded) == recorded  # the recorded path first


def test_weights_not_found_are_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    recorded = tmp_path / "custom.h5"
    recorded.write_bytes(b"changed since")
    with pytest.raises(AugliError) as refused:
        WeightsSearch((tmp_path,)).find("ab" * 32, recorded)
    assert refused.value.message == (
        f"no VGG16 weights with the sha256 {'ab' * 32} the features were extracted with: the recorded {recorded} "
        f"holds other weights, and none is in Keras' cache {tmp_path / 'keras' / 'models'} or in {tmp_path}; pass "
        "the file (or its folder) with --vgg16-weights")


def test_a_copied_model_finds_its_recorded_vgg16_weights_in_the_keras_cache(trained, tmp_path, monkeypatch):
    """A model whose extraction used a weights file (here a small file in VGG16's layout) finds a copy of it by its
    sha256 under Keras' name in Keras' cache; the file is hashed once, VGG16 built with it."""
    folder = copied_elsewhere(trained, tmp_path / "copy") / MODELS[1]
    cached = tmp_path / "keras" / "models" / IMAGENET_WEIGHTS_FILE
    cached.parent.mkdir(parents=True)
    fc2_bias = np.linspace(-1, 1, 4096, dtype=np.float32)
    write_legacy_vgg16_weights(cached, np.zeros((3, 3, 3, 64), np.float32), fc2_bias)
    sha256 = hashlib.sha256(cached.read_bytes()).hexdigest()
    config = json.loads((folder / "config.json").read_text())
    config["input_pipeline"]["features"]["test"]["network"] = {
        "weights": "imagenet", "file": f"/nonexistent/{IMAGENET_WEIGHTS_FILE}", "sha256": sha256}
    (folder / "config.json").write_text(json.dumps(config))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    hashed = counted_hashing(monkeypatch)

    (model,), vgg16_networks = load_models([folder])
    assert model.vgg16 == (str(cached), "fc2") and hashed == [cached]
    network = vgg16_networks[model.vgg16]
    assert network.weights["sha256"] == sha256
    # Every other weight is zero, so the features are relu(fc2's bias): the cached file's.
    np.testing.assert_array_equal(network(np.zeros((1, 224, 224, 3), np.uint8)), np.maximum(fc2_bias, 0)[None])


def test_vgg16_weights_options_reach_the_search(trained, loaded, tmp_path, monkeypatch):
    weights_file = tmp_path / "vgg16.h5"
    weights_file.touch()
    given = []
    monkeypatch.setattr(tagging_models, "load_models", lambda paths, vgg16_weights=(): given.append(vgg16_weights) or loaded)
    invoke(tag, "-m", trained["base"], trained["audio"][0], "--vgg16-weights", weights_file, "--vgg16-weights",
           tmp_path, "--thresholds", "none", "-np", "1", "--quiet")
    assert given == [(weights_file, tmp_path)]


def test_help_starts_no_tensorflow():
    import subprocess
    import sys

    from conftest import REPO

    code = "import sys, tag; print(any(name in sys.modules for name in ('tensorflow', 'keras', 'matplotlib')))"
    assert subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True).stdout.strip() == "False"
