"""Split files that default to their place below -mep (augli.options.below_media_eval_path), in every script
that reads them: found there with only -mep given, refused as a given path would be, shown in --help."""

import click
import pytest
from click.testing import CliRunner

import crnn
import fusion
import train_rnn
from augli.data import sequences_npz, split_0_tsv
from conftest import MEP, SPLIT_0

SPLIT_TSVS = {split: SPLIT_0 / f"autotagging_moodtheme-{split}.tsv" for split in ("train", "validation", "test")}


def resolved(script, *arguments):
    return script.main.make_context(script.__name__, [str(argument) for argument in arguments]).params


def test_crnn_and_fusion_find_the_split_tsvs_below_mep():
    params = resolved(crnn, "-mep", MEP)
    assert (params["train_csv"], params["val_csv"], params["test_csv"]) == tuple(SPLIT_TSVS.values())
    assert resolved(fusion, "-mep", MEP)["val_tsv"] == SPLIT_TSVS["validation"]


def test_train_rnn_finds_the_1s_sequences_below_mep(tmp_path):
    for split in ("train", "validation", "test"):
        sequences_npz(tmp_path, split).parent.mkdir(parents=True, exist_ok=True)
        sequences_npz(tmp_path, split).write_bytes(b"")
    params = resolved(train_rnn, "-mep", tmp_path)
    assert params["val_npz"] == tmp_path / "features" / "DeepSpectrum" / "1s" / "validation.npz"
    assert (params["train_npz"], params["test_npz"]) == (sequences_npz(tmp_path, "train"), sequences_npz(tmp_path, "test"))


def test_a_given_file_wins_over_the_default(tmp_path):
    other = tmp_path / "mine.tsv"
    other.write_text("")
    params = resolved(crnn, "-mep", MEP, "-v", other)
    assert params["val_csv"] == other and params["train_csv"] == SPLIT_TSVS["train"]


@pytest.mark.parametrize("script, option, missing", [
    (crnn, "'-tr' / '--train-csv'", "mtg-jamendo-dataset/data/splits/split-0/autotagging_moodtheme-train.tsv"),
    (train_rnn, "'-tr' / '--train-npz'", "features/DeepSpectrum/1s/train.npz"),
])
def test_a_missing_default_is_refused_as_a_missing_given_file(script, option, missing, tmp_path):
    result = CliRunner().invoke(script.main, ["-mep", str(tmp_path)])
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == f"Error: Invalid value for {option}: File '{tmp_path / missing}' does not exist."


@pytest.mark.parametrize("script, name, default", [
    (crnn, "train_csv", split_0_tsv("MEP", "train")),
    (train_rnn, "test_npz", sequences_npz("MEP", "test")),
    (fusion, "val_tsv", split_0_tsv("MEP", "validation")),
])
def test_help_shows_the_default_below_mep(script, name, default):
    text = script.main.get_help(click.Context(script.main, max_content_width=400, terminal_width=400))
    line = next(line for line in text.splitlines() if f"--{name.replace('_', '-')} " in line)
    assert line.endswith(f"[default: {default}]")
    assert str(default).startswith("MEP/")
