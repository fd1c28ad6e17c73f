"""What a run computes on, on fake machines of 0, 1, 2 and 8 GPUs (the choice and its line are pure functions of
the visible GPUs), what a real run prints and records of it here (no GPU), and --deterministic reaching TensorFlow.
"""

import json

import pytest
from click.testing import CliRunner
from tensorflow.python.framework.config import is_op_determinism_enabled

import train_rnn
from augli import feature_csv
from augli.data import sequences_npz
from augli.devices import DeviceChoice, choose_devices, computing_line, computing_record
from augli.errors import AugliError
from augli.experiment import RUN_CONTROL_OPTIONS, Experiment, check_recorded_options
from augli.training import set_seeds
from test_train_rnn import SIZES, toy_split, write_npz

H100 = "NVIDIA H100 80GB HBM3"
EVERY_GPU = tuple(range(8))


@pytest.mark.parametrize("mode, devices, gpu_count, chosen", [
    # The README's commands (no --distribute, no --devices) train on one device on any machine.
    ("none", None, 0, DeviceChoice()),
    ("none", None, 1, DeviceChoice((0,))),
    ("none", None, 2, DeviceChoice((0,))),
    ("none", None, 8, DeviceChoice((0,))),
    ("none", "3", 8, DeviceChoice((3,))),
    ("none", "2,5", 8, DeviceChoice((2,))),
    ("none", "cpu:1", 8, DeviceChoice()),
    ("mirrored", None, 0, DeviceChoice()),
    ("mirrored", None, 1, DeviceChoice((0,))),
    ("mirrored", None, 2, DeviceChoice((0, 1))),
    ("mirrored", None, 8, DeviceChoice(EVERY_GPU)),
    ("mirrored", "2,5", 8, DeviceChoice((2, 5))),
    ("mirrored", "cpu:4", 8, DeviceChoice(cpus=4)),
    ("multi-worker", None, 8, DeviceChoice(EVERY_GPU)),
    ("multi-worker", "1", 2, DeviceChoice((1,))),
])
def test_devices_chosen_on_machines_of_0_to_8_gpus(mode, devices, gpu_count, chosen):
    assert choose_devices(mode, devices, gpu_count) == chosen


@pytest.mark.parametrize("mode, devices, gpu_count, message", [
    ("none", "3", 2, "--devices 3: no GPU 3 (this machine shows 2 GPU(s))"),
    ("mirrored", "0,8", 8, "--devices 0,8: no GPU 8 (this machine shows 8 GPU(s))"),
    ("none", "cpu:2", 1, "--devices names 2 devices but --distribute none trains on one; pass --distribute mirrored"),
    ("multi-worker", "cpu:2", 0, "--devices cpu:N splits one machine's CPU; a multi-worker run takes each machine's "
                                 "GPUs (or its CPU) as they are"),
])
def test_devices_it_cannot_use_are_refused(mode, devices, gpu_count, message):
    with pytest.raises(AugliError) as refused:
        choose_devices(mode, devices, gpu_count)
    assert refused.value.message == message


@pytest.mark.parametrize("names, choice, mode, line", [
    ([], DeviceChoice(), "none", "CPU only: no GPU visible"),
    ([], DeviceChoice(cpus=2), "mirrored", "CPU only (2 logical devices): no GPU visible"),
    ([H100] * 2, DeviceChoice(cpus=2), "mirrored", "CPU only (2 logical devices): 2 visible GPU(s) not used"),
    ([H100], DeviceChoice((0,)), "none", f"computing on 1 GPU: {H100} (GPU 0 of 1 visible)"),
    ([H100] * 8, DeviceChoice((0,)), "none",
     f"computing on 1 GPU: {H100} (GPU 0 of 8 visible; --distribute mirrored trains on more)"),
    ([H100] * 8, DeviceChoice((0,)), None, f"computing on 1 GPU: {H100} (GPU 0 of 8 visible)"),  # no --distribute
    ([H100] * 8, DeviceChoice(EVERY_GPU), "mirrored", f"computing on 8 GPUs: {H100} (GPUs 0,1,2,3,4,5,6,7 of 8 visible)"),
    (["NVIDIA A100-SXM4-40GB", H100], DeviceChoice((0, 1)), "mirrored",
     f"computing on 2 GPUs: NVIDIA A100-SXM4-40GB, {H100} (GPUs 0,1 of 2 visible)"),
])
def test_the_line_names_the_devices(names, choice, mode, line):
    assert computing_line(names, choice, mode) == line


def test_the_record_names_the_gpus_used_and_how_many_were_visible():
    assert computing_record([H100] * 8, DeviceChoice((2, 5)), "mirrored") == {
        "summary": f"computing on 2 GPUs: {H100} (GPUs 2,5 of 8 visible)", "gpus": [H100, H100],
        "gpu_indices": [2, 5], "visible_gpus": 8}


def test_set_seeds_switches_op_determinism_both_ways(op_determinism_kept):
    set_seeds(0)
    assert is_op_determinism_enabled()
    set_seeds(0, deterministic=False)
    assert not is_op_determinism_enabled()


@pytest.mark.parametrize("run_control", [RUN_CONTROL_OPTIONS, feature_csv.RUN_CONTROL_OPTIONS])
def test_a_run_may_resume_with_the_other_determinism(run_control, tmp_path):
    """Kernels that are not deterministic change only the order of float sums, as other devices do."""
    record = tmp_path / "config.json"
    record.write_text(json.dumps({"options": {"seed": 42, "deterministic": True}}))
    check_recorded_options(record, {"seed": 42, "deterministic": False}, run_control)


def test_train_rnn_with_only_mep_prints_and_records_its_device_and_no_determinism(tmp_path, op_determinism_kept):
    """The sequences where the pipeline writes them below -mep, found without -tr, -v or -te."""
    mep = tmp_path / "MEDIA-EVAL19"
    for seed, (split, n_tracks) in enumerate(SIZES.items()):
        sequences_npz(mep, split).parent.mkdir(parents=True, exist_ok=True)
        write_npz(sequences_npz(mep, split), *toy_split(n_tracks, seed))
    experiment = Experiment(tmp_path / "run")
    result = CliRunner().invoke(train_rnn.main, ["-mep", str(mep), "-ebp", str(experiment.root), "-e", "1", "-ru", "8",
                                                 "-rl", "1", "-bs", "50", "--quiet", "--no-deterministic"])
    assert result.exit_code == 0, result.output
    assert "CPU only: no GPU visible" in result.output.splitlines()
    assert not is_op_determinism_enabled()
    config = json.loads(experiment.config.read_text())
    assert config["options"]["deterministic"] is False
    assert config["options"]["train_npz"] == str(mep / "features" / "DeepSpectrum" / "1s" / "train.npz")
    assert config["distribution"]["computing_on"] == {"summary": "CPU only: no GPU visible", "gpus": [],
                                                      "gpu_indices": [], "visible_gpus": 0}
