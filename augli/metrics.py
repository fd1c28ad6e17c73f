"""The challenge's evaluation protocol (MTG `scripts/mediaeval2019/`), in one place.

Scores are tracks x tags; ROC-AUC and PR-AUC come from scores, precision / recall / F-score from
boolean decisions `scores > threshold`, one threshold per tag.

The organisers computed everything with scikit-learn. The same formulas are restated here in numpy
(step by step as scikit-learn 1.9 does them, so results agree to the last bit in practice; the tests
check both against each other and against the official tables) because importing
`sklearn.metrics` alone takes about 2 s, four times the rest of a whole fusion run.
"""

import numpy as np

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


def evaluate(groundtruth, scores, decisions, per_tag=None):
    """The ten official metrics, keyed and ordered as METRICS.

    `per_tag` is `ranking_per_tag(groundtruth, scores)` for a caller that already computed it.
    """
    check_same_shape(scores, "predictions", groundtruth, "ground truth")
    check_same_shape(decisions, "decisions", groundtruth, "ground truth")
    truth = np.asarray(groundtruth, dtype=bool)
    without_positives = np.flatnonzero(~truth.any(axis=0))
    if without_positives.size:
        raise AugliError(f"tag column {without_positives[0]} of the ground truth has no positive: ROC-AUC is undefined")
    per_tag = per_tag if per_tag is not None else ranking_per_tag(truth, scores)
    pooled = _curve(truth.ravel(), scores.ravel())
    results = {
        "PR-AUC-macro": float(np.mean(per_tag["PR-AUC"])),
        "ROC-AUC-macro": float(np.mean(per_tag["ROC-AUC"])),
        "PR-AUC-micro": _average_precision(pooled),
        "ROC-AUC-micro": _roc_auc(pooled),
    }
    for average, counts in (("macro", _decision_counts(truth, decisions, axis=0)),
                            ("micro", _decision_counts(truth, decisions, axis=None))):
        precision, recall, f_score = _precision_recall_f(*counts)
        results[f"precision-{average}"] = float(np.mean(precision))
        results[f"recall-{average}"] = float(np.mean(recall))
        results[f"F-score-{average}"] = float(np.mean(f_score))
    return {name: results[name] for name in METRICS}


def _decision_counts(truth, decisions, axis):
    decisions = np.asarray(decisions, dtype=bool)
    return ((truth & decisions).sum(axis=axis), decisions.sum(axis=axis), truth.sum(axis=axis))


def _precision_recall_f(true_positives, predicted, actual):
    """Precision, recall and F1 from counts; an undefined ratio counts as 0 (scikit-learn's rule)."""
    true_positives, predicted, actual = (np.atleast_1d(np.asarray(count, dtype=np.float64))
                                         for count in (true_positives, predicted, actual))
    return (_divide(true_positives, predicted), _divide(true_positives, actual),
            _divide(2 * true_positives, actual + predicted))


def _divide(numerator, denominator):
    return np.divide(numerator, denominator, out=np.zeros_like(numerator), where=denominator != 0)


def ranking_per_tag(groundtruth, scores):
    """PR-AUC and ROC-AUC of each tag, from one sort of each column."""
    truth = np.asarray(groundtruth, dtype=bool)
    curves = [_curve(truth[:, tag], scores[:, tag]) for tag in range(truth.shape[1])]
    return {"PR-AUC": np.array([_average_precision(curve) for curve in curves]),
            "ROC-AUC": np.array([_roc_auc(curve) for curve in curves])}


def _curve(truth, scores):
    """Counts at each distinct score, from the highest down: (false positives, true positives, score).

    Only the counts at the last member of each run of tied scores are kept, and those do not depend
    on how ties are ordered, so the faster unstable sort gives scikit-learn's (stable) result.
    """
    order = np.argsort(scores)[::-1]
    scores, truth = scores[order], truth[order]
    last_of_each_value = np.append(np.flatnonzero(np.diff(scores)), truth.size - 1)
    true_positives = np.cumsum(truth, dtype=np.float64)[last_of_each_value]
    false_positives = 1 + last_of_each_value - true_positives
    return false_positives, true_positives, scores[last_of_each_value]


def precision_recall_curve(truth, scores):
    """As sklearn.metrics.precision_recall_curve: precision and recall end with (1, 0); thresholds ascend."""
    return _precision_recall(_curve(truth, scores))


def _precision_recall(curve):
    false_positives, true_positives, thresholds = curve
    predicted = true_positives + false_positives
    precision = _divide(true_positives, predicted)
    recall = true_positives / true_positives[-1] if true_positives[-1] else np.ones_like(true_positives)
    return np.append(precision[::-1], 1.0), np.append(recall[::-1], 0.0), thresholds[::-1]


def _average_precision(curve):
    """PR-AUC as the organisers computed it: the step-wise sum of precision over recall increments."""
    precision, recall, _ = _precision_recall(curve)
    return float(max(0.0, -np.sum(np.diff(recall) * precision[:-1])))


def roc_curve(truth, scores, drop_intermediate=True):
    """As sklearn.metrics.roc_curve: starts at (0, 0) with threshold inf; collinear points dropped."""
    return _roc(_curve(truth, scores), drop_intermediate)


def _roc(curve, drop_intermediate=True):
    false_positives, true_positives, thresholds = curve
    if drop_intermediate and false_positives.size > 2:
        bends = (np.diff(false_positives, 2) != 0) | (np.diff(true_positives, 2) != 0)
        corners = np.concatenate(([True], bends, [True]))
        false_positives, true_positives, thresholds = (array[corners] for array in (false_positives, true_positives, thresholds))
    false_positives, true_positives = np.insert(false_positives, 0, 0.0), np.insert(true_positives, 0, 0.0)
    thresholds = np.insert(thresholds.astype(np.float64), 0, np.inf)
    with np.errstate(invalid="ignore", divide="ignore"):
        return false_positives / false_positives[-1], true_positives / true_positives[-1], thresholds


def _roc_auc(curve):
    false_positive_rate, true_positive_rate, _ = _roc(curve)
    return float(np.trapezoid(true_positive_rate, false_positive_rate))


def macro_auc(groundtruth, scores):
    """Macro ROC-AUC and PR-AUC over the tags that have positives and negatives (for model selection)."""
    truth = np.asarray(groundtruth, dtype=bool)
    defined = (truth.any(axis=0) & ~truth.all(axis=0))
    if not defined.any():
        return float("nan"), float("nan")
    per_tag = ranking_per_tag(truth[:, defined], scores[:, defined])
    return float(np.mean(per_tag["ROC-AUC"])), float(np.mean(per_tag["PR-AUC"]))


def check_scorable(groundtruth, source):
    """Refuse a validation split on which model selection is impossible: no tag with both classes."""
    truth = np.asarray(groundtruth, dtype=bool)
    if not (truth.any(axis=0) & ~truth.all(axis=0)).any():
        raise AugliError(f"{source}: no tag has both positive and negative tracks, so validation ROC-AUC is undefined")


def f_score_thresholds(groundtruth, scores):
    """Per tag, the score threshold at the first maximum of F1 along the precision-recall curve.

    This is the organisers' `calculate_decisions.py` rule (NaN F counts as 0). Applied to the test
    set, as in 2019, it tunes on the data it is evaluated on.
    """
    truth = np.asarray(groundtruth, dtype=bool)
    thresholds = np.empty(scores.shape[1], dtype=scores.dtype)
    for tag in range(scores.shape[1]):
        precision, recall, candidates = precision_recall_curve(truth[:, tag], scores[:, tag])
        with np.errstate(divide="ignore", invalid="ignore"):
            f_score = np.nan_to_num(2 * precision * recall / (precision + recall))
        thresholds[tag] = candidates[np.argmax(f_score)]
    return thresholds


def youden_thresholds(groundtruth, scores):
    """Per tag, the ROC threshold that maximises Youden's J = TPR - FPR (the trainers' rule)."""
    truth = np.asarray(groundtruth, dtype=bool)
    thresholds = np.empty(scores.shape[1], dtype=np.float64)
    for tag in range(scores.shape[1]):
        false_positive_rate, true_positive_rate, candidates = roc_curve(truth[:, tag], scores[:, tag])
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

