"""tag.py's output: the tags chosen per file, as a TSV or JSON table, and the taggram pictures' file names."""

import json
from pathlib import Path

import numpy as np

from augli.data import short_tag_names


def taggram_paths(files, folder):
    """One PNG per file in `folder`, named after the file; a repeated name gets -2, -3, ..."""
    paths, used = [], set()
    for path in files:
        name, count = Path(path).stem, 1
        while name in used:
            count += 1
            name = f"{Path(path).stem}-{count}"
        used.add(name)
        paths.append(Path(folder) / f"{name}.png")
    return dict(zip(map(Path, files), paths))


def chosen_tags(result, top):
    """Indices of the top-`top` tags and of every tag decided present, by falling score."""
    order = np.argsort(-result.scores, kind="stable")
    present = set() if result.decisions is None else set(np.flatnonzero(result.decisions).tolist())
    return [int(index) for rank, index in enumerate(order) if rank < top or int(index) in present]


def format_tsv(results, tags, top, short=False):
    """`file, tag, score, present` rows (present: 1/0, empty without thresholds)."""
    names = short_tag_names(tags) if short else list(tags)
    lines = ["file\ttag\tscore\tpresent"]
    for result in results:
        for index in chosen_tags(result, top):
            present = "" if result.decisions is None else str(int(result.decisions[index]))
            lines.append(f"{result.path}\t{names[index]}\t{result.scores[index]:.6f}\t{present}")
    return "\n".join(lines) + "\n"


def format_json(results, tags, top, short=False):
    """Per file: the chosen tags with score and decision (null without thresholds)."""
    names = short_tag_names(tags) if short else list(tags)
    files = [{"file": str(result.path),
              "tags": [{"tag": names[index], "score": round(float(result.scores[index]), 6),
                        "present": None if result.decisions is None else bool(result.decisions[index])}
                       for index in chosen_tags(result, top)]}
             for result in results]
    return json.dumps({"tags": files}, indent=2) + "\n"


FORMATTERS = {"tsv": format_tsv, "json": format_json}
