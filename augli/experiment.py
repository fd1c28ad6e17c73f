"""The experiment directory (`-ebp`): its file names, refusing to clobber it, and its provenance."""

import json
import platform
import shutil
import subprocess
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from augli.errors import AugliError
from augli.files import read_lines, write_text
from augli.params import BATCH_NORMALIZATION_RECORD

# Distributions whose versions decide the numbers a run produces.
RECORDED_PACKAGES = ("tensorflow", "keras", "numpy", "scikit-learn", "h5py", "kapre", "librosa", "soundfile", "pandas")
# Options that steer how a run is carried out, not what it computes (the devices, and kernels that are not
# deterministic, change only the order of float sums): a resumed run may change them.
RUN_CONTROL_OPTIONS = ("resume", "overwrite", "quiet", "distribute", "devices", "deterministic")
# The test and validation scores every trainer writes, by which fusion.py and tag.py find the models.
PREDICTIONS = "predictions.npy"
VALIDATION_PREDICTIONS = "validation-predictions.npy"


class _Below:
    """One of an Experiment's paths: `name` below its root, or below another of its folders."""

    def __init__(self, name, folder="root"):
        self.name, self.folder = name, folder

    def __get__(self, experiment, owner):
        return self if experiment is None else getattr(experiment, self.folder) / self.name


@dataclass(frozen=True)
class Experiment:
    """Where everything of one run lives."""
    root: Path

    config = _Below("config.json")
    history = _Below("history.csv")
    checkpoints = _Below("checkpoints")
    best_weights = _Below("best.weights.h5", "checkpoints")
    # Model, weights and optimizer state after the last completed epoch (for --resume).
    last_model = _Below("last.keras", "checkpoints")
    # Epoch count, best value, thresholds and history that go with `last_model`; written last.
    last_state = _Below("last-state.json", "checkpoints")
    log = _Below("log")
    predictions = _Below(PREDICTIONS)
    decisions = _Below("decisions.npy")
    thresholds = _Below("thresholds.tsv")
    validation_predictions = _Below(VALIDATION_PREDICTIONS)
    # The validation split's labels (tracks x tags, bool, thresholds.tsv's order): tag.py's default thresholds
    # need them, and a copied folder keeps them where a recorded split path would not be.
    validation_truth = _Below("validation-truth.npy")
    evaluation = _Below("evaluation-on-test.tsv")

    def outputs(self):
        """Everything a run writes, files and folders."""
        return (self.config, self.history, self.checkpoints, self.log, self.predictions, self.decisions,
                self.thresholds, self.validation_predictions, self.validation_truth, self.evaluation)

    def existing_outputs(self):
        return [path for path in self.outputs() if path.exists()]


def prepare(root, overwrite, resume):
    """Check that `root` may be used; with `overwrite`, delete the previous run's outputs (only those).

    Nothing is created here, so a run refused later (bad input) leaves no trace.
    """
    experiment = Experiment(Path(root))
    if overwrite and resume:
        raise AugliError("--overwrite and --resume exclude each other: replace the run or continue it")
    if experiment.root.exists() and not experiment.root.is_dir():
        raise AugliError(f"experiment path {experiment.root} is a file, not a folder")
    existing = experiment.existing_outputs()
    if resume:
        if not experiment.last_state.is_file():
            raise AugliError(f"nothing to resume in {experiment.root}: {experiment.last_state} does not exist")
    elif existing and not overwrite:
        names = ", ".join(path.name for path in existing)
        raise AugliError(f"{experiment.root} already holds a run ({names}); "
                         "pass --overwrite to replace it or --resume to continue it")
    return experiment


def clear_outputs(experiment):
    """Remove the outputs of a previous run (for --overwrite); other files in the folder stay."""
    for path in experiment.existing_outputs():
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()


def provenance(options, seed, packages=RECORDED_PACKAGES, input_pipeline=None, distribution=None):
    """What config.json records: the resolved options, the seed, library versions and the code's commit.

    `input_pipeline`, where a trainer gives it, records what a later tool needs to rebuild the
    trainer's inputs exactly (for the CRNN: window, crops, front end, noise, weights);
    `distribution` how the run computed (strategy, replicas, devices, dtype policy).
    """
    return {
        "options": options,
        "seed": seed,
        **({"input_pipeline": input_pipeline} if input_pipeline is not None else {}),
        **({"distribution": distribution} if distribution is not None else {}),
        "python": platform.python_version(),
        "packages": {name: _version(name) for name in packages},
        "git_commit": _git_commit(),
    }


def write_config(experiment, options, seed, input_pipeline=None, distribution=None):
    record = {**provenance(options, seed, input_pipeline=input_pipeline, distribution=distribution),
              "batch_normalization": BATCH_NORMALIZATION_RECORD}
    write_text(experiment.config, json.dumps(record, indent=2, default=str) + "\n")


def check_batch_normalization(config, config_path):
    """Refuse a model folder whose layers are Keras 3's BatchNormalization (trained before augli.keras2)."""
    if config.get("batch_normalization") != BATCH_NORMALIZATION_RECORD:
        commit = config.get("git_commit") or "unknown"
        raise AugliError(f"{config_path}: the model was trained with Keras 3's BatchNormalization, whose state this "
                         f"version does not load; retrain it, or use augli at the commit it records ({commit})")


def check_same_options(experiment, options):
    """A resumed run must compute what the interrupted one computed: same layers, same options except run control."""
    record = _resume_record(experiment.config)
    check_batch_normalization(record, experiment.config)
    _check_options(record, experiment.config, options, RUN_CONTROL_OPTIONS)


def check_recorded_options(record_path, options, run_control):
    """Refuse to resume when an option outside `run_control` differs from the `options` recorded in `record_path`."""
    _check_options(_resume_record(record_path), record_path, options, run_control)


def _resume_record(record_path):
    try:
        record = json.loads(Path(record_path).read_text(encoding="utf-8"))
        record["options"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise AugliError(f"cannot resume: {record_path} is unreadable ({error})") from None
    return record


def _check_options(record, record_path, options, run_control):
    recorded = record["options"]
    current = json.loads(json.dumps(options, default=str))
    for name in sorted(set(recorded) | set(current)):
        if name not in run_control and recorded.get(name) != current.get(name):
            raise AugliError(f"cannot resume: {name} is {current.get(name)!r} now but {recorded.get(name)!r} "
                             f"in {record_path}")


def _version(distribution):
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def _git_commit():
    """HEAD of the repository holding this code, with `-dirty` for uncommitted changes; None outside git."""
    source = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=source, capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=source,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return commit + ("-dirty" if dirty else "")


def read_tags(experiment):
    """The model's tags in column order, from the thresholds.tsv every trainer writes."""
    lines = read_lines(experiment.thresholds, "the model's thresholds")
    return tuple(line.split("\t")[0] for line in lines if line)


def shared_tags(folders):
    """The tags, in column order, that every model folder scores: models that differ cannot be fused or tag together."""
    tags = {folder: read_tags(Experiment(Path(folder))) for folder in folders}
    first = folders[0]
    for folder in folders[1:]:
        if tags[folder] != tags[first]:
            order = " in another order" if set(tags[folder]) == set(tags[first]) else ""
            raise AugliError(f"the models tag different tag lists: {first} has {len(tags[first])} tags, "
                             f"{folder} has {len(tags[folder])} tags{order}")
    return tags[first]
