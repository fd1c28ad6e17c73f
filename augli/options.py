"""Command-line options that several scripts take alike, with no Keras import."""

import re
from pathlib import Path

import click

from augli.data import PAPER_SPLIT, PAPER_SUBSET, SPLIT_NUMBERS, SUBSETS
from augli.params import DISTRIBUTE_MODES, OPTIMIZER_NAMES, RECURRENT_ACTIVATION_NAMES, RNN_TYPES

LOGICAL_CPUS = re.compile(r"cpu:(\d+)")
GPU_INDICES = re.compile(r"\d+(,\d+)*")


def _check_devices(context, parameter, value):
    """`None` (every visible GPU, else the CPU), `cpu:N` or comma-separated GPU indices, without blanks."""
    if value is None:
        return None
    text = value.replace(" ", "").lower()
    if (LOGICAL_CPUS.fullmatch(text) and int(text[4:]) > 0) or GPU_INDICES.fullmatch(text):
        return text
    raise click.BadParameter(f"{value!r}: give GPU indices such as 0,1 or cpu:N for N logical CPU devices")


def with_options(command, options):
    """`command` decorated with `options`, which `--help` then lists in this order."""
    for option in reversed(options):
        command = option(command)
    return command


deterministic_option = click.option(
    "--deterministic/--no-deterministic", default=True, show_default=True,
    help="Deterministic TensorFlow kernels: the same options give the same numbers, but GPUs run slower and an op "
         "without a deterministic GPU kernel fails. --no-deterministic: faster; the last bits vary between runs.")


def distribution_options(command):
    """--distribute, --devices, --mixed-precision and --deterministic: how a trainer computes, on which devices."""
    options = [
        click.option("--distribute", type=click.Choice(DISTRIBUTE_MODES), default="none", show_default=True,
                     help="none: one device. mirrored: data-parallel over this machine's --devices. multi-worker: "
                          "over the machines that the TF_CONFIG variable lists (run the same command on each). "
                          "-bs stays the global batch, split between the replicas."),
        click.option("--devices", default=None, callback=_check_devices,
                     help="GPU indices to train on, e.g. 0,1 (--distribute none: the first), or cpu:N for N "
                          "logical CPU devices (to try --distribute mirrored without GPUs).  [default: GPU 0 for "
                          "--distribute none, else every visible GPU; the CPU without GPUs]"),
        click.option("--mixed-precision", is_flag=True,
                     help="Compute in mixed_float16 on GPUs (with loss scaling) or mixed_bfloat16 on CPUs; "
                          "variables, the output layer, the loss and the scores stay float32."),
        deterministic_option,
    ]
    return with_options(command, options)


def recurrent_head_options(units, units_help):
    """-ru, -rl, -o, --recurrent-activation and -rt: the recurrent head both trainers build (`units` wide by default),
    its update rule and its gates, Keras 2's by default."""
    options = [
        click.option("-ru", "--rnn-units", type=click.IntRange(min=1), default=units, show_default=True,
                     help=units_help),
        click.option("-rl", "--rnn-layers", type=click.IntRange(min=1), default=2, show_default=True),
        click.option("-o", "--optimizer", type=click.Choice(OPTIMIZER_NAMES), default="rmsprop", show_default=True,
                     help="rmsprop: Keras 2's update, lr g / (sqrt(a) + 1e-7), as the original trained. "
                          "rmsprop-keras3: Keras 3's, lr g / sqrt(a + 1e-7), smaller for small gradients."),
        click.option("--recurrent-activation", type=click.Choice(RECURRENT_ACTIVATION_NAMES), default="sigmoid",
                     show_default=True,
                     help="The LSTM and GRU gates. hard_sigmoid: Keras 2's clip(0.2 x + 0.5, 0, 1), the default "
                          "of Keras up to 2.2.5; the authors' version is unknown."),
        click.option("-rt", "--rnn-type", type=click.Choice(RNN_TYPES), default="gru", show_default=True),
    ]
    return lambda command: with_options(command, options)


def below_media_eval_path(path_of_split, split, help):
    """click.option settings of a split file that defaults to `path_of_split(-mep, split)`: the default is checked
    as a given path would be, and --help shows it after `help`, with MEP for the -mep folder.
    """
    def resolve(context, parameter, value):
        if value is not None:
            return value
        return parameter.type.convert(path_of_split(context.params["media_eval_path"], split), parameter, context)

    return {"default": None, "callback": resolve, "help": f"{help}  [default: {path_of_split(Path('MEP'), split)}]"}


def split_option(help):
    """`--split K`, one of MTG-Jamendo's split numbers (MediaEval 2019's by default), as `split_number`."""
    return click.option("--split", "split_number", type=click.IntRange(SPLIT_NUMBERS[0], SPLIT_NUMBERS[-1]),
                        default=PAPER_SPLIT, show_default=True, help=help)


def subset_option(help):
    """`--subset NAME`, one of MTG-Jamendo's subsets (MediaEval 2019's by default)."""
    return click.option("--subset", type=click.Choice(SUBSETS), default=PAPER_SUBSET, show_default=True, help=help)
