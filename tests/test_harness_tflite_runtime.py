"""tflite-runtime, the TFLite runtime of the older boards, for real: its last release (2.14) is
built against NumPy 1.x, and beside NumPy 2 (pip's default) its interpreter fails with an opaque
"SystemError ... returned a result with an exception set". The harness must record the real
cause, and the harness's own install must not produce that pair."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from harness_fixtures import run_host_suite, shared_tiny_bundle

from fer_edge_harness import bundle
from fer_edge_harness.backends import tflite as tflite_module
from fer_edge_harness.backends.base import LoadOptions
from fer_edge_harness.results_schema import RUN_INFO_KEY

NUMPY_2 = int(np.__version__.split(".")[0]) >= 2


def test_numpy_abi_problem_reads_the_chained_cause():
    runtime = tflite_module.TfliteRuntime(None, None, {"tflite_runtime": "2.14.0"})
    try:
        try:
            raise ImportError("numpy.core.multiarray failed to import")
        except ImportError as cause:
            raise SystemError("<built-in method CreateWrapperFromFile of PyCapsule object> "
                              "returned a result with an exception set") from cause
    except SystemError as exc:
        problem = tflite_module.numpy_abi_problem(runtime, exc)
    assert str(problem).startswith("tflite_runtime 2.14.0 was built against NumPy 1.x and "
                                   f"cannot run with NumPy {np.__version__}")
    assert "numpy.core.multiarray failed to import" in str(problem)
    assert "./harness[tflite-runtime]" in str(problem)
    assert tflite_module.numpy_abi_problem(runtime, SystemError("other")) is None


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return shared_tiny_bundle(tmp_path_factory)


HIDE_LITERT = "import sys\nsys.modules['ai_edge_litert'] = None\n"


@pytest.mark.slow
@pytest.mark.skipif(not NUMPY_2, reason="the failure needs NumPy 2 beside tflite-runtime")
def test_tflite_runtime_beside_numpy_2_fails_with_its_real_cause(tiny, tmp_path, monkeypatch):
    pytest.importorskip("tflite_runtime")
    monkeypatch.setattr(tflite_module, "_FOUND", {})
    runtime = tflite_module.tflite_runtime(("tflite_runtime",))
    backend = tflite_module.TfliteBackend()
    backend._runtime = runtime
    manifest = bundle.verify_bundle(tiny)
    model = manifest["models"][0]
    path = bundle.artifact_path(tiny, model, "tflite_fp32")
    with pytest.raises(RuntimeError, match=r"tflite_runtime 2\.14\.0 was built against NumPy "
                                           r"1\.x and cannot run with NumPy 2"):
        backend.load(path, LoadOptions(1, 1 / 255, manifest["input"]["shape"], "tflite_fp32"))
    # The suite as a board without ai_edge_litert runs it: the recorded reason is the real one.
    (tmp_path / "fer_hide_litert.py").write_text(HIDE_LITERT)
    out = tmp_path / "tfl.json"
    done = run_host_suite(tiny, out, ["tflite"], "-p", "fer_hide_litert",
                          env={"PYTHONPATH": str(tmp_path)})
    assert done.returncode == 1, done.stdout[-2000:]
    failures = json.loads(out.read_text())[RUN_INFO_KEY]["failures"]
    assert failures and all(f["reason"].startswith(
        "load failed: RuntimeError: tflite_runtime 2.14.0 was built against NumPy 1.x")
        for f in failures)
    assert "SystemError" not in json.dumps(failures)
