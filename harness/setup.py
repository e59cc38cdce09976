"""fer-edge-harness: what runs on a board. Python >= 3.6 (Jetson Nano's L4T), numpy, pytest,
pytest-benchmark and whichever runtime the board has (imported lazily)."""

from setuptools import find_packages, setup

setup(
    name="fer-edge-harness",
    version="0.1.0",
    description="pytest-benchmark suite that times FER model bundles on edge boards",
    packages=find_packages(include=["fer_edge_harness", "fer_edge_harness.*"]),
    package_data={"fer_edge_harness": ["suite/*.py"]},
    python_requires=">=3.6",
    install_requires=["numpy", "pytest>=6", "pytest-benchmark>=3.2"],
    # Power meters: UM24C/UM25C/UM34C over a serial port; NVIDIA GPUs through NVML.
    extras_require={"um": ["pyserial>=3.4"], "nvml": ["nvidia-ml-py"]},
)
