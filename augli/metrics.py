"""The challenge's evaluation protocol (MTG `scripts/mediaeval2019/`), in one place.

Scores are tracks x tags; ROC-AUC and PR-AUC come from scores, precision / recall / F-score from
boolean decisions `scores > threshold`, one threshold per tag.
"""

import warnings

import numpy as np
from sklearn import metrics as skm
from sklearn.exceptions import UndefinedMetricWarning

from augli.errors import AugliError

# Column order of the organisers' result tables (submissions/<team>.tsv).
METRICS = (
    "PR-AUC-macro", "ROC-AUC-macro", "F-score-macro", "precision-macro", "recall-macro",
    "PR-AUC-micro", "ROC-AUC-micro", "F-score-micro", "precision-micro", "recall-micro",
)


def check_same_shape(array, name, reference, reference_name):
    if array.shape != reference.shape:
        raise AugliError(f"{name} is {_shape(array)}, {reference_name} is {_shape(reference)}")


def check_finite(array, name):
    if not np.all(np.isfinite(array)):
        bad = np.argwhere(~np.isfinite(array))[0]
        raise AugliError(f"{name} holds NaN or inf scores (first at track {bad[0]}, tag {bad[-1]})")


def _shape(array):
    return " x ".join(str(size) for size in array.shape)


def evaluate(groundtruth, scores, decisions):
    """The ten official metrics, keyed and ordered as METRICS."""
    check_same_shape(scores, "predictions", groundtruth, "ground truth")
    check_same_shape(decisions, "decisions", groundtruth, "ground truth")
    results = {}
    with warnings.catch_warnings():
        # A tag nobody predicts has undefined precision; the protocol counts it as 0.
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        for average in ("macro", "micro"):
            results[f"ROC-AUC-{average}"] = skm.roc_auc_score(groundtruth, scores, average=average)
            results[f"PR-AUC-{average}"] = skm.average_precision_score(groundtruth, scores, average=average)
            precision, recall, f_score, _ = skm.precision_recall_fscore_support(groundtruth, decisions, average=average)
            results[f"precision-{average}"] = precision
            results[f"recall-{average}"] = recall
            results[f"F-score-{average}"] = f_score
    return {name: float(results[name]) for name in METRICS}


def macro_auc(groundtruth, scores):
    """Macro ROC-AUC and PR-AUC over the tags that have positives and negatives (for model selection)."""
    defined = (groundtruth.min(axis=0) != groundtruth.max(axis=0))
    if not defined.any():
        return float("nan"), float("nan")
    truth, predicted = groundtruth[:, defined], scores[:, defined]
    return (float(skm.roc_auc_score(truth, predicted, average="macro")),
            float(skm.average_precision_score(truth, predicted, average="macro")))


def f_score_thresholds(groundtruth, scores):
    """Per tag, the score threshold at the first maximum of F1 along the precision-recall curve.

    This is the organisers' `calculate_decisions.py` rule (NaN F counts as 0). Applied to the test
    set, as in 2019, it tunes on the data it is evaluated on.
    """
    thresholds = np.empty(scores.shape[1], dtype=scores.dtype)
    for tag in range(scores.shape[1]):
        with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
            warnings.simplefilter("ignore", UserWarning)  # a tag without positives
            precision, recall, candidates = skm.precision_recall_curve(groundtruth[:, tag], scores[:, tag])
            f_score = np.nan_to_num(2 * precision * recall / (precision + recall))
        thresholds[tag] = candidates[np.argmax(f_score)]
    return thresholds


def youden_thresholds(groundtruth, scores):
    """Per tag, the ROC threshold that maximises Youden's J = TPR - FPR (the trainers' rule)."""
    thresholds = np.empty(scores.shape[1], dtype=np.float64)
    for tag in range(scores.shape[1]):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UndefinedMetricWarning)
            false_positive_rate, true_positive_rate, candidates = skm.roc_curve(groundtruth[:, tag], scores[:, tag])
        thresholds[tag] = candidates[np.argmax(true_positive_rate - false_positive_rate)]
    return thresholds


def decide(scores, thresholds):
    """Strictly above the threshold, as the original and the organisers' scripts do."""
    return scores > np.asarray(thresholds)


def format_metrics(results):
    """`name<TAB>value` lines with six decimals, the organisers' format."""
    return "".join(f"{name}\t{value:.6f}\n" for name, value in results.items())


def format_thresholds(tags, thresholds):
    """`tag<TAB>threshold` lines; values written as pandas wrote them in 2019 (shortest float64 repr)."""
    if len(tags) != len(thresholds):
        raise AugliError(f"{len(tags)} tags but {len(thresholds)} thresholds")
    return "".join(f"{tag}\t{float(value)!r}\n" for tag, value in zip(tags, thresholds))


def format_table(rows):
    """Result table in the organisers' layout: a header of METRICS after an empty first cell."""
    lines = ["\t" + "\t".join(METRICS)]
    lines += [name + "\t" + "\t".join(f"{results[metric]:.6f}" for metric in METRICS) for name, results in rows.items()]
    return "\n".join(lines) + "\n"
