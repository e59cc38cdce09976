"""fer-edge-harness: the board side of fer-edge (bundle verifier, backends, pytest-benchmark suite).

Runs on Python >= 3.6 (Jetson Nano's L4T) with numpy, pytest, pytest-benchmark and whichever
runtime the board has; every runtime is imported lazily.
"""

__version__ = "0.1.0"
