"""The preflight of `reproduce.sh --paper`: in seconds, before days of work, every input the run will read and
the room for what it will write, with every problem in one message.

Without it a run finds a wrong VGGish file at its second command, missing VGG16 weights at its fifth
(after three CRNN trainings) and a full disk at any. Nothing here imports TensorFlow, which takes
seconds to start and on a GPU server initialises CUDA: the weight files are read with h5py, and the
GPUs counted are those the NVIDIA kernel driver lists in /proc/driver/nvidia/gpus (no process to
start, and present wherever a CUDA program could see a GPU); whether TensorFlow can use them, each
trainer says as it starts.
"""

import hashlib
import math
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from augli.audio import LOW_QUALITY_SUFFIX, locate, wav_path
from augli.checksums import read_sha256_list, sha256_of
from augli.data import (DATASET_COMMIT, DATASET_DIR, PAPER_SPLIT, PAPER_SUBSET, SPLITS, is_mediaeval2019,
                        mediaeval2019_files, read_split, sha256_list, split_dir, split_tsv)
from augli.errors import AugliError
from augli.experiment import Experiment
from augli.keras_cache import IMAGENET_WEIGHTS_BYTES, IMAGENET_WEIGHTS_FILE, IMAGENET_WEIGHTS_MD5, keras_cache_dir
from augli.params import RNN_TYPES
from vggish.weights import WeightsError, read_conv_weights

DATASET_URL = "https://github.com/MTG/mtg-jamendo-dataset"
NVIDIA_GPU_DIR = Path("/proc/driver/nvidia/gpus")  # one folder per GPU, its `information` file names the model
LISTED_AT_MOST = 5  # names shown of a longer list of missing files

# The basis of the size estimates (see planned_writes).
WAV_BYTES_PER_SECOND = 16000 * 2  # 16 kHz mono PCM16
WAV_HEADER_BYTES = 44
EXTRACTED_SECONDS = 29  # reproduce.sh's `-s 0 -e 29`: DeepSpectrum reads the first 29 s
FEATURE_WIDTH = 4096  # VGG16's fc2
DEEPSPECTRUM_HOPS_S = {"5s": 5, "1s": 1}  # in reproduce.sh's order
# A CSV value is `str(np.float32)` and a comma: at most about 11 bytes for a non-zero activation, 4 for "0.0";
# 11 bounds the file from above whatever the share of zeros.
CSV_BYTES_PER_VALUE = 11
NPZ_BYTES_PER_VALUE = 4  # float32, uncompressed (transform_features' default)
# best.weights.h5 and last.keras, each holding the weights and RMSprop's one slot per weight (as saved, measured):
# four float32 copies of the weights.
MODEL_FOLDER_BYTES_PER_WEIGHT = 16
# count_params() of the paper's models, 56 tags (a test rebuilds them with augli.models): the CRNNs with
# VGGish and 2 x 256 units, train_rnn's on 4096 DeepSpectrum features with 2 x 1024 units.
PAPER_MODEL_WEIGHTS = {
    "crnn": {"lstm": 6_142_267, "bilstm": 8_244_539, "gru": 5_814_075},
    "DeepSpectrum": {"lstm": 30_493_755, "bilstm": 69_311_547, "gru": 23_151_675},
}


@dataclass(frozen=True)
class Write:
    what: str
    folder: Path
    size_bytes: int


@dataclass
class Report:
    lines: list = field(default_factory=list)  # what was found, for the user to read
    notes: list = field(default_factory=list)  # what the run will do that may surprise, yet not stop it
    problems: list = field(default_factory=list)  # what would make the run fail

    def message(self):
        """The one message that lists every problem."""
        count = f"{len(self.problems)} problem{'s' if len(self.problems) > 1 else ''}"
        return f"{count} to fix before the paper run:\n" + "\n".join(f"  - {problem}" for problem in self.problems)


def first_few(names):
    shown = ", ".join(names[:LISTED_AT_MOST])
    return shown + (", ..." if len(names) > LISTED_AT_MOST else "")


def gigabytes(size_bytes):
    return f"{size_bytes / 1e9:.1f} GB"


def check_metadata(root, report, split_number=PAPER_SPLIT, subset=PAPER_SUBSET):
    """The split TSVs, for MediaEval 2019's split also the tag list and ground truth against their sha256;
    {split: tracks} of the readable TSVs."""
    wrong = []
    pinned = mediaeval2019_files(root) if is_mediaeval2019(split_number, subset) else []
    for path, expected in pinned:
        if not path.is_file() or not os.access(path, os.R_OK):
            wrong.append(f"{path} is missing or unreadable")
        elif (actual := sha256_of(path)) != expected:
            wrong.append(f"{path} is not the MediaEval 2019 file: its sha256 is {actual}, the 2019 file's {expected}")
    report.problems += wrong
    if wrong:
        clone = root / DATASET_DIR
        report.problems.append(f"MediaEval 2019's files are those of mtg-jamendo-dataset's commit {DATASET_COMMIT}: "
                               f"`git -C {clone} checkout {DATASET_COMMIT}` (after `git clone {DATASET_URL} {clone}` "
                               "if there is no clone)")
    elif pinned:
        report.lines.append("metadata: the split-0 TSVs, tag list and ground truth are MediaEval 2019's (sha256)")
    splits = {}
    for split in SPLITS:
        try:
            splits[split] = read_split(split_tsv(split_dir(root, split_number), split, subset))
        except AugliError as error:
            if not wrong:  # a missing or altered file is already listed
                report.problems.append(error.message)
    return splits


def check_audio(root, tracks, quality, report, subset=PAPER_SUBSET):
    """Every track the splits name is below audio/ (or as MTG's `.low.mp3`) and named in the download's sha256 list."""
    audio_dir = root / "audio"
    sources = sorted(locate(audio_dir, track.path) for track in tracks)
    unreadable = [source for source in sources
                  if not (audio_dir / source).is_file() or not os.access(audio_dir / source, os.R_OK)]
    if unreadable:
        report.problems.append(f"{len(unreadable)} of the {len(sources)} audio files the split TSVs name are missing or "
                               f"unreadable below {audio_dir} (nor as {LOW_QUALITY_SUFFIX}): {first_few(unreadable)}")
    checksum_file = root / DATASET_DIR / sha256_list(subset, quality)
    try:
        listed = read_sha256_list(checksum_file)
    except AugliError as error:
        report.problems.append(error.message)
        return
    present = [source for source in sources if source not in set(unreadable)]
    unlisted = [source for source in present if source not in listed]
    if unlisted:
        low_quality = [source for source in unlisted if source.endswith(LOW_QUALITY_SUFFIX)]
        hint = ("; they are MTG's low-quality download: run with --low-quality" if quality == "audio" and low_quality else
                "; they are the full-quality download: run without --low-quality" if quality != "audio" and
                len(low_quality) < len(unlisted) else "")
        report.problems.append(f"{len(unlisted)} of the {len(present)} audio files are not named in {checksum_file}: "
                               f"{first_few(unlisted)}{hint}")
    if not unreadable and not unlisted:
        report.lines.append(f"audio: the {len(sources)} tracks of the splits, all named in {checksum_file.name}")


def check_vggish(vggish_weights, report):
    try:
        read_conv_weights(vggish_weights)
    except WeightsError as error:
        report.problems.append(error.message)
    else:
        report.lines.append(f"VGGish weights: {vggish_weights}, DTaoo's layout")


def check_vgg16(report):
    """The ImageNet weights in Keras' cache; True if Keras will download them (a note: it needs internet access)."""
    cached = keras_cache_dir() / IMAGENET_WEIGHTS_FILE
    if not cached.exists():
        report.notes.append(f"VGG16's ImageNet weights are not in {cached.parent}: deepspectrum_features.py will download "
                            f"them ({gigabytes(IMAGENET_WEIGHTS_BYTES)}) at the run's fifth command, which needs internet "
                            "access; offline, put the file there first")
        return True
    try:
        with open(cached, "rb") as handle:
            digest = hashlib.file_digest(handle, "md5").hexdigest()
    except OSError as error:
        report.problems.append(f"cannot read VGG16's ImageNet weights {cached}: {error.strerror}")
        return False
    if digest != IMAGENET_WEIGHTS_MD5:
        report.notes.append(f"{cached} is not the file Keras expects (md5 {digest}, not {IMAGENET_WEIGHTS_MD5}): Keras "
                            "will download it again at the run's fifth command, which needs internet access")
        return True
    report.lines.append(f"VGG16 weights: {cached}")
    return False


def deepspectrum_windows(duration_s, hop_s):
    """Rows per track: DeepSpectrum's max(floor(samples / hop), 1) chunks of the first EXTRACTED_SECONDS."""
    return max(math.floor(min(duration_s, EXTRACTED_SECONDS) / hop_s), 1)


def planned_writes(root, out, splits, vgg16_download, features=None):
    """What the run writes, in the order of its commands, leaving out what is there already.

    The estimates' basis: a wav is 32,000 bytes a second of the TSV's DURATION (16 kHz mono PCM16) and
    a 44-byte header; a DeepSpectrum split is its tracks' windows (as the extractor cuts the first
    29 s) x 4096 values, at 11 bytes a value in the CSV (an upper bound, see CSV_BYTES_PER_VALUE) and 4
    in the npz (below `features`, default DATA_ROOT/features/DeepSpectrum); a model folder is 16 bytes a weight
    of the paper's model (four float32 copies), its logs and predictions being small beside them; the fusion's
    few MB and the JSON records are left out.
    """
    tracks = {track.path: track for split in splits.values() for track in split}
    unconverted = [track for track in tracks.values() if not wav_path(root / "wav", track.path).exists()]
    writes = [Write("wavs (prepare_audio.py)", root / "wav",
                    sum(WAV_HEADER_BYTES + math.ceil(track.duration * WAV_BYTES_PER_SECOND) for track in unconverted))]
    writes += [model_folder(out / "fusion" / "crnn" / rnn, PAPER_MODEL_WEIGHTS["crnn"][rnn]) for rnn in RNN_TYPES]
    if vgg16_download:
        writes.append(Write("VGG16's ImageNet weights (Keras' download)", keras_cache_dir(), IMAGENET_WEIGHTS_BYTES))
    features = root / "features" / "DeepSpectrum" if features is None else Path(features)
    values = {(window, split): sum(deepspectrum_windows(track.duration, hop) for track in tracks_) * FEATURE_WIDTH
              for window, hop in DEEPSPECTRUM_HOPS_S.items() for split, tracks_ in splits.items()}
    writes += [Write(f"DeepSpectrum {window} {split}.csv", features / window, count * CSV_BYTES_PER_VALUE)
               for (window, split), count in values.items() if not (features / window / f"{split}.csv").exists()]
    writes += [Write(f"DeepSpectrum {window} {split}.npz", features / window, count * NPZ_BYTES_PER_VALUE)
               for (window, split), count in values.items() if not (features / window / f"{split}.npz").exists()]
    writes += [model_folder(out / "fusion" / "DeepSpectrum" / window / rnn, PAPER_MODEL_WEIGHTS["DeepSpectrum"][rnn])
               for window in ("1s", "5s") for rnn in RNN_TYPES]
    return [write for write in writes if write.size_bytes]


def model_folder(folder, weights):
    """A model to train, or nothing if its folder holds a finished run (its thresholds.tsv)."""
    size_bytes = 0 if Experiment(folder).thresholds.exists() else weights * MODEL_FOLDER_BYTES_PER_WEIGHT
    return Write(f"model {folder.parent.name}/{folder.name}", folder, size_bytes)


def existing_ancestor(path):
    path = Path(path).absolute()
    while not path.exists():
        path = path.parent
    return path


def free_bytes(folder):
    return shutil.disk_usage(folder).free


def check_disk(writes, report):
    """Each file system's free space against what the run writes on it; every output folder writable."""
    by_device = {}
    for write in writes:
        ancestor = existing_ancestor(write.folder)
        if not ancestor.is_dir() or not os.access(ancestor, os.W_OK | os.X_OK):
            report.problems.append(f"cannot write {write.what} into {write.folder}: {ancestor} is not a writable folder")
            continue
        by_device.setdefault(ancestor.stat().st_dev, (ancestor, []))[1].append(write)
        report.lines.append(f"  {gigabytes(write.size_bytes):>9}  {write.what} -> {write.folder}")
    for ancestor, device_writes in by_device.values():
        free, total = free_bytes(ancestor), 0
        for write in device_writes:
            total += write.size_bytes
            if total > free:
                needed = sum(write.size_bytes for write in device_writes)
                report.problems.append(f"not enough free space on the file system of {ancestor}: the run writes about "
                                       f"{gigabytes(needed)} there, {gigabytes(free)} are free; it runs out at "
                                       f"{write.what} ({write.folder})")
                break
        else:
            report.lines.append(f"  disk: {gigabytes(total)} to write on the file system of {ancestor}, {gigabytes(free)} free")


def nvidia_gpus():
    """The model of each GPU the NVIDIA driver lists."""
    models = []
    for information in sorted(NVIDIA_GPU_DIR.glob("*/information")):
        fields = dict(line.split(":", 1) for line in information.read_text(errors="replace").splitlines() if ":" in line)
        models.append(fields.get("Model", "unknown model").strip())
    return models


def check_gpus(report):
    models = nvidia_gpus()
    if models:
        report.lines.append(f"GPUs: {len(models)} ({', '.join(models)})")
    else:
        report.notes.append(f"no GPU visible (the NVIDIA driver lists none in {NVIDIA_GPU_DIR}): on CPUs the run takes "
                            "weeks; at docs/needs.md's rates on 2 cores about 21 days, each CRNN about 4 days, the "
                            "DeepSpectrum extraction about 30 hours and the six RNNs about 8 days")


def preflight(root, out, quality, vggish_weights, split_number=PAPER_SPLIT, subset=PAPER_SUBSET, features=None):
    """The report on DATA_ROOT `root` and OUTPUT_DIR `out` for the paper run on a split and subset; `quality` is one
    of data.AUDIO_QUALITIES; `features` where the DeepSpectrum features go (reproduce.sh's folder)."""
    root, out, report = Path(root), Path(out), Report()
    splits = check_metadata(root, report, split_number, subset)
    tracks = list({track.path: track for split in splits.values() for track in split}.values())
    if tracks:
        check_audio(root, tracks, quality, report, subset)
    check_vggish(vggish_weights, report)
    vgg16_download = check_vgg16(report)
    check_gpus(report)
    if len(splits) == len(SPLITS):
        report.lines.append("what the run writes (estimates, see augli.preflight.planned_writes):")
        check_disk(planned_writes(root, out, splits, vgg16_download, features), report)
    return report
