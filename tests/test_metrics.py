"""The organisers' protocol, checked against their own published numbers."""

import numpy as np
import pytest

from augli import metrics
from augli.data import load_groundtruth, read_tag_list
from augli.errors import AugliError
from conftest import DATASET, MEP, RESULTS, SUBMISSIONS, read_metric_lines, read_result_table, scikit_learn_metrics

GROUNDTRUTH = load_groundtruth(MEP)
TAGS = read_tag_list(DATASET / "data" / "tags" / "moodtheme_split.txt")


def official_scoring(scores):
    thresholds = metrics.f_score_thresholds(GROUNDTRUTH, scores)
    decisions = metrics.decide(scores, thresholds)
    return thresholds, decisions, metrics.evaluate(GROUNDTRUTH, scores, decisions)


def as_text(results):
    return {name: f"{value:.6f}" for name, value in results.items()}


def test_augli_all_row_of_the_official_table():
    scores = np.load(SUBMISSIONS / "AugLi" / "all-predictions.npy")
    thresholds, decisions, results = official_scoring(scores)
    assert as_text(results) == read_result_table(SUBMISSIONS / "AugLi.tsv")["all"]
    assert metrics.format_thresholds(TAGS, thresholds) == (SUBMISSIONS / "AugLi" / "all-thresholds.txt").read_text()
    np.testing.assert_array_equal(decisions, np.load(SUBMISSIONS / "AugLi" / "all-decisions.npy"))


def test_vggish_baseline_row_thresholds_and_decisions():
    scores = np.load(RESULTS / "baseline_vggish_predictions.npy")
    thresholds, decisions, results = official_scoring(scores)
    assert as_text(results) == read_result_table(SUBMISSIONS / "baseline.tsv")["vggish"]
    assert as_text(results) == read_metric_lines(RESULTS / "baseline_vggish_results.tsv")
    assert metrics.format_thresholds(TAGS, thresholds) == (RESULTS / "baseline_vggish_thresholds.txt").read_text()
    np.testing.assert_array_equal(decisions, np.load(RESULTS / "baseline_vggish_decisions.npy"))


def test_metric_names_and_order_are_the_official_table_columns():
    header = (SUBMISSIONS / "AugLi.tsv").read_text().splitlines()[0]
    assert header == "\t" + "\t".join(metrics.METRICS)
    assert metrics.format_table({"x": dict.fromkeys(metrics.METRICS, 0.5)}).splitlines()[0] == header


def test_f_score_threshold_is_the_first_best_f1_point():
    truth = np.array([[0], [1], [0], [1], [1]])
    scores = np.array([[0.1], [0.3], [0.5], [0.6], [0.9]], dtype=np.float32)
    # Thresholds 0.3 (P 3/4, R 1, F .857) and 0.6 (P 1, R 2/3, F .8): 0.3 wins.
    assert metrics.f_score_thresholds(truth, scores).tolist() == [pytest.approx(0.3)]


def test_youden_threshold_maximises_tpr_minus_fpr():
    truth = np.array([[0, 1], [0, 0], [1, 1], [1, 0]])
    scores = np.array([[0.1, 0.9], [0.2, 0.1], [0.3, 0.7], [0.4, 0.2]])
    assert metrics.youden_thresholds(truth, scores).tolist() == [0.3, 0.7]


def test_decisions_are_strictly_above_the_threshold():
    scores = np.array([[0.2, 0.5], [0.7, 0.5]])
    assert metrics.decide(scores, [0.2, 0.4]).tolist() == [[False, True], [True, True]]


def test_macro_auc_skips_tags_without_positives():
    truth = np.array([[1, 0], [0, 0], [1, 0], [0, 0]])
    scores = np.array([[0.9, 0.1], [0.1, 0.2], [0.8, 0.3], [0.2, 0.4]])
    assert metrics.macro_auc(truth, scores) == (1.0, 1.0)


def test_metrics_file_has_six_decimals_per_line():
    text = metrics.format_metrics({"ROC-AUC-macro": 0.7424741, "PR-AUC-macro": 0.1})
    assert text == "ROC-AUC-macro\t0.742474\nPR-AUC-macro\t0.100000\n"


def test_shape_mismatch_names_both_sides():
    with pytest.raises(AugliError, match=r"^predictions is 4231 x 55, ground truth is 4231 x 56$"):
        metrics.evaluate(GROUNDTRUTH, np.zeros((4231, 55)), np.zeros((4231, 55), bool))


def random_case(seed, tracks=300, tags=6):
    """Scores rounded to two decimals so that ties are frequent."""
    rng = np.random.default_rng(seed)
    truth = rng.random((tracks, tags)) < 0.2
    truth[0] = True  # every tag has a positive
    scores = np.round(rng.random((tracks, tags)) * 0.6 + 0.4 * truth, 2).astype(np.float32)
    return truth, scores


@pytest.mark.parametrize("seed", range(5))
def test_numpy_restatement_agrees_with_scikit_learn(seed):
    from sklearn import metrics as sk

    truth, scores = random_case(seed)
    decisions = scores > 0.5
    ours = metrics.evaluate(truth, scores, decisions)
    theirs = scikit_learn_metrics(truth, scores, decisions)
    assert ours == pytest.approx(theirs, abs=1e-15, rel=0)
    for tag in range(truth.shape[1]):
        for mine, reference in zip(metrics.precision_recall_curve(truth[:, tag], scores[:, tag]),
                                   sk.precision_recall_curve(truth[:, tag], scores[:, tag])):
            np.testing.assert_array_equal(mine, reference)
        for mine, reference in zip(metrics.roc_curve(truth[:, tag], scores[:, tag]),
                                   sk.roc_curve(truth[:, tag], scores[:, tag])):
            np.testing.assert_array_equal(mine, reference)
        false_positive_rate, true_positive_rate, candidates = sk.roc_curve(truth[:, tag], scores[:, tag])
        assert metrics.youden_thresholds(truth[:, [tag]], scores[:, [tag]])[0] == candidates[np.argmax(true_positive_rate - false_positive_rate)]


def test_undefined_precision_counts_as_zero():
    truth = np.array([[1, 0], [0, 1]], dtype=bool)
    decisions = np.array([[True, False], [False, False]])
    results = metrics.evaluate(truth, np.array([[0.9, 0.1], [0.2, 0.8]]), decisions)
    assert (results["precision-macro"], results["recall-macro"], results["F-score-macro"]) == (0.5, 0.5, 0.5)
    assert (results["precision-micro"], results["recall-micro"]) == (1.0, 0.5)


def test_a_tag_without_positives_cannot_be_evaluated():
    truth = np.array([[1, 0], [0, 0]], dtype=bool)
    with pytest.raises(AugliError, match="tag column 1 of the ground truth has no positive: ROC-AUC is undefined"):
        metrics.evaluate(truth, np.zeros((2, 2)), np.zeros((2, 2), bool))
