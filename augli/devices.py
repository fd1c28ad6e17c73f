"""What a TensorFlow process computes on, the one line that says so, and whether its kernels are deterministic.

The choice of devices and the line are pure functions of the visible GPUs (their names, in TensorFlow's
order), so a machine of 0, 1, 2 or 8 GPUs can be tried without one; `take_devices` applies them.
A one-device run takes the first GPU it may use, so the same command runs as written on any machine.
"""

from dataclasses import dataclass

import click
import tensorflow as tf

# TensorFlow exports only the switch that turns op determinism on; a process that ran deterministically
# (a test session, a notebook) must be able to turn it off again.
from tensorflow.python.framework.config import disable_op_determinism

from augli.errors import AugliError


@dataclass(frozen=True)
class DeviceChoice:
    """GPUs by their index among the visible ones; none: the CPU, as `cpus` logical devices."""

    gpus: tuple = ()
    cpus: int = 1


def choose_devices(mode, devices, gpu_count):
    """The devices of --distribute `mode` and --devices `devices` (None, `cpu:N` or `0,2`) among `gpu_count` GPUs.

    Without --devices, mirrored and multi-worker runs take every GPU and a one-device run (`none`) the
    first; given GPU indices, a one-device run takes the first of them. Without GPUs, the CPU.
    """
    if devices is None:
        return DeviceChoice(tuple(range(gpu_count if mode != "none" else min(gpu_count, 1))))
    if devices.startswith("cpu:"):
        count = int(devices[4:])
        if mode == "multi-worker":
            raise AugliError("--devices cpu:N splits one machine's CPU; a multi-worker run takes each machine's GPUs "
                             "(or its CPU) as they are")
        if mode == "none" and count > 1:
            raise AugliError(f"--devices names {count} devices but --distribute none trains on one; "
                             "pass --distribute mirrored")
        return DeviceChoice(cpus=count)
    indices = tuple(int(index) for index in devices.split(","))
    missing = [index for index in indices if index >= gpu_count]
    if missing:
        raise AugliError(f"--devices {devices}: no GPU {missing[0]} (this machine shows {gpu_count} GPU(s))")
    return DeviceChoice(indices[:1] if mode == "none" else indices)


def computing_line(gpu_names, choice, mode=None):
    """What the run computes on, e.g. "computing on 1 GPU: NVIDIA H100 80GB HBM3 (GPU 0 of 8 visible)".

    A trainer's one-device run (`mode` none) that leaves visible GPUs unused says how to use them.
    """
    visible = len(gpu_names)
    if not choice.gpus:
        split = f" ({choice.cpus} logical devices)" if choice.cpus > 1 else ""
        unused = f"{visible} visible GPU(s) not used" if visible else "no GPU visible"
        return f"CPU only{split}: {unused}"
    count = len(choice.gpus)
    plural = "s" if count > 1 else ""
    names = ", ".join(dict.fromkeys(gpu_names[index] for index in choice.gpus))
    hint = "; --distribute mirrored trains on more" if mode == "none" and visible > count else ""
    return (f"computing on {count} GPU{plural}: {names} "
            f"(GPU{plural} {','.join(map(str, choice.gpus))} of {visible} visible{hint})")


def computing_record(gpu_names, choice, mode=None):
    """What the provenance records of the devices: the line, and the GPUs used by name and index."""
    return {"summary": computing_line(gpu_names, choice, mode), "gpus": [gpu_names[index] for index in choice.gpus],
            "gpu_indices": list(choice.gpus), "visible_gpus": len(gpu_names)}


def visible_gpu_names():
    """The names of the GPUs this process sees (after CUDA_VISIBLE_DEVICES), in TensorFlow's order."""
    return [tf.config.experimental.get_device_details(gpu).get("device_name", gpu.name)
            for gpu in tf.config.list_physical_devices("GPU")]


def logical_cpus(count):
    """The names of `count` logical CPU devices, made from the physical CPU unless TensorFlow already has them."""
    cpu = tf.config.list_physical_devices("CPU")[0]
    existing = tf.config.get_logical_device_configuration(cpu) or []
    if len(existing) < count:
        try:
            tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * count)
        except RuntimeError:
            raise AugliError(f"--devices cpu:{count}: TensorFlow has started with {max(len(existing), 1)} CPU "
                             "device(s) and cannot split its CPU any more") from None
    return [f"/cpu:{index}" for index in range(count)]


def take_devices(mode=None, devices=None):
    """Let TensorFlow see only the chosen GPUs (none for the CPU); the chosen devices' names and their record.
    `mode` None: a script that has no --distribute."""
    gpu_names = visible_gpu_names()
    choice = choose_devices(mode or "none", devices, len(gpu_names))
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        tf.config.set_visible_devices([gpus[index] for index in choice.gpus], "GPU")
    record = computing_record(gpu_names, choice, mode)
    if choice.gpus:
        return [f"/gpu:{position}" for position in range(len(choice.gpus))], record  # TensorFlow renumbers from 0
    return (logical_cpus(choice.cpus) if choice.cpus > 1 else ["/cpu:0"]), record


def announce(record, err=False):
    """Print the line of a `computing_record` (to stderr with `err`): once the script's inputs are checked, so
    that bad input is still refused in one line."""
    click.echo(record["summary"], err=err)


def set_op_determinism(deterministic):
    """TensorFlow's kernels deterministic (repeatable runs, slower on GPUs) or not (--no-deterministic)."""
    if deterministic:
        tf.config.experimental.enable_op_determinism()
    else:
        disable_op_determinism()
