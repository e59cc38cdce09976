"""The edgetpu backend without an Edge TPU: libedgetpu played by a compiled stand-in
(fixtures/edgetpu) that answers edgetpu_version() and exports the external-delegate entry points
a TFLite runtime loads, with a delegate that maps nothing; the real LiteRT interpreter then runs
the whole model on the CPU, the silent failure the backend must refuse. Coral's tflite_runtime is
played by LiteRT's own interpreter under that name, with Coral's version."""

from __future__ import annotations

import ctypes
import sys
import types
from pathlib import Path

import numpy as np
import pytest
from harness_fixtures import shared_tiny_bundle
from native_stand_ins import FAKE_LIBEDGETPU, private_copy

from fer_edge_harness import bundle
from fer_edge_harness.backends import edgetpu as edgetpu_module
from fer_edge_harness.backends import tflite as tflite_module
from fer_edge_harness.backends.base import LoadOptions
from fer_edge_harness.backends.edgetpu import EdgetpuBackend, mapped_ops_problem

VERSION = ("BuildLabel(COMPILER=6.3.0 20170516,DATE=redacted,TIME=redacted,CL_NUMBER=291256449),"
           " RuntimeVersion(14)")


def coral_tflite_runtime(version: str = "2.5.0.post1") -> types.ModuleType:
    """A `tflite_runtime` module: LiteRT's interpreter and delegate loader under Coral's name."""
    from ai_edge_litert import interpreter as litert

    module = types.ModuleType("tflite_runtime")
    module.__version__ = version
    module.interpreter = types.ModuleType("tflite_runtime.interpreter")
    module.interpreter.Interpreter = litert.Interpreter
    module.interpreter.load_delegate = litert.load_delegate
    return module


@pytest.fixture
def coral(tmp_path, tmp_path_factory, monkeypatch):
    """The libedgetpu stand-in (as ctypes.CDLL) and Coral's tflite_runtime in place."""
    pytest.importorskip("ai_edge_litert")
    library = private_copy(FAKE_LIBEDGETPU, tmp_path_factory, tmp_path / "libedgetpu.so.1")
    monkeypatch.setattr(edgetpu_module, "_LIBRARIES", {"Linux": str(library)})
    monkeypatch.setattr(tflite_module, "_FOUND", {})
    runtime = coral_tflite_runtime()
    monkeypatch.setitem(sys.modules, "tflite_runtime", runtime)
    monkeypatch.setitem(sys.modules, "tflite_runtime.interpreter", runtime.interpreter)
    return ctypes.CDLL(str(library))


def options(record=None):
    return LoadOptions(1, 1 / 255, (48, 48, 1), "edgetpu", "ab" * 32, "t0001",
                       artifact_info=record)


def test_coral_tflite_runtime_is_preferred_and_both_versions_recorded(coral):
    backend = EdgetpuBackend()  # ai_edge_litert is installed too, and not chosen
    versions = backend.versions()
    assert versions["tflite_runtime"] == "2.5.0.post1" and "ai_edge_litert" not in versions
    assert versions["libedgetpu"] == VERSION


def test_without_coral_tflite_runtime_litert_runs_and_says_so(coral, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "tflite_runtime", None)
    backend = EdgetpuBackend()
    assert "ai_edge_litert" in backend.versions()
    compiled = tmp_path / "model_edgetpu.tflite"
    compiled.write_bytes(b"TFL3 edgetpu-custom-op, and not a flatbuffer")
    with pytest.raises(ValueError):  # LiteRT's own refusal of the bytes
        backend.load(str(compiled), options({"ops_on_tpu": 11, "ops_total": 11}))
    details = backend.details()
    assert details["tflite_runtime_used"] == "ai_edge_litert"
    assert "libedgetpu is built for the tflite_runtime Coral ships" in details["note"]


def test_a_file_the_compiler_mapped_nothing_of_is_refused(coral, tmp_path):
    compiled = tmp_path / "model_edgetpu.tflite"
    compiled.write_bytes(b"TFL3 ... edgetpu-custom-op ...")
    backend = EdgetpuBackend()
    with pytest.raises(RuntimeError, match="mapped none of its 11 ops"):
        backend.load(str(compiled), options({"ops_on_tpu": 0, "ops_total": 11}))
    assert mapped_ops_problem(compiled, {"ops_on_tpu": 9, "ops_total": 11}) is None


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return shared_tiny_bundle(tmp_path_factory)


@pytest.mark.slow
def test_an_uncompiled_int8_model_is_refused_not_timed_on_the_cpu(coral, tiny):
    manifest = bundle.verify_bundle(tiny)
    model = manifest["models"][0]
    int8 = bundle.artifact_path(tiny, model, "tflite_int8")
    # What the backend guards against: with the delegate loaded, the interpreter runs it all.
    runtime = sys.modules["tflite_runtime"].interpreter
    delegate = runtime.load_delegate(edgetpu_module._LIBRARIES["Linux"])
    cpu = runtime.Interpreter(model_path=int8, num_threads=1, experimental_delegates=[delegate])
    cpu.allocate_tensors()
    detail = cpu.get_input_details()[0]
    cpu.set_tensor(detail["index"], np.zeros(detail["shape"], detail["dtype"]))
    cpu.invoke()  # it ran, on the CPU, while a result would say Edge TPU
    assert coral.fake_edgetpu_prepared() == 1  # the delegate was asked and took nothing
    backend = EdgetpuBackend()
    with pytest.raises(RuntimeError, match="has no edgetpu-custom-op: it was not compiled"):
        backend.load(int8, options({"ops_on_tpu": None}))
