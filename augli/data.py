"""The MTG-Jamendo metadata: split TSVs of every split and subset, the tag list, the ground truth and where
they, and the pipeline's sequence files, live below the -mep folder."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from augli.errors import AugliError
from augli.files import load_npy, read_lines

DATASET_DIR = "mtg-jamendo-dataset"
TAG_LIST = "data/tags/moodtheme_split.txt"
SPLIT_0 = "data/splits/split-0"
# MTG-Jamendo's subsets, each with five splits (`data/splits/split-<K>/`); `all` is every tag of the dataset.
SUBSETS = ("moodtheme", "genre", "instrument", "top50tags", "all")
SPLIT_NUMBERS = (0, 1, 2, 3, 4)
PAPER_SUBSET, PAPER_SPLIT = "moodtheme", 0  # MediaEval 2019's task
SEQUENCES_1S = "features/DeepSpectrum/1s"  # train_rnn.py's default input: the first of the pipeline's two
SPLITS = ("train", "validation", "test")
# MTG moved the results in 2020; `results/mediaeval2019` (the 2019 path) is now a symlink.
GROUNDTRUTH_CANDIDATES = ("results/mediaeval2019/groundtruth.npy", "results/mediaeval/groundtruth.npy")
TSV_COLUMNS = ("TRACK_ID", "ARTIST_ID", "ALBUM_ID", "PATH", "DURATION", "TAGS")
CATEGORY_SEPARATOR = "---"  # MTG's tags are category---name: mood/theme---calm, genre---rock
# MTG's audio downloads: `audio` names `48/948.mp3`, `audio-low` (its smaller one) names `48/948.low.mp3`.
AUDIO_QUALITIES = ("audio", "audio-low")

# The mtg-jamendo-dataset commit the README has users check out, and the sha256 of the files of
# MediaEval 2019 that the preflight checks a clone against: the split-0 TSVs (last changed in 3680551,
# 2019-06-17), the tag list (01b16b2, 2019-08-02) and the test ground truth, as that commit holds them.
DATASET_COMMIT = "1b4fa8c32e076c73b5175c1703ae805b4109309d"
MEDIAEVAL2019_SHA256 = {
    f"{SPLIT_0}/autotagging_moodtheme-train.tsv": "e5e9e798364b34bd241b773e5011809b24429edf471f27cf21dd8181077ba2d4",
    f"{SPLIT_0}/autotagging_moodtheme-validation.tsv": "ecaa279367153476884d84d686479e566234cef1814bd6892a8755ba0a550dbf",
    f"{SPLIT_0}/autotagging_moodtheme-test.tsv": "4341b5586bb3e5a80a882ce9ef33cb8b1bdaa7df856246ecc5de188dfe1cf394",
    TAG_LIST: "68797d2f5164d78aafb641a6575f6ba68723293a715a91a8166a7b8ec19af169",
    GROUNDTRUTH_CANDIDATES[0]: "ea63546ee281185b1afe62f25c436dde9d63827047e26b12b0417ade6f668286",
}


@dataclass(frozen=True)
class Track:
    track_id: str
    artist_id: str
    album_id: str
    path: str  # relative to the audio root, with extension, e.g. "48/948.mp3"
    duration: float  # seconds
    tags: tuple


def is_mediaeval2019(split_number, subset):
    """The split and subset of MediaEval 2019's task: the only ones with a tag list, ground truth and pinned hashes."""
    return (split_number, subset) == (PAPER_SPLIT, PAPER_SUBSET)


def check_subset(subset):
    if subset not in SUBSETS:
        raise AugliError(f"unknown subset {subset!r}: choose from {', '.join(SUBSETS)}")
    return subset


def split_file_name(split, subset=PAPER_SUBSET):
    """MTG's name of a split's file, without suffix: `autotagging_genre-train`, `autotagging-train` for all tags."""
    stem = "autotagging" if check_subset(subset) == "all" else f"autotagging_{subset}"
    return f"{stem}-{split}"


def split_tsv(split_dir, split, subset=PAPER_SUBSET):
    """`<split_dir>/autotagging_<subset>-<split>.tsv`, the naming of MTG's split files."""
    return Path(split_dir) / f"{split_file_name(split, subset)}.tsv"


def split_0_tsv(media_eval_path, split):
    """Split-0's mood/theme TSV of `split` (MediaEval 2019's) in the mtg-jamendo-dataset clone below -mep."""
    return split_tsv(split_dir(media_eval_path), split)


def sha256_list(subset=PAPER_SUBSET, quality="audio"):
    """MTG's sha256 list of a subset's audio: mood/theme has its own download, the others take the full dataset's."""
    if quality not in AUDIO_QUALITIES:
        raise AugliError(f"unknown audio download {quality!r}: choose from {', '.join(AUDIO_QUALITIES)}")
    dataset = "autotagging_moodtheme" if check_subset(subset) == "moodtheme" else "raw_30s"
    return f"data/download/{dataset}_{quality}_sha256_tracks.txt"


def sequences_npz(media_eval_path, split):
    """The 1 s DeepSpectrum sequences of `split` where reproduce.sh writes them below -mep."""
    return Path(media_eval_path) / SEQUENCES_1S / f"{split}.npz"


def read_split(tsv_path):
    """Tracks of one split TSV in file order. Tags run from the TAGS column to the end of the line."""
    tsv_path = Path(tsv_path)
    lines = read_lines(tsv_path, "split file")
    if not lines or tuple(lines[0].rstrip("\r").split("\t")) != TSV_COLUMNS:
        raise AugliError(f"{tsv_path} is not an MTG-Jamendo split TSV: the header must be {' '.join(TSV_COLUMNS)}")
    tracks = []
    for number, line in enumerate(lines[1:], start=2):
        fields = line.rstrip("\r").split("\t")
        if len(fields) < len(TSV_COLUMNS):
            raise AugliError(f"{tsv_path} line {number}: expected at least {len(TSV_COLUMNS)} tab-separated fields, found {len(fields)}")
        try:
            duration = float(fields[4])
        except ValueError:
            raise AugliError(f"{tsv_path} line {number}: DURATION {fields[4]!r} is not a number") from None
        tracks.append(Track(*fields[:4], duration, tuple(fields[5:])))
    if not tracks:
        raise AugliError(f"{tsv_path} lists no tracks")
    return tracks


def tags_of(tracks):
    """The sorted set of tags, as scikit-learn's MultiLabelBinarizer fitted on these tracks orders them."""
    return sorted({tag for track in tracks for tag in track.tags})


def binarize(tracks, tags, source="the split"):
    """Tracks x tags 0/1 matrix (int64) in the given tag order; a tag outside `tags` is an error."""
    column = {tag: index for index, tag in enumerate(tags)}
    matrix = np.zeros((len(tracks), len(tags)), dtype=np.int64)
    for row, track in enumerate(tracks):
        for tag in track.tags:
            if tag not in column:
                raise AugliError(f"tag {tag!r} of track {track.path} in {source} is not among the {len(tags)} training tags")
            matrix[row, column[tag]] = 1
    return matrix


def tag_prefix(tags):
    """The `category---` that every tag starts with (this subset's `mood/theme---`), or "" where the tags share none."""
    prefixes = {tag[:tag.find(CATEGORY_SEPARATOR) + len(CATEGORY_SEPARATOR)] if CATEGORY_SEPARATOR in tag else ""
                for tag in tags}
    return prefixes.pop() if len(prefixes) == 1 else ""


def short_tag_names(tags):
    """The tags without their common category (`calm` for `mood/theme---calm`): the names tables and pictures show."""
    prefix = tag_prefix(tags)
    return [tag.removeprefix(prefix) for tag in tags]


def read_tag_list(path):
    tags = [line.strip() for line in read_lines(path, "tag list") if line.strip()]
    if not tags:
        raise AugliError(f"tag list {path} is empty")
    return tags


def tag_list_path(media_eval_path):
    return Path(media_eval_path) / DATASET_DIR / TAG_LIST


def split_dir(media_eval_path, number=PAPER_SPLIT):
    if number not in SPLIT_NUMBERS:
        raise AugliError(f"MTG-Jamendo has no split {number}: its splits are {SPLIT_NUMBERS[0]} to {SPLIT_NUMBERS[-1]}")
    return Path(media_eval_path) / DATASET_DIR / f"data/splits/split-{number}"


def groundtruth_path(media_eval_path):
    """The test ground truth: the 2019 location first, then today's MTG layout."""
    dataset = Path(media_eval_path) / DATASET_DIR
    for candidate in GROUNDTRUTH_CANDIDATES:
        if (dataset / candidate).is_file():
            return dataset / candidate
    tried = " or ".join(str(dataset / candidate) for candidate in GROUNDTRUTH_CANDIDATES)
    raise AugliError(f"no ground truth found: looked for {tried}")


def mediaeval2019_files(media_eval_path):
    """[(file in the clone, its pinned sha256)]; the ground truth where groundtruth_path finds it, else its 2019 path."""
    dataset = Path(media_eval_path) / DATASET_DIR
    try:
        groundtruth = groundtruth_path(media_eval_path)
    except AugliError:
        groundtruth = dataset / GROUNDTRUTH_CANDIDATES[0]
    return [(groundtruth if relative == GROUNDTRUTH_CANDIDATES[0] else dataset / relative, digest)
            for relative, digest in MEDIAEVAL2019_SHA256.items()]


def load_groundtruth(media_eval_path):
    path = groundtruth_path(media_eval_path)
    groundtruth = load_npy(path)
    if groundtruth.ndim != 2:
        raise AugliError(f"ground truth {path} must be tracks x tags, found shape {groundtruth.shape}")
    return groundtruth.astype(bool)


def official_groundtruth_disagreement(media_eval_path, test_paths, truth, tags):
    """Where the test split is MediaEval 2019's (split-0's mood/theme test tracks, in order, with its 56 tags)
    and the clone holds the official ground truth: a sentence saying how the two differ, or None if they agree.
    None also where there is nothing to compare, which is every other split and subset."""
    try:
        official_tags = read_tag_list(tag_list_path(media_eval_path))
        official_tracks = [track.path for track in read_split(split_0_tsv(media_eval_path, "test"))]
        path = groundtruth_path(media_eval_path)
    except AugliError:
        return None
    if list(test_paths) != official_tracks or list(tags) != official_tags:
        return None
    official = load_groundtruth(media_eval_path)
    if official.shape != np.shape(truth):
        return f"{path} is {' x '.join(map(str, official.shape))}, the test split's tags {' x '.join(map(str, np.shape(truth)))}"
    differing = int(np.sum(official != np.asarray(truth, dtype=bool)))
    return f"{path} differs from the test split's tags in {differing} cell(s)" if differing else None


def label_csv(tracks):
    """DeepSpectrum's label file for a split: `filename,label`, the track's PATH and its first tag.

    DeepSpectrum only extracts the files a label file lists; the label itself is dropped by `-nl`.
    """
    return "filename,label\n" + "".join(f"{track.path},{track.tags[0]}\n" for track in tracks)
