"""The job behind deepspectrum_features.py: DeepSpectrum 0.6.9's `features` CSV, made on today's stack.

Worker processes decode the tracks, cut DeepSpectrum's chunks and draw their pictures
(augli.track_pictures); this process runs VGG16 (augli.vgg16) on batches of pictures, hands
each finished track's activations back to the workers to be formatted, and appends the rows to
`OUT.part` in track order. The partial file is renamed to OUT when every track is done, so an
interrupted run can be continued (`--resume`): the tracks already in `OUT.part` are kept. With
`--shard K/N` the run extracts only the K-th slice of its tracks (augli.shards).
"""

import csv
import json
import os
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile
from tqdm import tqdm

from augli.audio import find_audio, locate
from augli.errors import AugliError
from augli.experiment import check_recorded_options, provenance
from augli.feature_csv import (CSV_SPECIAL_CHARACTERS, LINE_END, RUN_CONTROL_OPTIONS, csv_header, csv_rows, read_header,
                               record_file)
from augli.files import read_lines, write_text
from augli.shards import take_shard
from augli.track_pictures import TRACKS_AHEAD_PER_WORKER, TrackFailure, picture_settings, render_track
from augli.workers import in_order, process_pool

PARTIAL_SUFFIX = ".part"
SHOWN_NAMES = 5
RECORDED_PACKAGES = ("tensorflow", "keras", "numpy", "h5py", "matplotlib", "pillow", "soundfile")


@dataclass(frozen=True)
class AudioFile:
    """A file to extract: its name as the CSV writes it (the path below the audio folder, with its extension)."""
    name: str
    source: Path


@dataclass
class Summary:
    csv: Path
    tracks: int = 0
    rows: int = 0
    skipped: list = field(default_factory=list)  # one "name: reason" line per skipped track


@dataclass(frozen=True)
class Outputs:
    csv: Path

    @property
    def partial(self):
        return self.csv.with_name(self.csv.name + PARTIAL_SUFFIX)

    @property
    def record(self):
        return record_file(self.csv)

    @property
    def partial_record(self):
        return self.record.with_name(self.record.name + PARTIAL_SUFFIX)


def read_label_names(label_file):
    """The file names a DeepSpectrum label file lists: first column, after the header; tab-separated if .tsv."""
    delimiter = "\t" if Path(label_file).suffix == ".tsv" else ","
    rows = csv.reader(read_lines(label_file, "label file")[1:], delimiter=delimiter)
    names = [row[0] for row in rows if row and row[0]]
    if not names:
        raise AugliError(f"label file {label_file} lists no files below its header line")
    return names


def listed_tracks(audio_dir, label_file=None):
    """The tracks to extract, in DeepSpectrum 0.6.9's order (sorted paths): those the label file lists, else every audio file.

    A listed `48/948.mp3` may be MTG's low-quality download `48/948.low.mp3`; the CSV keeps the listed name.
    """
    audio_dir = Path(audio_dir)
    names = sorted(set(read_label_names(label_file))) if label_file else find_audio(audio_dir)
    if not names:
        raise AugliError(f"no audio files below {audio_dir}")
    unsafe = [name for name in names if any(character in name for character in CSV_SPECIAL_CHARACTERS)]
    if unsafe:
        raise AugliError(f"file name {unsafe[0]!r} holds a comma, quote or line break, which the feature CSV cannot carry")
    tracks = [AudioFile(name, audio_dir / locate(audio_dir, name)) for name in names]
    missing = [track.name for track in tracks if not track.source.is_file()]
    if missing:
        shown = ", ".join(missing[:SHOWN_NAMES]) + (", ..." if len(missing) > SHOWN_NAMES else "")
        raise AugliError(f"{len(missing)} of the {len(tracks)} files listed in {label_file} are not below {audio_dir}: {shown}")
    return tracks


def prepare_outputs(output, resume, overwrite):
    """Check that the CSV may be written; create its folder. Refuses to replace a finished or interrupted run unasked."""
    outputs = Outputs(Path(output))
    if outputs.csv.is_dir():
        raise AugliError(f"output {outputs.csv} is a folder; name the CSV file to write")
    if outputs.csv.suffix.lower() != ".csv":
        raise AugliError(f"output {outputs.csv} must be a .csv file (DeepSpectrum's ARFF output is not written)")
    if resume and overwrite:
        raise AugliError("--overwrite and --resume exclude each other: start the extraction again or continue it")
    if resume:
        if not (outputs.partial.is_file() and outputs.partial_record.is_file()):
            raise AugliError(f"nothing to resume: {outputs.partial} and {outputs.partial_record} must both exist")
    elif not overwrite:
        existing = [str(path) for path in (outputs.csv, outputs.record, outputs.partial) if path.exists()]
        if existing:
            hint = " or --resume to continue the interrupted run" if outputs.partial.exists() else ""
            raise AugliError(f"{', '.join(existing)} already exist(s): pass --overwrite to replace{hint}")
    try:
        outputs.csv.parent.mkdir(parents=True, exist_ok=True)  # as DeepSpectrum did
    except OSError as error:
        raise AugliError(f"cannot create the output folder {outputs.csv.parent}: {error.strerror}") from None
    if not os.access(outputs.csv.parent, os.W_OK):
        raise AugliError(f"cannot write to the output folder {outputs.csv.parent}")
    return outputs


def resume_point(partial, width):
    """(names of the tracks finished in an interrupted run's CSV, their row count).

    Tracks are appended whole, so only the last one can be incomplete: the file is cut before it.
    """
    found = read_header(partial)
    if found != width:
        raise AugliError(f"cannot resume: {partial} holds {found} features per row, the network gives {width}")
    finished, rows, last_name, last_start, last_rows = set(), 0, None, 0, 0
    with open(partial, "rb") as handle:
        offset = len(handle.readline())
        for line in handle:
            name = line.split(b",", 1)[0]
            if name != last_name:
                if last_name is not None:
                    finished.add(last_name.decode("utf-8"))
                    rows += last_rows
                last_name, last_start, last_rows = name, offset, 0
            offset += len(line)
            last_rows += 1
    os.truncate(partial, last_start if last_name is not None else offset)
    return finished, rows


def _usable(rendered, skip_bad, summary, progress):
    """The rendered tracks; a failure stops the run, or with skip_bad is counted and passed over."""
    for result in rendered:
        if isinstance(result, TrackFailure):
            if not skip_bad:
                raise AugliError(f"{result.reason} (--skip-bad skips such files)")
            summary.skipped.append(f"{result.name}: {result.reason}")
            progress.update()
            continue
        yield result


def features_by_track(tracks, network, batch_size):
    """(name, timestamps, features) per track, in order, running the network on batches of `batch_size` pictures."""
    queued = deque()  # tracks whose features are not all computed yet
    pictures, features = [], []  # pictures still to run, features of queued tracks computed so far

    def run(count):
        features.extend(network(np.stack(pictures[:count])))
        del pictures[:count]
        while queued and len(features) >= len(queued[0].timestamps):
            track = queued.popleft()
            rows = len(track.timestamps)
            yield track.name, track.timestamps, np.stack(features[:rows])
            del features[:rows]

    for track in tracks:
        queued.append(track)
        pictures.extend(track.pictures)
        while len(pictures) >= batch_size:
            yield from run(batch_size)
    if pictures:
        yield from run(len(pictures))


def start_tensorflow(deterministic):
    """Start TensorFlow on one device (the first visible GPU, else the CPU), print which, set --deterministic; the
    device's record. TensorFlow is imported here, so that it starts only once the inputs are known to be good."""
    from augli.devices import announce, set_op_determinism, take_devices

    set_op_determinism(deterministic)
    computing = take_devices()[1]
    announce(computing)
    return computing


def load_network(weights, layer):
    """VGG16 cut at `layer` (Keras is imported here, for the reason `start_tensorflow` gives)."""
    from augli.vgg16 import load_vgg16

    return load_vgg16(weights, layer)


def extract_features(options):
    """Write the feature CSV of deepspectrum_features.py's resolved `options` and its provenance; the Summary."""
    if not options["no_labels"]:
        raise AugliError("pass -nl: only feature CSVs without label columns are written (what transform_features.py reads)")
    outputs = prepare_outputs(options["output"], options["resume"], options["overwrite"])
    if options["resume"]:
        check_recorded_options(outputs.partial_record, options, RUN_CONTROL_OPTIONS)
    tracks = take_shard(listed_tracks(options["audio_dir"], options["label_file"]), options["shard"])
    settings = picture_settings(options)
    computing = start_tensorflow(options["deterministic"])
    network = load_network(options["weights"], options["feature_layer"])
    record = provenance(options, network.weights.get("seed"), RECORDED_PACKAGES)
    record["computing_on"] = computing
    record["libsndfile"] = soundfile.__libsndfile_version__  # the decoder, bundled with soundfile
    record["network"] = {"name": options["extraction_network"], "layer": options["feature_layer"],
                         "width": network.width, **network.weights}
    summary = Summary(outputs.csv)
    if options["resume"]:
        finished, summary.rows = resume_point(outputs.partial, network.width)
        summary.tracks = len(finished)
        tracks = [track for track in tracks if track.name not in finished]
    else:
        write_text(outputs.partial_record, json.dumps(record, indent=2, default=str) + "\n")
        with open(outputs.partial, "w", encoding="utf-8", newline="") as handle:
            handle.write(csv_header(network.width) + LINE_END)
    _extract(tracks, settings, network, options, outputs.partial, summary)
    os.replace(outputs.partial, outputs.csv)
    record.update(tracks=summary.tracks, rows=summary.rows, skipped=summary.skipped)
    write_text(outputs.record, json.dumps(record, indent=2, default=str) + "\n")
    outputs.partial_record.unlink()
    return summary


def _extract(tracks, settings, network, options, partial, summary):
    """Append the tracks' rows to `partial`, one whole track at a time."""
    jobs = options["number_of_processes"]
    with (process_pool(jobs) as pool, open(partial, "a", encoding="utf-8", newline="") as handle,
          tqdm(total=summary.tracks + len(tracks), initial=summary.tracks, unit="track", desc="extracting") as progress):
        drawing = ((track.name, track.source, settings) for track in tracks)
        rendered = in_order(pool, render_track, drawing, TRACKS_AHEAD_PER_WORKER * jobs)
        featured = features_by_track(_usable(rendered, options["skip_bad"], summary, progress), network,
                                      options["batch_size"])
        for rows in in_order(pool, csv_rows, featured, jobs):
            handle.write(rows)
            handle.flush()
            summary.tracks += 1
            summary.rows += rows.count(LINE_END)
            progress.update()
