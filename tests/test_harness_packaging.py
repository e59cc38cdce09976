"""The harness as a board installs it: `pip install ./harness` through its pyproject.toml
(setuptools' PEP 517 backend, run on a copy so the source tree is left as it was), its metadata,
the tflite-runtime extra that keeps NumPy below 2, and, where older interpreters exist (pyenv's
on this kind of machine), real installs with pip 21.3.1 and real runs of the suite: Python 3.6
(Jetson Nano's L4T) with ONNX Runtime 1.10, Python 3.9 with OpenVINO 2022.3.1 and tflite-runtime
2.14."""

from __future__ import annotations

import email
import glob
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from harness_fixtures import shared_tiny_bundle
from native_stand_ins import FAKE_CUDART, private_copy

pytestmark = pytest.mark.slow

HARNESS = Path(__file__).resolve().parents[1] / "harness"
LEFT_OUT = shutil.ignore_patterns("*.egg-info", "build", "dist", "__pycache__")


def pip(*args: str, python: str = sys.executable, timeout: int = 600):
    return subprocess.run([python, "-m", "pip", *args], capture_output=True, text=True,
                          timeout=timeout)


def clean_copy(tmp_path: Path) -> Path:
    source = tmp_path / "harness"
    shutil.copytree(HARNESS, source, ignore=LEFT_OUT)
    return source


def test_wheel_builds_from_pyproject_and_leaves_the_source_tree_alone(tmp_path):
    source = clean_copy(tmp_path)
    before = sorted(str(p.relative_to(source)) for p in source.rglob("*"))
    done = pip("wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path / "dist"),
               str(source))
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    after = sorted(str(p.relative_to(source)) for p in source.rglob("*"))
    assert after == before  # no build/, no *.egg-info
    assert "setup.py" not in before and "pyproject.toml" in before
    [wheel] = (tmp_path / "dist").glob("fer_edge_harness-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = email.message_from_bytes(archive.read(
            next(n for n in names if n.endswith(".dist-info/METADATA"))))
    assert "fer_edge_harness/suite/conftest.py" in names
    assert "fer_edge_harness/backends/cuda_memory.py" in names
    assert not any(n.startswith("build_backend") for n in names)
    assert metadata["Requires-Python"] == ">=3.6"
    requires = metadata.get_all("Requires-Dist")
    assert 'numpy<2; extra == "tflite-runtime"' in requires
    assert 'tflite-runtime; extra == "tflite-runtime"' in requires


def test_tflite_runtime_extra_resolves_to_numpy_1(tmp_path):
    """What pip would install for `pip install "./harness[tflite-runtime]"` here."""
    source = clean_copy(tmp_path)
    report = tmp_path / "report.json"
    done = pip("install", "--dry-run", "--ignore-installed", "--quiet", "--report",
               str(report), f"{source}[tflite-runtime]")
    if done.returncode != 0 and "No matching distribution" in done.stderr:
        pytest.skip("no tflite-runtime wheel for this Python and platform")
    assert done.returncode == 0, done.stderr[-2000:]
    chosen = {item["metadata"]["name"].lower(): item["metadata"]["version"]
              for item in json.loads(report.read_text())["install"]}
    assert "tflite-runtime" in chosen
    assert int(chosen["numpy"].split(".")[0]) == 1


SHOW_VERSION = "import sys; print('%d.%d' % sys.version_info[:2])"


def interpreter(version: str) -> str | None:
    """A Python `version` ("3.6") interpreter, if this machine has one (PATH or pyenv)."""
    candidates = [shutil.which(f"python{version}") or ""]
    candidates += sorted(glob.glob(os.path.expanduser(
        f"~/.pyenv/versions/{version}.*/bin/python{version}")))
    for candidate in filter(None, candidates):
        done = subprocess.run([candidate, "-c", SHOW_VERSION],
                              capture_output=True, text=True)
        if done.returncode == 0 and done.stdout.strip() == version:
            return candidate
    return None


def venv_with(tmp_path: Path, version: str, pip_version: str, *packages: str) -> str:
    """A fresh venv of that Python and pip with `packages` installed; its python's path."""
    venv = tmp_path / f"py{version}"
    subprocess.run([interpreter(version), "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    for args in (("install", "--quiet", f"pip=={pip_version}"),
                 ("install", "--quiet", *packages)):
        done = pip(*args, python=python)
        assert done.returncode == 0, done.stderr[-3000:]
    return python


def run_suite_with(python: str, bundle_dir: Path, backends: str, out: Path, cwd: Path):
    suite = subprocess.run([python, "-c", "import fer_edge_harness.suite as s, os; "
                            "print(os.path.dirname(s.__file__))"],
                           capture_output=True, text=True, check=True).stdout.strip()
    return subprocess.run([python, "-m", "pytest", suite, "-p", "no:cacheprovider",
                           "--bundle", str(bundle_dir), "--backend", backends,
                           "--device-label", "old-python", "--threads", "1", "--rounds", "3",
                           "--warmup-rounds", "1", "--benchmark-json", str(out)],
                          capture_output=True, text=True, timeout=600, cwd=str(cwd))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return shared_tiny_bundle(tmp_path_factory)


# The TensorRT backend's GPU memory path on the Nano's Python and NumPy, over the libcudart
# stand-in: pinned host array, device buffer, copies both ways, everything freed.
CUDART_ROUND_TRIP = """
import numpy as np
from fer_edge_harness.backends.cuda_memory import cuda_memory
memory = cuda_memory()
host = memory.host((1, 7), np.float32)
host[...] = np.arange(7)
back = memory.host((1, 7), np.float32)
_, pointer = memory.device(host.nbytes)
memory.to_device(pointer, host)
memory.to_host(back, pointer)
memory.synchronize()
assert back.tolist() == [list(range(7))], back
assert memory.live_allocations() == 3
memory.close()
print(memory.live_allocations(), np.__version__, memory.versions["cuda_runtime"])
"""


@pytest.mark.skipif(interpreter("3.6") is None, reason="no Python 3.6 interpreter here")
def test_python_3_6_installs_with_pip_21_3_1_and_runs_the_suite(tiny, tmp_path,
                                                                tmp_path_factory):
    """L4T r32.7's situation: Python 3.6; pip upgraded to 21.3.1 (its last); ONNX Runtime
    1.10.0, the last with Python 3.6 wheels, which reads ONNX up to opset 15: the bundle's
    opset-13 file runs on it. The ctypes libcudart path runs there too (on the stand-in)."""
    python = venv_with(tmp_path, "3.6", "21.3.1", str(clean_copy(tmp_path)), "onnxruntime==1.10.0")
    cudart = private_copy(FAKE_CUDART, tmp_path_factory, tmp_path / "libcudart.so.10.2")
    done = subprocess.run([python, "-c", CUDART_ROUND_TRIP], capture_output=True, text=True,
                          env={**os.environ, "FER_EDGE_CUDART": str(cudart)}, cwd=str(tmp_path))
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["0", "1.19.5", "10.2"]
    assert not (HARNESS / "build").exists()
    out = tmp_path / "py36.json"
    done = run_suite_with(python, tiny, "onnxruntime", out, tmp_path)
    assert done.returncode == 0, done.stdout[-3000:]
    document = json.loads(out.read_text())
    assert document["fer_edge"]["complete"] is True and document["fer_edge"]["failures"] == []
    for bench in document["benchmarks"]:
        versions = bench["extra_info"]["runtime_versions"]
        assert versions["python"].startswith("3.6.") and versions["onnxruntime"] == "1.10.0"
        assert 0 <= bench["extra_info"]["accuracy"] <= 100


@pytest.mark.skipif(interpreter("3.9") is None, reason="no Python 3.9 interpreter here")
def test_python_3_9_runs_openvino_2022_3_1_and_the_tflite_runtime_extra(tiny, tmp_path):
    """The NCS2's and Coral's generation: OpenVINO 2022.3.1 (the last with MYRIAD; its CPU
    plugin here) reads the IR this machine's OpenVINO wrote, and `./harness[tflite-runtime]`
    gives tflite-runtime 2.14 with a NumPy 1.x it runs with."""
    python = venv_with(tmp_path, "3.9", "24.0", "openvino==2022.3.1",
                       f"{clean_copy(tmp_path)}[tflite-runtime]")
    out = tmp_path / "py39.json"
    done = run_suite_with(python, tiny, "openvino,tflite,tflite-int8", out, tmp_path)
    assert done.returncode == 0, done.stdout[-3000:]
    document = json.loads(out.read_text())
    assert document["fer_edge"]["failures"] == []
    seen = {}
    for bench in document["benchmarks"]:
        info = bench["extra_info"]
        versions = info["runtime_versions"]
        assert versions["numpy"].startswith("1.")
        seen[info["backend"]] = versions.get("openvino") or versions.get("tflite_runtime")
        if info["backend"] == "openvino":
            assert info["artifact_format"] == "openvino_fp16" and info["precision"] == "fp32"
            assert info["backend_details"]["properties_unset"] == {}
    assert seen["openvino"].startswith("2022.3.1")
    assert seen["tflite"] == seen["tflite-int8"] == "2.14.0"
