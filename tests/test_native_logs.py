"""TensorFlow's and the runtimes' own log lines are left out of fer-edge's output by default and
shown with `fer-edge --verbose`; nothing else on stderr is lost.

Fails on the main branch before issue 9 (item 18): there `fer-edge bundle import` printed the
absl banner, the oneDNN notice, `fully_quantize: ...` and LiteRT's XNNPACK line (and
fer_edge.native_logs and `--verbose` did not exist).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from fer_edge.native_logs import NOISE

FER_EDGE = str(Path(sys.executable).parent / "fer-edge")
# Lines as TensorFlow 2.21, its TFLite converter and LiteRT printed them here.
CHATTER = [
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "I0000 00:00:1795933752.333636    8636 port.cc:153] oneDNN custom operations are on. You "
    "may see slightly different numerical results due to floating-point round-off errors.",
    "W0000 00:00:1795933780.457839    8636 tf_tfl_flatbuffer_helpers.cc:364] Ignored "
    "output_format.",
    "2025-09-17 14:44:05.157831: I external/local_xla/xla/tsl/cuda/cudart_stub.cc:32] Could not "
    "find cuda drivers on your machine, GPU will not be used.",
    "To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow "
    "with the appropriate compiler flags.",
    "fully_quantize: 0, inference_type: 6, input_inference_type: INT8, output_inference_type: "
    "INT8",
    "INFO: Created TensorFlow Lite XNNPACK delegate for CPU.",
]
KEPT = [
    "E0000 00:00:1758131045.203198 3722035 cuda_dnn.cc:8579] Unable to register cuDNN factory",
    "error: models/x: already exists and is not empty (use --force to replace)",
    "Traceback (most recent call last):",
    "  tflite_int8: built | agreement 0.933, max diff 0.0025",
    "INFO: something a user wrote",
]


@pytest.mark.parametrize("line", CHATTER)
def test_chatter_is_recognised(line):
    assert NOISE.match(line.encode())


@pytest.mark.parametrize("line", KEPT)
def test_errors_and_our_own_lines_are_kept(line):
    assert not NOISE.match(line.encode())


FILTERED_PROCESS = r"""
import os, subprocess, sys
from fer_edge.native_logs import quiet_native_logs
quiet_native_logs()
os.write(2, b"I0000 00:00:1.5    7 port.cc:153] oneDNN custom operations are on.\nkept 1\n")
subprocess.run([sys.executable, "-c", "import os; os.write(2, b'INFO: Created TensorFlow Lite "
                "XNNPACK delegate for CPU.\\nkept 2 from a child\\n')"])
print("kept 3 from python", file=sys.stderr)
os.write(2, b"kept 4, no newline")
"""


def test_the_filter_passes_everything_else_and_drains_at_exit():
    done = subprocess.run([sys.executable, "-c", FILTERED_PROCESS], capture_output=True,
                          timeout=60)
    assert done.returncode == 0
    # Python's own stderr is not piped, so its line may come before the piped ones.
    assert sorted(done.stderr.decode().splitlines()) == [
        "kept 1", "kept 2 from a child", "kept 3 from python", "kept 4, no newline"]


@pytest.mark.slow
def test_bundle_import_is_quiet_by_default_and_verbose_on_request(tmp_path):
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((48, 48, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(3, activation="softmax")])
    model.save(tmp_path / "m.keras")
    args = ["bundle", "import", str(tmp_path / "m.keras"), "--classes", "anger,happy,sadness",
            "--data", "synthetic:n=70", "--formats", "tflite_int8"]
    quiet = subprocess.run([FER_EDGE, *args, "--out", str(tmp_path / "q")],
                           capture_output=True, text=True, timeout=600)
    loud = subprocess.run([FER_EDGE, "--verbose", *args, "--out", str(tmp_path / "v")],
                          capture_output=True, text=True, timeout=600)
    assert quiet.returncode == 0 and loud.returncode == 0, quiet.stderr + loud.stderr
    assert "fully_quantize:" in loud.stderr and "INFO: Created TensorFlow Lite" in loud.stderr
    assert [line for line in quiet.stderr.splitlines() if NOISE.match(line.encode())] == []
    assert "tflite_int8: built" in quiet.stderr
