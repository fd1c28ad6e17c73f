"""requirements-gpu.txt is requirements.txt with TensorFlow's CUDA libraries: the same pins, TensorFlow's included."""

from conftest import REPO


def requirements(name):
    lines = (REPO / name).read_text().splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")]


def test_the_gpu_requirements_are_the_cpu_ones_with_tensorflows_cuda_extra():
    tensorflow = next(line for line in requirements("requirements.txt") if line.startswith("tensorflow=="))
    assert requirements("requirements-gpu.txt") == ["-r requirements.txt",
                                                    tensorflow.replace("tensorflow==", "tensorflow[and-cuda]==")]
