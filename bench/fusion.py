"""Time a whole `fusion.py` run on the paper's 9 models x 4231 tracks x 56 tags.

Side by side, in fresh interpreters: our fusion.py, and a restatement of the original's approach
(scikit-learn metrics, pandas output) on the same files. Prints the median wall and CPU time of
each, their ratio, and ours against the 2 s budget.

    .venv/bin/python -m bench.fusion [--repeats 5]
"""

import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import click
import numpy as np

REPO = Path(__file__).resolve().parent.parent
MEP = REPO / "tests" / "fixtures" / "MEDIAEVAL19"
MODELS = ["crnn/lstm", "crnn/bilstm", "crnn/gru"] + [
    f"DeepSpectrum/{window}/{rnn}" for window in ("1s", "5s") for rnn in ("lstm", "bilstm", "gru")]
BUDGET_SECONDS = 2.0

# The original fusion.py's algorithm: glob each group, np.mean, sklearn thresholds, sklearn metrics.
ORIGINAL = """
import sys
from pathlib import Path
import numpy as np, pandas as pd
from sklearn import metrics
base, mep, out = map(Path, sys.argv[1:])
gt = np.load(mep / 'mtg-jamendo-dataset/results/mediaeval/groundtruth.npy')
tags = pd.read_csv(mep / 'mtg-jamendo-dataset/data/tags/moodtheme_split.txt', header=None)[0].tolist()
groups = {'all': '**', 'crnn': 'crnn/**', 'ds': 'DeepSpectrum/**', 'ds-1s': 'DeepSpectrum/1s/**', 'ds-5s': 'DeepSpectrum/5s/**'}
for name, pattern in groups.items():
    pred = np.mean([np.load(p) for p in base.glob(pattern + '/predictions.npy')], axis=0)
    thresholds = {}
    for i, tag in enumerate(tags):
        p, r, t = metrics.precision_recall_curve(gt[:, i], pred[:, i])
        with np.errstate(all='ignore'):
            thresholds[tag] = t[np.argmax(np.nan_to_num(2 * p * r / (p + r)))]
    decisions = pred > np.array(list(thresholds.values()))
    res = {'ROC-AUC': metrics.roc_auc_score(gt, pred, average='macro'),
           'PR-AUC': metrics.average_precision_score(gt, pred, average='macro')}
    for average in ['macro', 'micro']:
        res['precision-' + average], res['recall-' + average], res['F-score-' + average], _ = \\
            metrics.precision_recall_fscore_support(gt, decisions, average=average, zero_division=0)
    (out / name).mkdir(parents=True, exist_ok=True)
    np.save(out / name / 'predictions.npy', pred)
    np.save(out / name / 'decisions.npy', decisions)
    pd.DataFrame(thresholds.values(), thresholds.keys()).to_csv(out / name / 'thresholds.txt', sep='\\t', header=None)
    pd.DataFrame(res.values(), res.keys()).to_csv(out / name / 'eval-on-test.tsv', sep='\\t', header=None, float_format='%.6f')
"""


def timed(command):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, cwd=REPO, check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


@click.command()
@click.option("--repeats", default=5, show_default=True, type=click.IntRange(min=1))
def main(repeats):
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder) / "fusion"
        rng = np.random.default_rng(0)
        for model in MODELS:
            (base / model).mkdir(parents=True)
            np.save(base / model / "predictions.npy", rng.random((4231, 56), dtype=np.float32))
        commands = {
            "ours": [sys.executable, "fusion.py", "-mep", str(MEP), "-fbp", str(base), "-o", f"{folder}/ours"],
            "original": [sys.executable, "-c", ORIGINAL, str(base), str(MEP), f"{folder}/original"],
        }
        runs = {name: [] for name in commands}
        for _ in range(repeats):  # interleaved, so both see the same machine load
            for name, command in commands.items():
                runs[name].append(timed(command))
    medians = {name: (statistics.median(w for w, _ in r), statistics.median(c for _, c in r)) for name, r in runs.items()}
    for name, (wall, cpu) in medians.items():
        click.echo(f"{name:>8}: median wall {wall:.2f} s, CPU {cpu:.2f} s over {repeats} runs")
    click.echo(f"original / ours: wall {medians['original'][0] / medians['ours'][0]:.2f}x, "
               f"CPU {medians['original'][1] / medians['ours'][1]:.2f}x")
    click.echo(f"ours / {BUDGET_SECONDS:.0f} s budget: wall {medians['ours'][0] / BUDGET_SECONDS:.2f}, "
               f"CPU {medians['ours'][1] / BUDGET_SECONDS:.2f} (includes the plot and interpreter start)")


if __name__ == "__main__":
    main()
