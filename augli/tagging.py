"""The job behind tag.py: trained CRNN and DeepSpectrum-RNN models applied to new audio files, fused, decided.

Each model is rebuilt from its experiment folder alone. config.json's `input_pipeline` says how its
inputs were made (the CRNN's window, crops, batch size and front end; a DeepSpectrum RNN's extraction
record, carried from deepspectrum_features.py through the npz files), and the input is rebuilt with
the trainers' and the extractor's own functions: the CRNN reads crops of a 16 kHz mono wav written as
prepare_audio.py writes it, a DeepSpectrum RNN gets VGG16 features of the pictures the extractor draws.
Worker processes decode and draw; this process runs the networks, each model loaded once.

A folder copied elsewhere tags as it is: VGG16's weights are found by the sha256 the extraction recorded
(augli.vgg16.WeightsSearch), and the default thresholds read the validation labels the trainer kept in the folder.
"""

import decimal
import json
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import click
import numpy as np
import soundfile
from tqdm import tqdm

from augli import metrics
from augli.audio import SAMPLE_RATE_HZ, find_audio, load_mono, write_wav
from augli.clips import Wav, middle_crop, window_crops
from augli.data import binarize, read_split, short_tag_names
from augli.errors import AugliError
from augli.experiment import PREDICTIONS, Experiment, check_batch_normalization
from augli.files import load_npy, read_lines
from augli.fusion import find_models, fuse, load_validation_scores, validation_thresholds
from augli.sequences import load_labels
from augli.track_pictures import (TRACKS_AHEAD_PER_WORKER, TrackFailure, picture_settings, render_track,
                                  seconds_after)
from augli.workers import in_order, process_pool

CRNN, DEEPSPECTRUM = "crnn", "DeepSpectrum RNN"
CROP_RULES = ("middle", "all")
CRNN_PIPELINE_KEYS = ("sample_rate_hz", "window_seconds", "test_batch_size", "noise_std", "front_end")
RNN_OPTION_KEYS = ("rnn_type", "rnn_units", "rnn_layers", "rnn_dropout", "dropout_final")
HEAD_OPTION_KEYS = (*RNN_OPTION_KEYS, "recurrent_activation")
EXTRACTION_OPTION_KEYS = ("window_size_and_hop", "start", "end", "number_of_melbands", "renderer", "colour_map",
                          "resize", "feature_layer")


@dataclass
class TaggingModel:
    folder: Path
    kind: str
    tags: tuple
    network: object  # the Keras model with its best weights
    window_seconds: float = None  # CRNN
    batch_size: int = None  # CRNN: crops per batch (the band normalisation pools over it)
    settings: object = None  # DeepSpectrum RNN: the extractor's PictureSettings
    vgg16: tuple = None  # DeepSpectrum RNN: (weights file or "none", layer)


@dataclass
class PreparedFile:
    """What the workers make of one audio file: the CRNN's wav and, per picture setting, each excerpt's pictures."""
    path: Path
    seconds: float  # the track's duration
    wav: Wav | None
    pictures: list  # per distinct PictureSettings: a list (one per excerpt) of windows x 224 x 224 x 3 arrays


@dataclass
class FileTags:
    path: Path
    scores: np.ndarray  # fused, one per tag
    model_scores: list  # per model, one per tag
    decisions: np.ndarray | None  # None with --thresholds none


# --- finding and loading the models ----------------------------------------------------------------------

def model_folders(paths):
    """The experiment folders named by -m: a folder holding predictions.npy, or every one below it (as fusion.py)."""
    folders = []
    for path in map(Path, paths):
        found = [path] if (path / PREDICTIONS).is_file() else [model.parent for model in find_models(path)]
        folders += [folder for folder in found if folder.resolve() not in {known.resolve() for known in folders}]
    return folders


def _read_config(experiment):
    try:
        return json.loads(experiment.config.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise AugliError(f"cannot read the model's record {experiment.config}: {error}") from None


def _require(record, keys, where):
    missing = [key for key in keys if key not in record or (record[key] is None and key != "end")]
    if missing:
        raise AugliError(f"incomplete provenance: {where} lacks {', '.join(missing)}; the model's input cannot be rebuilt")


def read_tags(experiment):
    """The model's tags in column order, from the thresholds.tsv every trainer writes."""
    lines = read_lines(experiment.thresholds, "the model's thresholds")
    return tuple(line.split("\t")[0] for line in lines if line)


def load_model(folder, vgg16_networks, weights_search):
    """The model of one experiment folder, rebuilt from its config.json, with its best weights; a DeepSpectrum RNN's
    VGG16 weights are found by their recorded sha256 (`weights_search`, an augli.vgg16.WeightsSearch)."""
    from augli.models import crnn_tagger, sequence_tagger
    from augli.training import load_best_weights

    experiment = Experiment(Path(folder))
    if not experiment.best_weights.is_file():
        raise AugliError(f"model folder {folder} has no {experiment.best_weights.relative_to(experiment.root)}: "
                         "it holds no trained model")
    config = _read_config(experiment)
    check_batch_normalization(config, experiment.config)
    pipeline = config.get("input_pipeline")
    if not isinstance(pipeline, dict):
        raise AugliError(f"incomplete provenance: {experiment.config} records no input_pipeline (trained before "
                         "tag.py existed?); retrain the model to use it here")
    options = config.get("options", {})
    _require(options, HEAD_OPTION_KEYS, f"{experiment.config} options")
    tags = read_tags(experiment)
    head = [options[key] for key in RNN_OPTION_KEYS]
    activation = options["recurrent_activation"]
    if "front_end" in pipeline:
        _require(pipeline, CRNN_PIPELINE_KEYS, f"{experiment.config} input_pipeline")
        _check_front_end(pipeline, experiment.config)
        network = crnn_tagger(len(tags), *head, pipeline["noise_std"], recurrent_activation=activation)
        model = TaggingModel(experiment.root, CRNN, tags, network, window_seconds=pipeline["window_seconds"],
                             batch_size=pipeline["test_batch_size"])
    elif "features" in pipeline:
        settings, vgg16 = _extraction(pipeline, experiment.config, weights_search)
        network = sequence_tagger(pipeline["n_features"], len(tags), *head, recurrent_activation=activation)
        model = TaggingModel(experiment.root, DEEPSPECTRUM, tags, network, settings=settings, vgg16=vgg16)
        if vgg16 not in vgg16_networks:
            vgg16_networks[vgg16] = _load_vgg16(*vgg16, weights_search)
        if vgg16_networks[vgg16].width != pipeline["n_features"]:
            raise AugliError(f"{experiment.config}: the model reads {pipeline['n_features']} features, VGG16's "
                             f"{vgg16[1]} gives {vgg16_networks[vgg16].width}")
    else:
        raise AugliError(f"incomplete provenance: {experiment.config}'s input_pipeline names neither a front end "
                         "(crnn.py) nor features (train_rnn.py)")
    load_best_weights(network, experiment)
    return model


def _check_front_end(pipeline, config_path):
    """The CRNN's front end is code, not data: refuse a model whose recorded front end is not this code's."""
    from augli import frontend

    if pipeline["sample_rate_hz"] != SAMPLE_RATE_HZ:
        raise AugliError(f"{config_path}: the model read {pipeline['sample_rate_hz']} Hz audio, this code makes "
                         f"{SAMPLE_RATE_HZ} Hz")
    current = frontend.record()
    differing = [key for key in sorted(set(current) | set(pipeline["front_end"]))
                 if current.get(key) != pipeline["front_end"].get(key)]
    if differing:
        key = differing[0]
        raise AugliError(f"{config_path}: the model's front end had {key} = {pipeline['front_end'].get(key)!r}, "
                         f"this code's has {current.get(key)!r}")


def _extraction(pipeline, config_path, weights_search):
    """(PictureSettings, VGG16 key) of a DeepSpectrum RNN, from the extraction record of its test split."""
    records = pipeline["features"]
    record = records.get("test") if isinstance(records, dict) else None
    if record is None:
        raise AugliError(f"incomplete provenance: {config_path} records no extraction settings for the test features "
                         "(their npz was made from a CSV without deepspectrum_features.py's record beside it)")
    options, network = record.get("options", {}), record.get("network", {})
    _require(options, EXTRACTION_OPTION_KEYS, f"{config_path} input_pipeline.features.test.options")
    _require(network, ("weights",), f"{config_path} input_pipeline.features.test.network")
    _require(pipeline, ("n_features",), f"{config_path} input_pipeline")
    for split, other in records.items():
        if other is not None and any(other.get("options", {}).get(key) != options[key] for key in EXTRACTION_OPTION_KEYS):
            raise AugliError(f"{config_path}: the {split} and test features were extracted with different settings")
    try:
        decimal_options = {**options, "window_size_and_hop": [decimal.Decimal(value) for value in options["window_size_and_hop"]],
                           "start": decimal.Decimal(options["start"]),
                           "end": None if options["end"] is None else decimal.Decimal(options["end"])}
    except (decimal.InvalidOperation, TypeError, ValueError):
        raise AugliError(f"{config_path}: the extraction's window, hop, start or end is not a number of seconds") from None
    if network["weights"] == "none":
        from augli.vgg16 import RANDOM_WEIGHTS_SEED

        if network.get("seed") != RANDOM_WEIGHTS_SEED:
            raise AugliError(f"{config_path}: VGG16 had random weights of seed {network.get('seed')!r}; this code draws "
                             f"them from seed {RANDOM_WEIGHTS_SEED}")
        return picture_settings(decimal_options), ("none", options["feature_layer"])
    _require(network, ("file", "sha256"), f"{config_path} input_pipeline.features.test.network")
    weights = weights_search.find(network["sha256"], network["file"])
    return picture_settings(decimal_options), (str(weights), options["feature_layer"])


def _load_vgg16(weights, layer, weights_search):
    from augli.vgg16 import load_vgg16

    return load_vgg16(weights, layer, sha256=None if weights == "none" else weights_search.sha256(weights))


def load_models(paths, vgg16_weights=()):
    """(models, VGG16 networks by key); every model must tag the same tags in the same order (checked first).

    `vgg16_weights`: files or folders where VGG16 weights are looked for after each model's recorded path and
    Keras' cache.
    """
    from augli.vgg16 import WeightsSearch

    folders = model_folders(paths)
    tags = {folder: read_tags(Experiment(folder)) for folder in folders}
    first = folders[0]
    for folder in folders[1:]:
        if tags[folder] != tags[first]:
            order = " in another order" if set(tags[folder]) == set(tags[first]) else ""
            raise AugliError(f"the models tag different tag lists: {first} has {len(tags[first])} tags, "
                             f"{folder} has {len(tags[folder])} tags{order}")
    vgg16_networks, weights_search = {}, WeightsSearch(tuple(vgg16_weights))
    return [load_model(folder, vgg16_networks, weights_search) for folder in folders], vgg16_networks


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
    options = _read_config(experiment)["options"]
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


# --- the audio -------------------------------------------------------------------------------------------

def audio_files(paths):
    """Files as given; folders searched for mp3, ogg, flac and wav (sorted)."""
    files = []
    for path in map(Path, paths):
        files += [path / name for name in find_audio(path)] if path.is_dir() else [path]
    if not files:
        raise AugliError(f"no audio files (mp3, ogg, flac, wav) in {', '.join(map(str, paths))}")
    return files


def excerpt_settings(settings, seconds, crops):
    """The extraction settings of each excerpt of a `seconds` long track: the extraction's own (middle), or (all)
    consecutive excerpts of its duration from its start to the end of the track (at least one, the first the
    extraction's own).
    """
    if crops == "middle" or settings.duration_s is None:
        return [settings]
    count = max(1, int((decimal.Decimal(seconds) - settings.start_s) // settings.duration_s))
    return [replace(settings, start_s=seconds_after(settings.start_s, index, settings.duration_s))
            for index in range(count)]


def prepare_file(path, wav_path, picture_settings_list, crops):
    """Decode and draw one file for every model (runs in a worker process); a TrackFailure if it cannot be used."""
    try:
        try:
            seconds = soundfile.info(str(path)).duration
        except (soundfile.LibsndfileError, soundfile.SoundFileError, RuntimeError) as error:
            raise AugliError(f"{path} is not a readable audio file ({error})") from None
        wav = None
        if wav_path is not None:
            mono, _ = load_mono(path)
            write_wav(wav_path, mono)  # as prepare_audio.py wrote the CRNN's training wavs: 16-bit PCM
            wav = Wav(wav_path, len(mono))
        pictures = []
        for settings in picture_settings_list:
            rendered = [render_track(str(path), path, excerpt)
                        for excerpt in excerpt_settings(settings, seconds, crops)]
            if isinstance(rendered[0], TrackFailure):
                raise AugliError(rendered[0].reason)
            pictures.append([excerpt.pictures for excerpt in rendered if not isinstance(excerpt, TrackFailure)])
    except AugliError as error:
        return TrackFailure(str(path), error.message)
    return PreparedFile(Path(path), seconds, wav, pictures)


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


def taggram_paths(files, folder):
    """One PNG per file in `folder`, named after the file; a repeated name gets -2, -3, ..."""
    paths, used = [], set()
    for path in files:
        name, count = Path(path).stem, 1
        while name in used:
            count += 1
            name = f"{Path(path).stem}-{count}"
        used.add(name)
        paths.append(Path(folder) / f"{name}.png")
    return dict(zip(map(Path, files), paths))


# --- output ----------------------------------------------------------------------------------------------

def chosen_tags(result, top):
    """Indices of the top-`top` tags and of every tag decided present, by falling score."""
    order = np.argsort(-result.scores, kind="stable")
    present = set() if result.decisions is None else set(np.flatnonzero(result.decisions).tolist())
    return [int(index) for rank, index in enumerate(order) if rank < top or int(index) in present]


def format_tsv(results, tags, top, short=False):
    """`file, tag, score, present` rows (present: 1/0, empty without thresholds)."""
    names = short_tag_names(tags) if short else list(tags)
    lines = ["file\ttag\tscore\tpresent"]
    for result in results:
        for index in chosen_tags(result, top):
            present = "" if result.decisions is None else str(int(result.decisions[index]))
            lines.append(f"{result.path}\t{names[index]}\t{result.scores[index]:.6f}\t{present}")
    return "\n".join(lines) + "\n"


def format_json(results, tags, top, short=False):
    """Per file: the chosen tags with score and decision (null without thresholds)."""
    names = short_tag_names(tags) if short else list(tags)
    files = [{"file": str(result.path),
              "tags": [{"tag": names[index], "score": round(float(result.scores[index]), 6),
                        "present": None if result.decisions is None else bool(result.decisions[index])}
                       for index in chosen_tags(result, top)]}
             for result in results]
    return json.dumps({"tags": files}, indent=2) + "\n"


FORMATTERS = {"tsv": format_tsv, "json": format_json}
