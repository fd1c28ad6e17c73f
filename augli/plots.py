"""Figures for the result folders.

`matplotlib.figure.Figure` renders without pyplot, so no display or backend choice is involved.
"""

import numpy as np
from matplotlib.figure import Figure

from augli.data import short_tag_names
from augli.files import atomic_open


def plot_per_tag_pr_auc(path, tags, per_tag):
    """A tags x groups heat map of PR-AUC.

    One image (rather than hundreds of bars or cell labels) keeps the plot a small part of a fusion run.
    """
    names = list(per_tag)
    values = np.column_stack([per_tag[name] for name in names])
    figure = Figure(figsize=(0.8 * len(names) + 2.5, 0.16 * len(tags) + 1.2))
    figure.subplots_adjust(left=0.28, right=0.95, top=1 - 0.5 / figure.get_figheight(), bottom=0.35 / figure.get_figheight())
    axes = figure.add_subplot()
    image = axes.imshow(values, aspect="auto", cmap="viridis", vmin=0, vmax=max(values.max(), 1e-6))
    axes.set_xticks(range(len(names)), names, fontsize=8)
    axes.xaxis.tick_top()
    axes.set_yticks(range(len(tags)), short_tag_names(tags), fontsize=7)
    figure.colorbar(image, ax=axes, fraction=0.08, pad=0.02, label="PR-AUC on the test set")
    with atomic_open(path, "wb") as handle:
        figure.savefig(handle, format="png", dpi=100)


def plot_taggram(path, tags, scores, step_s, seconds, labelled=10):
    """Fused tag scores of one track over time (tags x windows), as musicnn's taggram; the `labelled` tags of
    highest mean score are named, the others left as unlabelled rows so the picture stays readable.
    """
    names = short_tag_names(tags)
    top = set(np.argsort(-scores.mean(axis=0), kind="stable")[:labelled].tolist())
    figure = Figure(figsize=(min(4 + 0.15 * len(scores), 16), 0.12 * len(tags) + 1.6))
    figure.subplots_adjust(left=0.2, right=0.9, top=1 - 0.4 / figure.get_figheight(), bottom=0.6 / figure.get_figheight())
    axes = figure.add_subplot()
    image = axes.imshow(scores.T, aspect="auto", cmap="viridis", vmin=0, vmax=1, interpolation="nearest",
                        extent=(0, len(scores) * step_s, len(tags) - 0.5, -0.5))
    axes.set_xlim(0, seconds)  # the last window may reach past the end of the track
    axes.set_yticks(sorted(top), [names[index] for index in sorted(top)], fontsize=7)
    axes.set_xlabel("time (s)")
    figure.colorbar(image, ax=axes, fraction=0.04, pad=0.02, label="fused tag score")
    with atomic_open(path, "wb") as handle:
        figure.savefig(handle, format="png", dpi=100)
