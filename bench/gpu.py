"""Throughput of each step of the paper's pipeline on the visible GPU(s) and on the CPU, as one markdown table.

    python -m bench.gpu [--quick] [--steps 30] [--cpu-steps 2] [--devices 0] [--no-mixed] [--output FILE]

By default the whole run stays within --time-limit 400 s (a machine lent for 10 minutes), however slow a cell.

Rows, at the paper's sizes with random weights (the speed does not depend on what a model learned):
  CRNN training        examples/s of training steps on one batch held in memory (-bs 32 x 20 s at 16 kHz,
                       GRU 2 x 256, 56 tags), VGGish frozen (phase 1) and trainable (phase 2), float32 and
                       mixed precision (mixed_float16 on GPUs, mixed_bfloat16 on CPUs), set up as crnn.py does
  CRNN input pipeline  examples/s of crnn.py's training_batches alone, -nw = the cores, 20 s crops of 60 s
                       16 kHz wavs in a local temporary folder (just written: in the page cache)
  DeepSpectrum         VGG16 fc2 images/s at -bs 128 (--weights none), fed by one worker process per core that
                       decodes 44.1 kHz stereo mp3s, draws 1 s windows with the numpy renderer (magma, 128
                       bands) and formats the CSV rows (not written): the extractor's own pipeline, on 32 s
                       tracks so that every batch holds whole tracks (no smaller last batch to trace)
  train_rnn training   sequences/s of training steps on 1 s features (-bs 32 x 29 windows x 4096), GRU 2 x 1024
Training rates run from the end of the first step (tracing) to the end of the last; the extraction is timed
after a first pass over one batch, the input pipeline after its first batch. Each cell runs in a fresh process
(the training ones seeded, with op determinism, as the trainers); the CPU cells hide the GPUs from it
(CUDA_VISIBLE_DEVICES=""). The GPU cells run first. Each cell prints a line when done and rewrites --output;
one that fails or runs out of time says so and the rest go on. --quick: a smoke check of a few minutes, at
smaller sizes.
"""

import datetime
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path

import click
import numpy as np

from augli.files import write_text
from augli.workers import DEFAULT_JOBS as CORES

# TensorFlow and Keras are imported only inside functions: the extractor's worker processes start by
# importing this module, and each of them would start TensorFlow too.
SEED = 42
N_TAGS = 56
PIPELINE_TRACKS, PIPELINE_TRACK_S = 64, 60
SEQUENCE_WINDOWS, SEQUENCE_WIDTH = 29, 4096
MIN_CELL_S = 20  # a cell is not started with less time than this left


@dataclass(frozen=True)
class Sizes:
    batch: int  # -bs of both trainers
    crop_s: int  # crnn.py's -w
    vgg16_batch: int  # deepspectrum_features.py's -bs
    picture_track_s: int  # tracks of that many 1 s windows: a whole number of them fills each batch
    sequence_units: int  # train_rnn's -ru


PAPER = Sizes(batch=32, crop_s=20, vgg16_batch=128, picture_track_s=32, sequence_units=1024)
QUICK = Sizes(batch=4, crop_s=5, vgg16_batch=8, picture_track_s=8, sequence_units=64)


def training_rate(steps, devices, mixed, build, inputs, labels):
    """Examples/s of `steps` training steps on one batch held in memory, after one untimed step (tracing), of the
    model that `build()` makes, compiled and adapted as the trainers do it (MirroredStrategy over several GPUs)."""
    import tensorflow as tf

    from augli.distribution import adapt_to_strategy, distributed_run
    from augli.models import compile_tagger
    from augli.training import set_seeds
    from bench.train_rnn import EpochClock

    gpus = len(devices.split(",")) if devices else len(tf.config.list_physical_devices("GPU"))
    with distributed_run("mirrored" if gpus > 1 else "none", devices, mixed) as (strategy, _):
        set_seeds(SEED)
        model = build()
        compile_tagger(model, 0.001)
        adapt_to_strategy(model, strategy)
        clock = EpochClock()
        model.fit(tf.data.Dataset.from_tensors((inputs, labels)).repeat(), epochs=1 + steps, steps_per_epoch=1,
                  verbose=0, callbacks=[clock])
        return clock.sequences_per_second(len(inputs))


def crnn_rate(steps, devices, sizes, frozen, mixed):
    from augli.audio import SAMPLE_RATE_HZ
    from augli.crnn_training import noise_std
    from augli.params import RANDOM_NOISE
    from augli.models import crnn_tagger
    from bench.train_rnn import fake_tags

    rng = np.random.default_rng(SEED)
    waveforms = (0.1 * rng.standard_normal((sizes.batch, sizes.crop_s * SAMPLE_RATE_HZ))).astype(np.float32)
    build = partial(crnn_tagger, N_TAGS, "gru", 256, 2, 0.3, 0.3, noise_std(RANDOM_NOISE, SEED),
                    load_vggish_weights=(lambda vggish: None) if frozen else None)
    return training_rate(steps, devices, mixed, build, waveforms, fake_tags(rng, sizes.batch))


def sequence_rate(steps, devices, sizes):
    from augli.models import sequence_tagger
    from bench.train_rnn import fake_features

    sequences, labels = fake_features(np.random.default_rng(SEED), sizes.batch, SEQUENCE_WINDOWS, SEQUENCE_WIDTH)
    build = partial(sequence_tagger, SEQUENCE_WIDTH, N_TAGS, "gru", sizes.sequence_units, 2, 0.4, 0.4)
    return training_rate(steps, devices, False, build, sequences, labels)


def pipeline_rate(steps, devices, sizes):
    """Examples/s of `steps` training batches after the first, over as many epochs of the wavs as it takes."""
    from augli.crnn_training import Split, training_batches
    from bench.crnn import make_wavs
    from bench.train_rnn import fake_tags

    with tempfile.TemporaryDirectory() as folder:
        wavs = make_wavs(Path(folder), PIPELINE_TRACKS, PIPELINE_TRACK_S)
        options = {"batch_size": sizes.batch, "window": sizes.crop_s, "seed": SEED, "time_stretch": None,
                   "pitch_shift": None, "n_workers": CORES}
        split = Split(Path(folder), wavs, fake_tags(np.random.default_rng(SEED), len(wavs)))
        epochs = math.ceil((steps + 1) / (len(wavs) // sizes.batch))
        batches = iter(training_batches(split, options, 0, epochs)[0].take(steps + 1))
        next(batches)
        start = time.perf_counter()
        for _ in batches:
            pass
        return steps * sizes.batch / (time.perf_counter() - start)


def extract(pool, settings, network, tracks, batch_size):
    """deepspectrum._extract's pipeline without the file: pictures drawn by the pool, fc2 in batches, CSV rows."""
    from augli.deepspectrum import features_by_track
    from augli.feature_csv import csv_rows
    from augli.track_pictures import TRACKS_AHEAD_PER_WORKER, render_track
    from augli.workers import in_order

    drawing = ((track.name, track.source, settings) for track in tracks)
    rendered = in_order(pool, render_track, drawing, TRACKS_AHEAD_PER_WORKER * CORES)
    for _ in in_order(pool, csv_rows, features_by_track(rendered, network, batch_size), CORES):
        pass


def vgg16_rate(steps, devices, sizes):
    """Images/s of `steps` batches' worth of tracks, after a first pass over one batch (worker start, tracing)."""
    from decimal import Decimal

    from augli.deepspectrum import listed_tracks, load_network
    from augli.track_pictures import picture_settings
    from augli.workers import process_pool
    from bench.prepare_audio import make_tracks

    first = math.ceil(sizes.vgg16_batch / sizes.picture_track_s)
    timed = math.ceil(steps * sizes.vgg16_batch / sizes.picture_track_s)
    settings = picture_settings({"window_size_and_hop": (Decimal(1), Decimal(1)), "start": Decimal(0),
                                 "end": Decimal(sizes.picture_track_s), "number_of_melbands": 128, "renderer": "numpy",
                                 "colour_map": "magma", "resize": "bicubic"})
    network = load_network("none", "fc2")
    with tempfile.TemporaryDirectory() as folder:
        make_tracks(Path(folder), first + timed, sizes.picture_track_s, seed=SEED)
        tracks = listed_tracks(folder)
        with process_pool(CORES) as pool:
            extract(pool, settings, network, tracks[:first], sizes.vgg16_batch)
            start = time.perf_counter()
            extract(pool, settings, network, tracks[first:], sizes.vgg16_batch)
            return timed * sizes.picture_track_s / (time.perf_counter() - start)


def crnn_row(state, precision):
    return (f"CRNN training, VGGish {state}, {precision}, -bs {{batch}} x {{crop_s}} s", "examples/s",
            partial(crnn_rate, frozen=state.startswith("frozen"), mixed=precision == "mixed"), True)


# name: (label, unit, measure(steps, devices, sizes), whether CPU cells time --cpu-steps), in the order they are
# measured: the mixed rows last, so that a run cut short has the others.
ROWS = {
    "crnn-frozen": crnn_row("frozen (phase 1)", "float32"),
    "crnn-trainable": crnn_row("trainable (phase 2)", "float32"),
    "crnn-input": (f"CRNN input pipeline, -nw {CORES}, -bs {{batch}} x {{crop_s}} s", "examples/s", pipeline_rate,
                   False),
    "vgg16": (f"DeepSpectrum: VGG16 fc2, -bs {{vgg16_batch}}, fed by {CORES} renderers", "images/s", vgg16_rate, True),
    "train-rnn": (f"train_rnn training, GRU 2 x {{sequence_units}}, float32, -bs {{batch}} x {SEQUENCE_WINDOWS} x "
                  f"{SEQUENCE_WIDTH}", "sequences/s", sequence_rate, True),
    "crnn-frozen-mixed": crnn_row("frozen (phase 1)", "mixed"),
    "crnn-trainable-mixed": crnn_row("trainable (phase 2)", "mixed"),
}


def describe():
    """This process's TensorFlow version and devices."""
    import tensorflow as tf

    from augli.devices import visible_gpu_names

    gpus = visible_gpu_names()
    cpuinfo = Path("/proc/cpuinfo")
    models = [line.split(":", 1)[1].strip() for line in (cpuinfo.read_text().splitlines() if cpuinfo.exists() else [])
              if line.startswith("model name")]
    return {"tensorflow": tf.__version__, "gpus": gpus, "cpu": f"{models[0] if models else 'CPU'}, {CORES} cores"}


def in_fresh_process(arguments, hide_gpus, timeout_s):
    """The JSON this module prints when run with `arguments`, or a short reason why there is none.

    The process leads its own group, so that a timeout ends the extractor's workers with it.
    """
    environment = {**os.environ, "CUDA_VISIBLE_DEVICES": ""} if hide_gpus else dict(os.environ)
    with subprocess.Popen([sys.executable, "-m", "bench.gpu", *arguments], env=environment, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, start_new_session=True) as process:
        try:
            stdout, stderr = process.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            return f"timed out (> {timeout_s:.0f} s)"
    try:
        if process.returncode == 0:
            return json.loads(stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        pass
    click.echo(f"{' '.join(arguments)} failed:\n{stderr[-3000:]}", err=True)
    return "failed"


def cell(result):
    return "" if result is None else f"{result:.1f}" if isinstance(result, float) else result


def markdown_table(rows, columns, results):
    """One line per row of `rows` (name: (label, unit)); the GPU / CPU ratio where both cells have a rate."""
    ratio = "GPU" in columns
    lines = ["| | unit | " + " | ".join(columns) + (" | GPU / CPU |" if ratio else " |"),
             "|---|---" + "|---" * (len(columns) + ratio) + "|"]
    for name, (label, unit) in rows.items():
        cells = [results.get((name, column)) for column in columns]
        if ratio:
            cells.append(cells[0] / cells[1] if all(isinstance(value, float) for value in cells) else None)
        lines.append(f"| {label} | {unit} | " + " | ".join(cell(value) for value in cells) + " |")
    return "\n".join(lines)


@click.command()
@click.option("--quick", is_flag=True, help="A smoke check: one timed step or batch per cell, on smaller batches, "
                                            "crops and train_rnn model (the labels say which).")
@click.option("--steps", type=click.IntRange(min=1), default=30, show_default=True,
              help="Timed training steps, extraction batches and input-pipeline batches per GPU cell.")
@click.option("--cpu-steps", type=click.IntRange(min=1), default=2, show_default=True,
              help="Timed training steps and extraction batches per CPU cell (its input pipeline runs --steps).")
@click.option("--devices", default=None, help="GPU indices for the GPU cells, e.g. 0,1 (several: MirroredStrategy); "
                                              "default: every visible GPU.")
@click.option("--mixed/--no-mixed", default=True, show_default=True, help="Measure the mixed-precision CRNN rows.")
@click.option("--cell-timeout", type=click.IntRange(min=1), default=150, show_default=True,
              help="Seconds one cell may take, TensorFlow's start included.")
@click.option("--time-limit", type=click.IntRange(min=1), default=400, show_default=True,
              help="Seconds for the whole table; cells that would start later are left out.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the table (markdown) to this file, rewritten after every cell.")
@click.option("--row", type=click.Choice([*ROWS, "describe"]), default=None, hidden=True,
              help="Measure one cell in this process and print it as JSON (what each fresh process runs).")
def main(quick, steps, cpu_steps, devices, mixed, cell_timeout, time_limit, output, row):
    sizes = QUICK if quick else PAPER
    if quick:
        steps = cpu_steps = 1
    if row == "describe":
        click.echo(json.dumps(describe()))
        return
    if row is not None:
        click.echo(json.dumps(ROWS[row][2](steps, devices, sizes)))
        return
    deadline = time.monotonic() + time_limit
    about = in_fresh_process(["--row", "describe"], hide_gpus=False, timeout_s=cell_timeout)
    if not isinstance(about, dict):
        raise click.ClickException(f"TensorFlow did not start ({about})")
    columns = ["GPU", "CPU"] if about["gpus"] else ["CPU"]
    rows = {name: (label.format(**asdict(sizes)), unit) for name, (label, unit, _, _) in ROWS.items()
            if mixed or not name.endswith("-mixed")}
    heading = (f"{datetime.date.today().isoformat()}, TensorFlow {about['tensorflow']}; "
               f"GPU: {', '.join(about['gpus']) or 'none visible'}; CPU: {about['cpu']}; timed steps or batches per "
               f"cell: {f'GPU {steps}, ' if about['gpus'] else ''}CPU {cpu_steps} (its input pipeline: {steps})")
    click.echo(heading)
    results = {}
    for column in columns:
        for name in rows:
            left_s = deadline - time.monotonic()
            if left_s < MIN_CELL_S:
                results[(name, column)] = "not run (--time-limit)"
            else:
                cell_steps = cpu_steps if column == "CPU" and ROWS[name][3] else steps
                arguments = ["--row", name, "--steps", str(cell_steps), *(["--quick"] if quick else [])]
                if devices and column == "GPU":
                    arguments += ["--devices", devices]
                results[(name, column)] = in_fresh_process(arguments, column == "CPU", min(cell_timeout, left_s))
            label, unit = rows[name]
            result = results[(name, column)]
            shown = f"{result:.1f} {unit}" if isinstance(result, float) else result
            click.echo(f"{column} | {label} | {shown} | {time.monotonic() - deadline + time_limit:.0f} s into the run")
            if output:
                write_text(output, f"{heading}\n\n{markdown_table(rows, columns, results)}\n")
    click.echo(f"\n{heading}\n\n{markdown_table(rows, columns, results)}")


if __name__ == "__main__":
    main()
