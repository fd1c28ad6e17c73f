"""Each tagging model's input, rebuilt from its record and made for every audio file.

The CRNN's record must name this code's front end (augli.frontend.record) and sample rate; its input is
a 16 kHz mono wav written as prepare_audio.py writes it. A DeepSpectrum RNN's extraction record, carried
from deepspectrum_features.py through the npz files, gives its picture settings and VGG16 weights (found
by their recorded sha256); its input is the pictures the extractor draws (augli.track_pictures). Files
are prepared in worker processes, once for every model.
"""

import decimal
from dataclasses import dataclass, replace
from pathlib import Path

import soundfile

from augli.audio import SAMPLE_RATE_HZ, find_audio, load_mono, write_wav
from augli.clips import Wav
from augli.errors import AugliError
from augli.track_pictures import TrackFailure, picture_settings, render_track, seconds_after

CRNN_PIPELINE_KEYS = ("sample_rate_hz", "window_seconds", "test_batch_size", "noise_std", "front_end")
EXTRACTION_OPTION_KEYS = ("window_size_and_hop", "start", "end", "number_of_melbands", "renderer", "colour_map",
                          "resize", "feature_layer")


@dataclass
class PreparedFile:
    """What the workers make of one audio file: the CRNN's wav and, per picture setting, each excerpt's pictures."""
    path: Path
    seconds: float  # the track's duration
    wav: Wav | None
    pictures: list  # per distinct PictureSettings: a list (one per excerpt) of windows x 224 x 224 x 3 arrays


def require(record, keys, where):
    """Refuse a record that lacks any of `keys` (or holds None for one, `end` apart: None means to the end)."""
    missing = [key for key in keys if key not in record or (record[key] is None and key != "end")]
    if missing:
        raise AugliError(f"incomplete provenance: {where} lacks {', '.join(missing)}; the model's input cannot be rebuilt")


def check_front_end(pipeline, config_path):
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


def extraction_input(pipeline, config_path, weights_search):
    """(PictureSettings, VGG16 key) of a DeepSpectrum RNN, from the extraction record of its test split."""
    records = pipeline["features"]
    record = records.get("test") if isinstance(records, dict) else None
    if record is None:
        raise AugliError(f"incomplete provenance: {config_path} records no extraction settings for the test features "
                         "(their npz was made from a CSV without deepspectrum_features.py's record beside it)")
    options, network = record.get("options", {}), record.get("network", {})
    require(options, EXTRACTION_OPTION_KEYS, f"{config_path} input_pipeline.features.test.options")
    require(network, ("weights",), f"{config_path} input_pipeline.features.test.network")
    require(pipeline, ("n_features",), f"{config_path} input_pipeline")
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
    require(network, ("file", "sha256"), f"{config_path} input_pipeline.features.test.network")
    weights = weights_search.find(network["sha256"], network["file"])
    return picture_settings(decimal_options), (str(weights), options["feature_layer"])


def load_vgg16_network(weights, layer, weights_search):
    """VGG16 as the extraction recorded it: the weights file `weights_search` found (its sha256 known), or random."""
    from augli.vgg16 import load_vgg16

    return load_vgg16(weights, layer, sha256=None if weights == "none" else weights_search.sha256(weights))


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
