"""The job behind tag.py: trained CRNN and DeepSpectrum-RNN models applied to new audio files, fused, decided.

The models are rebuilt from their folders alone (augli.tagging_models); worker processes decode and draw
each file once for every model (augli.tagging_inputs) while this process runs the networks: the CRNN on
crops in batches of its recorded size, as crnn.py scored the test split, a DeepSpectrum RNN on the VGG16
features of the extraction's pictures. The models' scores are averaged as fusion.py averages them and
decided by the thresholds of their fused validation predictions; augli.tagging_output writes the tables.

A folder copied elsewhere tags as it is: VGG16's weights are found by the sha256 the extraction recorded
(augli.vgg16.WeightsSearch), and the default thresholds read the validation labels the trainer kept in the folder.
"""

import tempfile
from dataclasses import dataclass
from pathlib import Path

import click
import numpy as np
from tqdm import tqdm

from augli import metrics
from augli.clips import middle_crop, window_crops
from augli.data import binarize, read_split
from augli.errors import AugliError
from augli.experiment import PREDICTIONS, Experiment
from augli.files import load_npy
from augli.fusion import fuse, load_validation_scores, validation_thresholds
from augli.sequences import load_labels
from augli.tagging_inputs import prepare_file
from augli.tagging_models import CRNN, DEEPSPECTRUM, read_config
from augli.track_pictures import TRACKS_AHEAD_PER_WORKER, TrackFailure
from augli.workers import in_order, process_pool

CROP_RULES = ("middle", "all")


@dataclass
class FileTags:
    path: Path
    scores: np.ndarray  # fused, one per tag
    model_scores: list  # per model, one per tag
    decisions: np.ndarray | None  # None with --thresholds none


# --- thresholds ------------------------------------------------------------------------------------------

def validation_truth(models, val_tsv):
    """The validation ground truth (tracks x tags, bool) the models were selected on: -v, else the first model's
    validation-truth.npy, else (a folder written before the trainers kept it) the validation split it records."""
    tags = list(models[0].tags)
    if val_tsv is not None:
        return binarize(read_split(val_tsv), tags, source=str(val_tsv)).astype(bool), val_tsv
    experiment = Experiment(models[0].folder)
    if experiment.validation_truth.is_file():
        return load_npy(experiment.validation_truth).astype(bool), experiment.validation_truth
    options = read_config(experiment)["options"]
    source = Path(options["val_csv"] if models[0].kind == CRNN else options["val_npz"])
    click.echo(f"Warning: {experiment.root} holds no {experiment.validation_truth.name} (written before the trainers "
               f"kept it): the thresholds read the validation split it records, {source}", err=True)
    if not source.is_file():
        raise AugliError(f"--thresholds validation needs the validation split: {source} (recorded in "
                         f"{experiment.config}) is not there; pass -v VALIDATION_TSV")
    if models[0].kind == CRNN:
        return binarize(read_split(source), tags, source=str(source)).astype(bool), source
    y, npz_tags = load_labels(source)
    if list(npz_tags) != tags:
        raise AugliError(f"{source} (recorded in {experiment.config}) holds other tags than the model's thresholds.tsv")
    return y.astype(bool), source


def decision_thresholds(models, val_tsv):
    """fusion.py's `--thresholds validation`: per-tag thresholds of the models' fused validation predictions."""
    truth, source = validation_truth(models, val_tsv)
    scores = load_validation_scores([model.folder / PREDICTIONS for model in models], truth, source)
    return validation_thresholds(truth, list(scores.values()))


# --- scoring ---------------------------------------------------------------------------------------------

@dataclass
class WindowScores:
    """One model's scores of consecutive windows of a track: window k covers offset + [k, k + 1) x seconds."""
    seconds: float
    offset: float
    scores: np.ndarray  # windows x tags


def crop_scores(model, crops):
    """The CRNN's scores of each crop, fed as crnn.py fed test crops: in batches of the recorded size."""
    from augli.crnn_training import crop_predictor

    return crop_predictor([[crop] for crop in crops], model.batch_size, 1, "", quiet=True)(model.network)


def mean_over_windows(scores):
    """The mean over windows as crnn.py averaged a track's crops (in float64)."""
    return np.mean(scores, axis=0, dtype=np.float64).astype(np.float32)


def crnn_scores(model, wav, crops, windows):
    """The CRNN's score of one file (its middle crop, or the mean of every window) and, if asked, per window."""
    every = crop_scores(model, window_crops(wav, model.window_seconds)) if crops == "all" or windows else None
    score = (crop_scores(model, [middle_crop(wav, model.window_seconds)])[0] if crops == "middle"
             else mean_over_windows(every))
    return score, WindowScores(model.window_seconds, 0.0, every) if windows else None


def deepspectrum_scores(model, features, seconds):
    """The RNN's scores of each excerpt of one file (their feature sequences)."""
    every = np.stack([model.network.predict_on_batch(sequence[None])[0] for sequence in features])
    settings = model.settings
    length = float(settings.duration_s) if settings.duration_s is not None else seconds - float(settings.start_s)
    return WindowScores(length, float(settings.start_s), every)


def picture_key(settings):
    """What tells two extraction settings apart (PictureSettings holds an array, so it cannot be a key itself)."""
    return tuple(value for name, value in vars(settings).items() if name != "colours")


def distinct_settings(models):
    """The DeepSpectrum models' distinct picture settings: each file is drawn once per setting."""
    found = {picture_key(model.settings): model.settings for model in models if model.kind == DEEPSPECTRUM}
    return list(found.values())


def score_file(prepared, models, settings_list, vgg16_networks, crops, windows):
    """Each model's scores of one prepared file, and per window if `windows`; VGG16 runs once per setting and network."""
    features = {}
    scores, per_window = [], []
    keys = [picture_key(settings) for settings in settings_list]
    for model in models:
        if model.kind == CRNN:
            score, model_windows = crnn_scores(model, prepared.wav, crops, windows)
        else:
            key = (keys.index(picture_key(model.settings)), model.vgg16)
            if key not in features:
                network = vgg16_networks[model.vgg16]
                features[key] = [network(pictures) for pictures in prepared.pictures[key[0]]]
            every = deepspectrum_scores(model, features[key], prepared.seconds)
            score = mean_over_windows(every.scores if crops == "all" else every.scores[:1])  # the first: the extraction's
            model_windows = every if windows else None
        scores.append(score)
        per_window.append(model_windows)
    return np.stack(scores).astype(np.float32), per_window


def fused_taggram(per_window, seconds):
    """(step in seconds, cells x tags): the models' window scores on a common grid of the finest window, fused."""
    step = min(window.seconds for window in per_window)
    cells = max(1, int(np.ceil(seconds / step)))
    starts = np.arange(cells) * step
    gridded = []
    for window in per_window:
        index = np.clip(((starts - window.offset) // window.seconds).astype(int), 0, len(window.scores) - 1)
        gridded.append(window.scores[index])
    return step, fuse(gridded)


def tag_files(models, vgg16_networks, files, thresholds, crops="middle", jobs=1, quiet=False, taggram=None):
    """(FileTags of every usable file, in order; "file: reason" lines of the skipped ones).

    `taggram(path, step_s, cells x tags, seconds)` is called per file with the fused scores over its windows.
    """
    if crops not in CROP_RULES:
        raise AugliError(f"unknown crop rule {crops!r}: choose from {', '.join(CROP_RULES)}")
    settings_list = distinct_settings(models)
    needs_wav = any(model.kind == CRNN for model in models)
    render = "all" if taggram is not None else crops
    results, skipped = [], []
    with tempfile.TemporaryDirectory(prefix="augli-tag-") as temp_dir, process_pool(jobs) as pool:
        jobs_ahead = TRACKS_AHEAD_PER_WORKER * jobs
        arguments = ((path, Path(temp_dir) / f"{index}.wav" if needs_wav else None, settings_list, render)
                     for index, path in enumerate(files))
        for prepared in tqdm(in_order(pool, prepare_file, arguments, jobs_ahead), total=len(files), unit="file",
                             desc="tagging", disable=quiet):
            if isinstance(prepared, TrackFailure):
                skipped.append(f"{prepared.name}: {prepared.reason}")
                continue
            model_scores, per_window = score_file(prepared, models, settings_list, vgg16_networks, crops,
                                                  taggram is not None)
            if prepared.wav is not None:
                prepared.wav.path.unlink()
            fused = fuse(list(model_scores))
            decisions = None if thresholds is None else metrics.decide(fused, thresholds)
            results.append(FileTags(prepared.path, fused, list(model_scores), decisions))
            if taggram is not None:
                taggram(prepared.path, *fused_taggram(per_window, prepared.seconds), prepared.seconds)
    return results, skipped
