#!/usr/bin/env bash
# The paper's whole pipeline, command by command, as the README's "Reproducing the paper" lists it.
#
#   ./reproduce.sh [--paper|--toy|--smoke] [--print] [--from N] [--low-quality] [--check]
#                  [--split K] [--subset NAME] [--seed N] DATA_ROOT [OUTPUT_DIR]
#
# DATA_ROOT holds mtg-jamendo-dataset/ and audio/ (the real data, or make_toy_dataset.py's);
# wav/ and features/ are written into it, the models into OUTPUT_DIR/fusion/ and the fused
# results into OUTPUT_DIR/fusion-results/ (OUTPUT_DIR: default ".", the seed's paths).
#   --paper  the paper's settings (the default): the real data, a GPU, days
#   --toy    the same commands with options appended that make them small: few epochs, short
#            windows, small RNNs, random VGGish and VGG16 weights (for the toy data, minutes on a CPU)
#   --smoke  smaller still: one or two epochs, no extraction workers, for the end-to-end test
#   --print  print the commands instead of running them
#   --from N run the N-th command and every later one again from scratch (--overwrite), skip those before
#   --low-quality  the audio is MTG's smaller audio-low download (ID.low.mp3): check it against that list
#   --check  only the preflight (python preflight.py), which --paper also runs first: every input the run
#            needs and the disk space it fills, every problem in one message
#   --split K      MTG-Jamendo's split K (0 to 4) instead of MediaEval 2019's split-0
#   --subset NAME  moodtheme (the default), genre, instrument, top50tags or all (every tag)
#   --seed N       the trainers' seed (default 42, theirs)
#            Any of the three makes a named run, SUBSET-splitK-seedN, that never mixes with another:
#            its models and results go into OUTPUT_DIR/SUBSET-splitK-seedN/, its features and
#            DeepSpectrum label files (one more command, labels/make_labels.py) into
#            DATA_ROOT/features/SUBSET-splitK/, and its test split's own tags are the ground truth.
#            across_runs.py then tables the fused results of several runs (mean and std).
#   --help   print this and exit
# Started again with the same arguments after a crash, a kill or a reboot, it goes on like make: a command
# that finished (recorded in OUTPUT_DIR/.reproduce/) is skipped while its output is there, the interrupted
# one continues (--resume of its script where it has a state to resume, else it starts again), and the end
# is what an uninterrupted run writes.
# At the end: each command's time, each model's test scores, the fused tables, and a warning line naming any
# model no better than chance on its test split.
# Run it from the repository root, with the project's python first on PATH.
set -euo pipefail

USAGE="usage: reproduce.sh [--paper|--toy|--smoke] [--print] [--from N] [--low-quality] [--check] [--split K] [--subset NAME] [--seed N] DATA_ROOT [OUTPUT_DIR]"
SUBSETS="moodtheme genre instrument top50tags all"
scale=paper print=0 from= check=0 low_quality= split= subset= seed=
while [[ $# -gt 0 && $1 == -* ]]; do
    case $1 in
        --split)
            split=${2:-}
            if [[ ! $split =~ ^[0-4]$ ]]; then echo "reproduce.sh: --split needs a split number, 0 to 4" >&2; exit 2; fi
            shift ;;
        --subset)
            subset=${2:-}
            if [[ ! " $SUBSETS " == *" $subset "* || -z $subset ]]; then
                echo "reproduce.sh: --subset needs one of: $SUBSETS" >&2; exit 2
            fi
            shift ;;
        --seed)
            seed=${2:-}
            if [[ ! $seed =~ ^[0-9]+$ ]]; then echo "reproduce.sh: --seed needs a whole number" >&2; exit 2; fi
            shift ;;
        --paper | --toy | --smoke) scale=${1#--} ;;
        --print) print=1 ;;
        --check) check=1 ;;
        --low-quality) low_quality=--low-quality ;;
        --from)
            from=${2:-}
            if [[ ! $from =~ ^[1-9][0-9]*$ ]]; then echo "reproduce.sh: --from needs a command number" >&2; exit 2; fi
            shift ;;
        -h | --help) sed -n '2,/^set -euo/{/^set -euo/d; s/^# \{0,1\}//; p}' "$0"; exit 0 ;;
        *) echo "reproduce.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
if [[ $# -lt 1 || $# -gt 2 ]]; then
    echo "$USAGE" >&2
    exit 2
fi
if [[ $(cd "$(dirname "$0")" && pwd) != "$(pwd)" ]]; then
    echo "reproduce.sh: run it from the repository root (the commands name the scripts and labels/ relatively)" >&2
    exit 2
fi
ROOT=${1%/}
OUT=${2:-.}
OUT=${OUT%/}
# MTG's file names: autotagging_<subset>-<split>.tsv, autotagging-<split>.tsv for every tag; mood/theme has its
# own audio download (and sha256 list), the other subsets take the whole dataset's (raw_30s).
STEM=autotagging_${subset:-moodtheme} DOWNLOAD=autotagging_moodtheme
[[ $subset == all ]] && STEM=autotagging
[[ -n $subset && $subset != moodtheme ]] && DOWNLOAD=raw_30s
SPLITS=$ROOT/mtg-jamendo-dataset/data/splits/split-${split:-0}
SHA256_LIST=$ROOT/mtg-jamendo-dataset/data/download/${DOWNLOAD}_audio${low_quality:+-low}_sha256_tracks.txt
FEATURES=$ROOT/features/DeepSpectrum
NAMED=() TRAINED=() TRANSFORM=() FUSED=()  # what a named run adds to the paper's commands
if [[ -n $split$subset$seed ]]; then
    split=${split:-0} subset=${subset:-moodtheme} seed=${seed:-42}
    RUN=$subset-split$split-seed$seed
    OUT=$OUT/$RUN
    RUN_DATA=$ROOT/features/$subset-split$split  # the run's label files and features
    FEATURES=$RUN_DATA/DeepSpectrum
    NAMED=(--split "$split" --subset "$subset")
    TRAINED=(--seed "$seed")
    TRANSFORM=(--subset "$subset")
    FUSED=(-te "$SPLITS/$STEM-test.tsv" -v "$SPLITS/$STEM-validation.tsv")
fi

# The paper run checks everything it will need before days of work; the toy and smoke runs need none of the weights.
if ((check)) || [[ $scale == paper && $print == 0 ]]; then
    python preflight.py "$ROOT" "$OUT" $low_quality "${NAMED[@]}" ${RUN:+--features-dir "$FEATURES"}
    ((check)) && exit 0
fi

# Options appended to the paper's commands (click keeps the last value of a repeated option).
case $scale in
    paper)
        LABELS=labels
        CRNN=() DS_1S=() DS_5S=() RNN=()
        ;;
    toy)
        LABELS=$ROOT/labels
        # The toy dataset's random VGGish weights load like the AudioSet file, so phase 1 trains the head on a
        # frozen VGGish, as the paper's run does (a trainable random VGGish inflates its output until the RNN
        # saturates). Without dropout the head learns 60 tracks in 9 epochs, then one epoch fine-tunes all. The
        # test is scored in batches of -bs tracks, as validation is: the band normalisation pools over a batch.
        CRNN=(-w 2 -e 10 -ftp 0.1 -vw "$ROOT/vggish-random-weights.h5" -ru 64 -rl 1 -dornn 0 -dof 0 -bs 8
              --test-batch-size 8 -nw 2 --quiet)
        DS_1S=(-e 2 --weights none)
        DS_5S=(-e 5 --weights none)
        RNN=(-e 20 -ru 64 -rl 1 -bs 16 --quiet)
        ;;
    smoke)
        LABELS=$ROOT/labels
        CRNN=(-w 1 -e 1 -ftp 0 -vw none -ru 4 -rl 1 -bs 2 -nw 1 --quiet)
        DS_1S=(-e 1 --weights none -np 1)
        DS_5S=(-e 5 --weights none -np 1)
        RNN=(-e 2 -ru 4 -rl 1 -bs 2 --quiet)
        ;;
esac
# A named run's label files are made from its own split TSVs (labels/ keeps the original's, of split-0).
[[ -n ${RUN:-} ]] && LABELS=$RUN_DATA/labels
CRNN+=("${TRAINED[@]}") RNN+=("${TRAINED[@]}")

# One file per finished command, holding the command: what a run started again may skip.
DONE=$OUT/.reproduce
step=0 timings=() redone=0

last_value() {  # last_value OPTION ARGS...: the value of the last OPTION in ARGS (click keeps the last)
    local option=$1 value=
    shift
    while [[ $# -gt 0 ]]; do
        [[ $1 == "$option" && $# -gt 1 ]] && value=$2
        shift
    done
    printf '%s' "$value"
}

finished_output() {  # finished_output ARGS...: the file or folder a command writes last (atomically)
    case $2 in
        prepare_audio.py) printf '%s' "$4" ;;
        -m) printf '%s/%s-test.csv' "$5" "$STEM" ;;  # labels.make_labels
        crnn.py | train_rnn.py) printf '%s/thresholds.tsv' "$(last_value -ebp "$@")" ;;
        deepspectrum_features.py) last_value -o "$@" ;;
        transform_features.py) printf '%s/test.npz' "${3%/}" ;;
        fusion.py) printf '%s/results.tsv' "$(last_value -o "$@")" ;;
    esac
}

continuation() {  # continuation fresh|again ARGS...: what to append to an unfinished command
    local mode=$1
    shift
    case $2 in
        crnn.py | train_rnn.py)
            local ebp
            ebp=$(last_value -ebp "$@")
            if [[ $mode == fresh && -f $ebp/checkpoints/last-state.json ]]; then
                echo --resume
            elif [[ -e $ebp/config.json || -e $ebp/checkpoints || -e $ebp/log || -e $ebp/predictions.npy ]]; then
                echo --overwrite  # out of date, or killed before its first epoch ended: nothing to continue
            fi ;;
        deepspectrum_features.py)
            local csv
            csv=$(last_value -o "$@")
            if [[ $mode == fresh && -f $csv.part && -f ${csv%.csv}.json.part ]]; then
                echo --resume
            elif [[ -e $csv || -e ${csv%.csv}.json || -e $csv.part || -e ${csv%.csv}.json.part ]]; then
                echo --overwrite
            fi ;;
    esac  # prepare_audio.py skips its finished wavs; transform_features.py and fusion.py rewrite their outputs
}

step() {  # print, skip (before --from, or finished) or run one command, then say how long it took
    step=$((step + 1))
    local shown done mode
    shown=$(printf '%q ' "$@")
    shown=${shown% }
    if ((print)); then
        echo "$shown"
        return
    fi
    if [[ -n $from ]] && ((step < from)); then
        echo "[$step] skipped (--from $from): $shown"
        return
    fi
    done=$DONE/$step
    if [[ -n $from ]] || ((redone)); then
        mode=again  # forced, or an earlier command ran again: what this one wrote before is out of date
    elif [[ -f $done && $(<"$done") == "$shown" && -e $(finished_output "$@") ]]; then
        echo "[$step] finished earlier: $shown"
        timings+=("$(printf '[%2d]  done    %s' "$step" "$shown")")
        return
    else
        mode=fresh
    fi
    redone=1
    rm -f "$done"
    local extra
    extra=$(continuation $mode "$@")
    echo "[$step] $shown${extra:+ $extra}"
    local start=$SECONDS
    if ! "$@" $extra; then
        echo "[$step] failed after $((SECONDS - start)) s; once fixed, run the same command again to continue" >&2
        exit 1
    fi
    mkdir -p "$DONE"
    printf '%s\n' "$shown" >"$done.tmp"
    mv "$done.tmp" "$done"
    timings+=("$(printf '[%2d] %5d s  %s' "$step" $((SECONDS - start)) "$shown")")
    echo "${timings[-1]}"
}

step python prepare_audio.py "$ROOT/audio" "$ROOT/wav" --sha256 "$SHA256_LIST" --tsv "$SPLITS/$STEM-train.tsv" --tsv "$SPLITS/$STEM-validation.tsv" --tsv "$SPLITS/$STEM-test.tsv"

step python crnn.py -mep "$ROOT/" -ebp "$OUT/fusion/crnn/lstm" -rt lstm -tr "$SPLITS/$STEM-train.tsv" -v "$SPLITS/$STEM-validation.tsv" -te "$SPLITS/$STEM-test.tsv" "${CRNN[@]}"
step python crnn.py -mep "$ROOT/" -ebp "$OUT/fusion/crnn/bilstm" -rt bilstm -tr "$SPLITS/$STEM-train.tsv" -v "$SPLITS/$STEM-validation.tsv" -te "$SPLITS/$STEM-test.tsv" "${CRNN[@]}"
step python crnn.py -mep "$ROOT/" -ebp "$OUT/fusion/crnn/gru" -rt gru -tr "$SPLITS/$STEM-train.tsv" -v "$SPLITS/$STEM-validation.tsv" -te "$SPLITS/$STEM-test.tsv" "${CRNN[@]}"

[[ -n ${RUN:-} ]] && step python -m labels.make_labels "$SPLITS" "$LABELS" --subset "$subset"
step python deepspectrum_features.py "$ROOT/audio" -t 5 5 -s 0 -e 29 -en VGG16 -el fc2 -fs mel -cm magma -m mel -nl -lf "$LABELS/$STEM-train.csv" -o "$FEATURES/5s/train.csv" "${DS_5S[@]}"
step python deepspectrum_features.py "$ROOT/audio" -t 5 5 -s 0 -e 29 -en VGG16 -el fc2 -fs mel -cm magma -m mel -nl -lf "$LABELS/$STEM-validation.csv" -o "$FEATURES/5s/validation.csv" "${DS_5S[@]}"
step python deepspectrum_features.py "$ROOT/audio" -t 5 5 -s 0 -e 29 -en VGG16 -el fc2 -fs mel -cm magma -m mel -nl -lf "$LABELS/$STEM-test.csv" -o "$FEATURES/5s/test.csv" "${DS_5S[@]}"
step python deepspectrum_features.py "$ROOT/audio" -t 1 1 -s 0 -e 29 -en VGG16 -el fc2 -fs mel -cm magma -m mel -nl -lf "$LABELS/$STEM-train.csv" -o "$FEATURES/1s/train.csv" "${DS_1S[@]}"
step python deepspectrum_features.py "$ROOT/audio" -t 1 1 -s 0 -e 29 -en VGG16 -el fc2 -fs mel -cm magma -m mel -nl -lf "$LABELS/$STEM-validation.csv" -o "$FEATURES/1s/validation.csv" "${DS_1S[@]}"
step python deepspectrum_features.py "$ROOT/audio" -t 1 1 -s 0 -e 29 -en VGG16 -el fc2 -fs mel -cm magma -m mel -nl -lf "$LABELS/$STEM-test.csv" -o "$FEATURES/1s/test.csv" "${DS_1S[@]}"

step python transform_features.py "$FEATURES/5s/" "$SPLITS/" "${TRANSFORM[@]}"
step python transform_features.py "$FEATURES/1s/" "$SPLITS/" "${TRANSFORM[@]}"

step python train_rnn.py -mep "$ROOT/" -ebp "$OUT/fusion/DeepSpectrum/1s/lstm" -tr "$FEATURES/1s/train.npz" -v "$FEATURES/1s/validation.npz" -te "$FEATURES/1s/test.npz" -rt lstm "${RNN[@]}"
step python train_rnn.py -mep "$ROOT/" -ebp "$OUT/fusion/DeepSpectrum/1s/bilstm" -tr "$FEATURES/1s/train.npz" -v "$FEATURES/1s/validation.npz" -te "$FEATURES/1s/test.npz" -rt bilstm "${RNN[@]}"
step python train_rnn.py -mep "$ROOT/" -ebp "$OUT/fusion/DeepSpectrum/1s/gru" -tr "$FEATURES/1s/train.npz" -v "$FEATURES/1s/validation.npz" -te "$FEATURES/1s/test.npz" -rt gru "${RNN[@]}"
step python train_rnn.py -mep "$ROOT/" -ebp "$OUT/fusion/DeepSpectrum/5s/lstm" -tr "$FEATURES/5s/train.npz" -v "$FEATURES/5s/validation.npz" -te "$FEATURES/5s/test.npz" -rt lstm "${RNN[@]}"
step python train_rnn.py -mep "$ROOT/" -ebp "$OUT/fusion/DeepSpectrum/5s/bilstm" -tr "$FEATURES/5s/train.npz" -v "$FEATURES/5s/validation.npz" -te "$FEATURES/5s/test.npz" -rt bilstm "${RNN[@]}"
step python train_rnn.py -mep "$ROOT/" -ebp "$OUT/fusion/DeepSpectrum/5s/gru" -tr "$FEATURES/5s/train.npz" -v "$FEATURES/5s/validation.npz" -te "$FEATURES/5s/test.npz" -rt gru "${RNN[@]}"

step python fusion.py -mep "$ROOT/" -fbp "$OUT/fusion" -o "$OUT/fusion-results/thresholds-test" --thresholds test "${FUSED[@]}"
step python fusion.py -mep "$ROOT/" -fbp "$OUT/fusion" -o "$OUT/fusion-results/thresholds-validation" --thresholds validation "${FUSED[@]}"

((print)) && exit 0

table() {  # a tab-separated table with a header row, in aligned columns
    awk -F '\t' '{ printf "%-26s", $1; for (i = 2; i <= NF; i++) printf " %15s", $i; print "" }' "$@"
}
echo
echo "Time per command:"
printf '%s\n' "${timings[@]}"
echo
echo "Each model alone on the test set (from its evaluation-on-test.tsv):"
scores=$(
    for evaluation in "$OUT"/fusion/crnn/*/evaluation-on-test.tsv "$OUT"/fusion/DeepSpectrum/*/*/evaluation-on-test.tsv; do
        model=${evaluation#"$OUT/fusion/"}
        awk -F '\t' -v model="${model%/evaluation-on-test.tsv}" '
            { value[$1] = $2 }
            END { printf "%s\t%s\t%s\n", model, value["ROC-AUC-macro"], value["PR-AUC-macro"] }' "$evaluation"
    done
)
{ printf 'model\tROC-AUC-macro\tPR-AUC-macro\n'; printf '%s\n' "$scores"; } | table
for protocol in test validation; do
    results=$OUT/fusion-results/thresholds-$protocol
    echo
    echo "Fused, thresholds tuned on the $protocol set ($results/results.tsv; per-tag PR-AUC plot: $results/pr-auc-per-tag.png):"
    table "$results/results.tsv"
done

# Last, one line per model no better than chance (0.5, give or take a small test split's noise): the fused rows
# above average it in all the same, so it must not pass unnoticed. A warning, not a failure: the smoke run's
# one-epoch models are often at chance.
CHANCE_ROC_AUC=0.6
awk -F '\t' -v chance=$CHANCE_ROC_AUC '!($2 ~ /^[0-9]+(\.[0-9]+)?$/ && $2 + 0 >= chance) {
    printf "warning: %s is no better than chance on its test split (ROC-AUC-macro %s, below %s), yet it is fused\n",
        $1, $2 == "" ? "missing" : $2, chance }' <<<"$scores"
