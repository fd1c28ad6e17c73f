"""preflight.py: every problem of a paper run in one message before it starts, nothing written, no TensorFlow."""

import hashlib
import shutil
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner

from augli import preflight as preflight_module
from augli.data import DATASET_DIR, MEDIAEVAL2019_SHA256, mediaeval2019_files, sha256_list, split_dir, split_tsv
from augli.preflight import PAPER_MODEL_WEIGHTS, deepspectrum_windows, planned_writes, preflight
from augli.toy import make_toy_dataset
from conftest import DATASET, MEP, REPO, SMOKE_SIZES, SMOKE_TAGS
from preflight import main
from vggish import params
from vggish.weights import write_dtaoo_weights

TOY_TRACKS = sum(SMOKE_SIZES.values())


@pytest.fixture
def toy_root(tmp_path):
    root = tmp_path / "MEDIAEVAL19"
    make_toy_dataset(root, SMOKE_SIZES, duration_s=1.0, n_tags=SMOKE_TAGS)
    return root


@pytest.fixture
def no_keras_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setattr(preflight_module, "NVIDIA_GPU_DIR", tmp_path / "no-driver")


def vggish_file(path):
    """A VGGish weights file of the right layout (zeros)."""
    write_dtaoo_weights(path, {layer: [np.zeros(shape, "float32") for shape in shapes]
                               for layer, shapes in params.conv_weight_shapes().items()})
    return path


def tree(folder):
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))


def test_a_toy_root_without_weights_and_audio_gets_every_problem_in_one_message(toy_root, tmp_path, no_keras_cache):
    missing = sorted((toy_root / "audio").rglob("*.mp3"))[:2]
    for path in missing:
        path.unlink()
    before = tree(tmp_path)

    result = CliRunner().invoke(main, [str(toy_root), str(tmp_path / "out"), "-vw", str(tmp_path / "vggish.h5")])

    assert result.exit_code == 1
    assert tree(tmp_path) == before  # nothing written, not even the output folder
    error = result.stderr.splitlines()
    assert error[0] == "Error: 8 problems to fix before the paper run:"
    assert all(line.startswith("  - ") for line in error[1:]) and len(error) == 9
    # the toy metadata is not MediaEval 2019's: every pinned file differs, and the way to the right ones is named
    for relative in MEDIAEVAL2019_SHA256:
        assert sum(f"{relative} is not the MediaEval 2019 file" in line for line in error) == 1, relative
    assert "checkout 1b4fa8c32e076c73b5175c1703ae805b4109309d" in error[6]
    names = ", ".join(str(path.relative_to(toy_root / "audio")) for path in missing)
    assert error[7] == (f"  - 2 of the {TOY_TRACKS} audio files the split TSVs name are missing or unreadable below "
                        f"{toy_root / 'audio'} (nor as .low.mp3): {names}")
    assert error[8].startswith(f"  - VGGish weights {tmp_path / 'vggish.h5'} not found: download ")
    assert f"note: VGG16's ImageNet weights are not in {tmp_path / 'keras/models'}: " in result.stdout
    assert "note: no GPU visible" in result.stdout


def real_metadata_root(tmp_path):
    """A DATA_ROOT with the real split-0 metadata (the fixtures) and no audio."""
    root = tmp_path / "MEDIAEVAL19"
    shutil.copytree(DATASET, root / DATASET_DIR)
    return root


def test_the_real_metadata_passes_and_an_altered_tsv_is_named(tmp_path, no_keras_cache, monkeypatch):
    root = real_metadata_root(tmp_path)
    monkeypatch.setattr(preflight_module, "free_bytes", lambda folder: 10**15)
    report = preflight(root, tmp_path / "out", "audio", vggish_file(tmp_path / "vggish.h5"))
    assert "metadata: the split-0 TSVs, tag list and ground truth are MediaEval 2019's (sha256)" in report.lines
    assert f"VGGish weights: {tmp_path / 'vggish.h5'}, DTaoo's layout" in report.lines
    assert report.problems[0].startswith(f"17982 of the 17982 audio files the split TSVs name are missing or unreadable "
                                         f"below {root / 'audio'} (nor as .low.mp3): 00/1009600.mp3, ")
    assert report.problems[1].startswith("cannot read checksum list ")
    assert len(report.problems) == 2
    assert f"   126.2 GB  wavs (prepare_audio.py) -> {root / 'wav'}" in report.lines  # 3.94 million s of audio
    assert f"    13.0 GB  DeepSpectrum 1s train.csv -> {root / 'features/DeepSpectrum/1s'}" in report.lines

    test_tsv = split_tsv(root / DATASET_DIR / "data/splits/split-0", "test")
    test_tsv.write_text(test_tsv.read_text() + "extra line\n")
    altered = hashlib.sha256(test_tsv.read_bytes()).hexdigest()
    report = preflight(root, tmp_path / "out", "audio", tmp_path / "vggish.h5")
    assert report.problems[0] == (f"{test_tsv} is not the MediaEval 2019 file: its sha256 is {altered}, the 2019 "
                                  "file's 4341b5586bb3e5a80a882ce9ef33cb8b1bdaa7df856246ecc5de188dfe1cf394")


def test_the_pinned_hashes_are_those_of_the_fixture_copies():
    files = mediaeval2019_files(MEP)
    assert len(files) == len(MEDIAEVAL2019_SHA256) == 5
    assert str(files[-1][0]).endswith("results/mediaeval/groundtruth.npy")  # the fixture has today's layout
    for path, digest in files:
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, path


def test_low_quality_audio_against_the_full_quality_list_says_to_use_low_quality(toy_root, tmp_path, no_keras_cache):
    for path in (toy_root / "audio").rglob("*.mp3"):
        path.rename(path.with_name(path.stem + ".low.mp3"))
    report = preflight(toy_root, tmp_path / "out", "audio", tmp_path / "vggish.h5")
    listing = toy_root / DATASET_DIR / sha256_list("moodtheme", "audio")
    [unlisted] = [problem for problem in report.problems if "are not named in" in problem]
    assert unlisted.startswith(f"{TOY_TRACKS} of the {TOY_TRACKS} audio files are not named in {listing}: ")
    assert unlisted.endswith("; they are MTG's low-quality download: run with --low-quality")

    (toy_root / DATASET_DIR / sha256_list("moodtheme", "audio-low")).write_text(
        "".join(f"{hashlib.sha256(path.read_bytes()).hexdigest()} {path.relative_to(toy_root / 'audio')}\n"
                for path in (toy_root / "audio").rglob("*.low.mp3")))
    report = preflight(toy_root, tmp_path / "out", "audio-low", tmp_path / "vggish.h5")
    assert not [problem for problem in report.problems if "audio files" in problem]


def test_the_disk_estimates_and_a_disk_too_small(toy_root, tmp_path, no_keras_cache, monkeypatch):
    out = tmp_path / "out"
    report = preflight(toy_root, out, "audio", tmp_path / "vggish.h5")
    assert not [problem for problem in report.problems if "space" in problem]
    splits = {split: preflight_module.read_split(split_tsv(toy_root / DATASET_DIR / "data/splits/split-0", split))
              for split in SMOKE_SIZES}
    writes = {write.what: write.size_bytes for write in planned_writes(toy_root, out, splits, vgg16_download=False)}
    assert writes["wavs (prepare_audio.py)"] == TOY_TRACKS * (44 + 32000)  # 1 s tracks
    assert writes["DeepSpectrum 1s train.csv"] == SMOKE_SIZES["train"] * 1 * 4096 * 11
    assert writes["DeepSpectrum 5s test.npz"] == SMOKE_SIZES["test"] * 1 * 4096 * 4  # shorter than a window: one row
    assert writes["model 5s/bilstm"] == 69_311_547 * 16
    assert len(writes) == 1 + 3 + 12 + 6
    assert (deepspectrum_windows(219.2, 1), deepspectrum_windows(219.2, 5), deepspectrum_windows(3.0, 5)) == (29, 5, 1)

    monkeypatch.setattr(preflight_module, "free_bytes", lambda folder: 10_000)
    report = preflight(toy_root, out, "audio", tmp_path / "vggish.h5")
    [full] = [problem for problem in report.problems if "space" in problem]
    assert full.startswith(f"not enough free space on the file system of {toy_root}: the run writes about ")
    assert full.endswith(f"0.0 GB are free; it runs out at wavs (prepare_audio.py) ({toy_root / 'wav'})")


def test_another_split_and_subset_is_checked_for_its_own_files(tmp_path, no_keras_cache):
    """A toy genre split-3: no pinned hashes to hold it to, its own TSVs, the whole dataset's sha256 list, and the
    features where reproduce.sh puts a named run's."""
    root = tmp_path / "MEDIAEVAL19"
    make_toy_dataset(root, SMOKE_SIZES, duration_s=1.0, n_tags=SMOKE_TAGS, split_number=3, subset="genre")
    features = root / "features/genre-split3/DeepSpectrum"
    result = CliRunner().invoke(main, [str(root), str(tmp_path / "out"), "-vw", str(vggish_file(tmp_path / "v.h5")),
                                       "--split", "3", "--subset", "genre", "--features-dir", str(features)])
    assert result.exit_code == 0, result.output
    assert "MediaEval 2019" not in result.output
    assert f"audio: the {TOY_TRACKS} tracks of the splits, all named in raw_30s_audio_sha256_tracks.txt" in result.stdout
    assert f"DeepSpectrum 1s train.csv -> {features / '1s'}" in result.stdout

    split_tsv(split_dir(root, 3), "test", "genre").unlink()
    result = CliRunner().invoke(main, [str(root), str(tmp_path / "out"), "-vw", str(tmp_path / "v.h5"),
                                       "--split", "3", "--subset", "genre"])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[1].startswith(f"  - cannot read split file {split_tsv(split_dir(root, 3), 'test', 'genre')}")


def test_gpus_are_those_the_nvidia_driver_lists(tmp_path, monkeypatch):
    for bus, model in (("0000:01:00.0", "NVIDIA H100 80GB HBM3"), ("0000:02:00.0", "NVIDIA H100 80GB HBM3")):
        (tmp_path / bus).mkdir()
        (tmp_path / bus / "information").write_text(f"Model: \t\t {model}\nIRQ:   \t\t 42\n")
    monkeypatch.setattr(preflight_module, "NVIDIA_GPU_DIR", tmp_path)
    report = preflight_module.Report()
    preflight_module.check_gpus(report)
    assert (report.lines, report.notes) == (["GPUs: 2 (NVIDIA H100 80GB HBM3, NVIDIA H100 80GB HBM3)"], [])


def test_a_cached_vgg16_file_of_another_md5_is_downloaded_again(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    (tmp_path / "models").mkdir()
    (tmp_path / "models/vgg16_weights_tf_dim_ordering_tf_kernels.h5").write_bytes(b"cut short")
    report = preflight_module.Report()
    assert preflight_module.check_vgg16(report) is True
    assert report.notes[0].endswith("Keras will download it again at the run's fifth command, which needs internet access")


def test_the_preflight_does_not_start_tensorflow():
    code = "import sys, preflight; assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True)


def test_the_paper_model_sizes_are_those_of_the_models():
    from augli.models import crnn_tagger, sequence_tagger

    for rnn, weights in PAPER_MODEL_WEIGHTS["DeepSpectrum"].items():
        assert sequence_tagger(4096, 56, rnn, 1024, 2, 0.4, 0.3).count_params() == weights, rnn
    for rnn, weights in PAPER_MODEL_WEIGHTS["crnn"].items():
        assert crnn_tagger(56, rnn, 256, 2, 0.3, 0.3, 0.05).count_params() == weights, rnn
