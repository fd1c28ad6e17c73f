"""Late fusion: average the test scores of several models, then score the average.

Models are found by their `predictions.npy` below a base folder laid out as the trainers write it
(`crnn/<rnn>/`, `DeepSpectrum/{1s,5s}/<rnn>/`).
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from augli import metrics
from augli.data import binarize, read_split, tags_of
from augli.errors import AugliError
from augli.experiment import PREDICTIONS, VALIDATION_PREDICTIONS, Experiment, shared_tags
from augli.files import load_npy, save_npy, write_text

# Output folder name -> which predictions it fuses (relative to the base path), as in the original.
GROUPS = {
    "all": "**",
    "crnn": "crnn/**",
    "ds": "DeepSpectrum/**",
    "ds-1s": "DeepSpectrum/1s/**",
    "ds-5s": "DeepSpectrum/5s/**",
}
# Rows of results.tsv, in the order and with the names of the organisers' AugLi.tsv.
TABLE_ROWS = {"all": "all", "crnn": "crnn", "ds-1s": "ds-1s", "ds-5s": "ds-5s", "ds": "ds-all"}

THRESHOLD_PROTOCOLS = {
    "test": "per-tag thresholds tuned on the test set (the official 2019 protocol)",
    "validation": "per-tag thresholds tuned on the validation set, then applied to the test set",
}


@dataclass
class GroupResult:
    name: str
    models: list  # the predictions.npy files fused
    scores: np.ndarray  # fused test scores
    thresholds: np.ndarray
    decisions: np.ndarray
    results: dict  # the ten official metrics
    per_tag_pr_auc: np.ndarray


def find_models(base_path, exclude=None):
    """Every predictions.npy below base_path (sorted), skipping anything inside `exclude`."""
    base_path = Path(base_path)
    if not base_path.is_dir():
        raise AugliError(f"fusion base path {base_path} does not exist or is not a folder")
    exclude = Path(exclude).resolve() if exclude is not None else None
    found = sorted(path for path in base_path.glob(f"**/{PREDICTIONS}")
                   if exclude is None or not path.resolve().is_relative_to(exclude))
    if not found:
        raise AugliError(f"no {PREDICTIONS} below fusion base path {base_path}")
    return found


def group_members(base_path, models):
    """Group name -> the models it fuses; groups that match nothing are left out."""
    base_path = Path(base_path)
    members = {}
    for name, pattern in GROUPS.items():
        matched = set(base_path.glob(f"{pattern}/{PREDICTIONS}"))
        chosen = [model for model in models if model in matched]
        if chosen:
            members[name] = chosen
    return members


def load_scores(paths, reference, reference_name):
    """Load score matrices, each checked for the reference's shape and for finite values."""
    loaded = {}
    for path in paths:
        scores = load_npy(path)
        metrics.check_same_shape(scores, str(path), reference, reference_name)
        metrics.check_finite(scores, str(path))
        loaded[path] = scores
    return loaded


def fuse(score_matrices):
    """The plain mean, computed as the original did (numpy mean over the stacked matrices)."""
    return np.mean(np.stack(score_matrices), axis=0)


def models_tags(models, test_tracks):
    """The tag order of the models' score columns: their thresholds.tsv (all must agree), or for scores with none
    beside them (a submission's predictions.npy, say) the trainers' order, the test split's sorted tags."""
    folders = [model.parent for model in models if Experiment(model.parent).thresholds.is_file()]
    return list(shared_tags(folders)) if folders else tags_of(test_tracks)


def run_fusion(base_path, test_tsv, protocol="test", validation_tsv=None, exclude=None):
    """Fuse every group and score it against the test split's tags; reads everything, writes nothing.

    Returns the groups and the tags, in the order of the score columns.
    """
    if protocol not in THRESHOLD_PROTOCOLS:
        raise AugliError(f"unknown threshold protocol {protocol!r}: choose from {', '.join(THRESHOLD_PROTOCOLS)}")
    models = find_models(base_path, exclude)
    test_tracks = read_split(test_tsv)
    tags = models_tags(models, test_tracks)
    groundtruth = binarize(test_tracks, tags, source=str(test_tsv)).astype(bool)
    test_scores = load_scores(models, groundtruth, "the ground truth")
    if protocol == "validation":
        validation_truth = _validation_truth(validation_tsv, tags)
        validation_scores = load_validation_scores(models, validation_truth, validation_tsv)

    groups = []
    for name, members in group_members(base_path, models).items():
        fused = fuse([test_scores[model] for model in members])
        if protocol == "validation":
            thresholds = validation_thresholds(validation_truth,
                                               [validation_scores[_validation_file(model)] for model in members])
        else:
            thresholds = metrics.f_score_thresholds(groundtruth, fused)
        decisions = metrics.decide(fused, thresholds)
        per_tag = metrics.ranking_per_tag(groundtruth, fused)
        groups.append(GroupResult(
            name=name, models=members, scores=fused, thresholds=thresholds, decisions=decisions,
            results=metrics.evaluate(groundtruth, fused, decisions, per_tag),
            per_tag_pr_auc=per_tag["PR-AUC"],
        ))
    return groups, tags


def validation_thresholds(validation_truth, validation_scores):
    """`--thresholds validation`: per-tag F-score thresholds of the fused validation scores of a group's models."""
    return metrics.f_score_thresholds(validation_truth, fuse(validation_scores))


def load_validation_scores(models, validation_truth, validation_source):
    """The validation-predictions.npy beside each model's predictions.npy, checked against the validation truth."""
    return load_scores([_validation_file(model) for model in models], validation_truth,
                       f"the validation ground truth of {validation_source}")


def _validation_file(model):
    path = model.with_name(VALIDATION_PREDICTIONS)
    if not path.is_file():
        raise AugliError(f"--thresholds validation needs {path} (the trainers write it beside {model.name})")
    return path


def _validation_truth(validation_tsv, tags):
    if validation_tsv is None:
        raise AugliError("--thresholds validation needs the validation split TSV")
    return binarize(read_split(validation_tsv), tags, source=str(validation_tsv)).astype(bool)


def results_table(groups):
    """Row name -> metrics in the order and naming of the organisers' AugLi.tsv."""
    by_name = {group.name: group.results for group in groups}
    return {row: by_name[name] for name, row in TABLE_ROWS.items() if name in by_name}


def write_outputs(output_dir, groups, tags, protocol):
    """Per group: fused scores, thresholds, decisions and metrics; then the table and the picture."""
    from augli.plots import plot_per_tag_pr_auc  # matplotlib only when something is written

    output_dir = Path(output_dir)
    for group in groups:
        folder = output_dir / group.name
        save_npy(folder / PREDICTIONS, group.scores)
        write_text(folder / "thresholds.txt", metrics.format_thresholds(tags, group.thresholds))
        save_npy(folder / "decisions.npy", group.decisions)
        write_text(folder / "eval-on-test.tsv", metrics.format_metrics(group.results))
    write_text(output_dir / "results.tsv", metrics.format_table(results_table(groups)))
    write_text(output_dir / "protocol.txt", THRESHOLD_PROTOCOLS[protocol] + "\n")
    plot_per_tag_pr_auc(output_dir / "pr-auc-per-tag.png", tags,
                        {group.name: group.per_tag_pr_auc for group in groups})
