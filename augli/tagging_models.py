"""tag.py's models: the experiment folders that -m names, found as fusion.py finds them, checked, and each
model rebuilt from its config.json alone with its best weights (its input: augli.tagging_inputs).
"""

import json
from dataclasses import dataclass
from pathlib import Path

from augli.errors import AugliError
from augli.experiment import PREDICTIONS, Experiment, check_batch_normalization, read_tags, shared_tags
from augli.fusion import find_models
from augli.tagging_inputs import CRNN_PIPELINE_KEYS, check_front_end, extraction_input, load_vgg16_network, require

CRNN, DEEPSPECTRUM = "crnn", "DeepSpectrum RNN"
RNN_OPTION_KEYS = ("rnn_type", "rnn_units", "rnn_layers", "rnn_dropout", "dropout_final")
HEAD_OPTION_KEYS = (*RNN_OPTION_KEYS, "recurrent_activation")


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


def model_folders(paths):
    """The experiment folders named by -m: a folder holding predictions.npy, or every one below it (as fusion.py)."""
    folders = []
    for path in map(Path, paths):
        found = [path] if (path / PREDICTIONS).is_file() else [model.parent for model in find_models(path)]
        folders += [folder for folder in found if folder.resolve() not in {known.resolve() for known in folders}]
    return folders


def read_config(experiment):
    """The model's config.json, or one line saying why it cannot be read."""
    try:
        return json.loads(experiment.config.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise AugliError(f"cannot read the model's record {experiment.config}: {error}") from None


def load_model(folder, vgg16_networks, weights_search):
    """The model of one experiment folder, rebuilt from its config.json, with its best weights; a DeepSpectrum RNN's
    VGG16 weights are found by their recorded sha256 (`weights_search`, an augli.vgg16.WeightsSearch)."""
    from augli.models import crnn_tagger, sequence_tagger
    from augli.training import load_best_weights

    experiment = Experiment(Path(folder))
    if not experiment.best_weights.is_file():
        raise AugliError(f"model folder {folder} has no {experiment.best_weights.relative_to(experiment.root)}: "
                         "it holds no trained model")
    config = read_config(experiment)
    check_batch_normalization(config, experiment.config)
    pipeline = config.get("input_pipeline")
    if not isinstance(pipeline, dict):
        raise AugliError(f"incomplete provenance: {experiment.config} records no input_pipeline (trained before "
                         "tag.py existed?); retrain the model to use it here")
    options = config.get("options", {})
    require(options, HEAD_OPTION_KEYS, f"{experiment.config} options")
    tags = read_tags(experiment)
    head = [options[key] for key in RNN_OPTION_KEYS]
    activation = options["recurrent_activation"]
    if "front_end" in pipeline:
        require(pipeline, CRNN_PIPELINE_KEYS, f"{experiment.config} input_pipeline")
        check_front_end(pipeline, experiment.config)
        network = crnn_tagger(len(tags), *head, pipeline["noise_std"], recurrent_activation=activation)
        model = TaggingModel(experiment.root, CRNN, tags, network, window_seconds=pipeline["window_seconds"],
                             batch_size=pipeline["test_batch_size"])
    elif "features" in pipeline:
        settings, vgg16 = extraction_input(pipeline, experiment.config, weights_search)
        network = sequence_tagger(pipeline["n_features"], len(tags), *head, recurrent_activation=activation)
        model = TaggingModel(experiment.root, DEEPSPECTRUM, tags, network, settings=settings, vgg16=vgg16)
        if vgg16 not in vgg16_networks:
            vgg16_networks[vgg16] = load_vgg16_network(*vgg16, weights_search)
        if vgg16_networks[vgg16].width != pipeline["n_features"]:
            raise AugliError(f"{experiment.config}: the model reads {pipeline['n_features']} features, VGG16's "
                             f"{vgg16[1]} gives {vgg16_networks[vgg16].width}")
    else:
        raise AugliError(f"incomplete provenance: {experiment.config}'s input_pipeline names neither a front end "
                         "(crnn.py) nor features (train_rnn.py)")
    load_best_weights(network, experiment)
    return model


def load_models(paths, vgg16_weights=()):
    """(models, VGG16 networks by key); every model must tag the same tags in the same order (checked first).

    `vgg16_weights`: files or folders where VGG16 weights are looked for after each model's recorded path and
    Keras' cache.
    """
    from augli.vgg16 import WeightsSearch

    folders = model_folders(paths)
    shared_tags(folders)
    vgg16_networks, weights_search = {}, WeightsSearch(tuple(vgg16_weights))
    return [load_model(folder, vgg16_networks, weights_search) for folder in folders], vgg16_networks
