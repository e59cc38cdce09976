"""The edgetpu export through a stand-in `edgetpu_compiler` that prints the real compiler's log
format (Coral docs and google-coral/edgetpu issue logs), and the format planning rules."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import numpy as np
import pytest

from fer_edge_core.errors import UserInputError
from fer_edge_harness.bundle import (
    STATUS_BUILT,
    STATUS_FAILED,
    STATUS_NOT_BUILT,
    sha256_file,
)
from fer_edge_search.export.base import ExportContext
from fer_edge_search.export.edgetpu import NOT_ON_PATH, parse_compiler_log
from fer_edge_search.export.registry import parse_formats, plan_formats
from fer_edge_search.export.step import export_format

HEAD = """Edge TPU Compiler version 16.0.384591198
Started a compilation timeout timer of 180 seconds.

Model compiled successfully in 15 ms.

Input model: {src}
Input size: 25.88KiB
Output model: {out}
Output size: 91.45KiB
On-chip memory used for caching model parameters: 27.00KiB
On-chip memory remaining for caching model parameters: 7.98MiB
Off-chip memory used for streaming uncached model parameters: 0.00B
Number of Edge TPU subgraphs: 1
Total number of operations: 11
Operation log: {log}
"""
# Every op mapped: the compiler prints no "will run on Edge TPU" line, only the table.
FULL = """
Operator                       Count      Status

CONV_2D                        4          Mapped to Edge TPU
MAX_POOL_2D                    2          Mapped to Edge TPU
RESHAPE                        1          Mapped to Edge TPU
FULLY_CONNECTED                3          Mapped to Edge TPU
SOFTMAX                        1          Mapped to Edge TPU
Compilation child process completed within timeout period.
Compilation succeeded!
"""
PARTIAL = """
Model successfully compiled but not all operations are supported by the Edge TPU. A percentage \
of the model will instead run on the CPU, which is slower.
Number of operations that will run on Edge TPU: 9
Number of operations that will run on CPU: 2

Operator                       Count      Status

CONV_2D                        4          Mapped to Edge TPU
MAX_POOL_2D                    2          Mapped to Edge TPU
RESHAPE                        1          Mapped to Edge TPU
FULLY_CONNECTED                2          Mapped to Edge TPU
FULLY_CONNECTED                1          More than one subgraph is not supported
SOFTMAX                        1          More than one subgraph is not supported
"""

FAKE_COMPILER = """#!{python}
import os, sys
args = sys.argv[1:]
out_dir = args[args.index("-o") + 1] if "-o" in args else "."
src = args[-1]
stem = os.path.splitext(os.path.basename(src))[0]
mode = os.environ.get("FAKE_EDGETPU_MODE", "full")
if mode == "fail":
    print("Edge TPU Compiler version 16.0.384591198")
    print()
    print("Internal compiler error. Aborting! ")
    sys.exit(1)
out = os.path.join(out_dir, stem + "_edgetpu.tflite")
log = os.path.join(out_dir, stem + "_edgetpu.log")
with open(src, "rb") as f, open(out, "wb") as g:
    g.write(b"EDGETPU" + f.read())
with open(log, "w") as g:
    g.write("operation log")
head = {head!r}.format(src=src, out=out, log=log)
print(head + ({full!r} if mode == "full" else {partial!r}))
"""


@pytest.fixture
def fake_compiler(tmp_path, monkeypatch) -> Path:
    """An `edgetpu_compiler` on PATH that writes `<name>_edgetpu.tflite` like the real one."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "edgetpu_compiler"
    script.write_text(FAKE_COMPILER.format(python=sys.executable, head=HEAD, full=FULL,
                                           partial=PARTIAL))
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return script


@pytest.fixture
def ctx(tmp_path) -> ExportContext:
    """A model folder whose tflite_int8 is built (a stand-in file: the fake compiler copies it)."""
    bundle = tmp_path / "bundle"
    (bundle / "m1").mkdir(parents=True)
    int8 = bundle / "m1" / "model_int8.tflite"
    int8.write_bytes(b"TFL3-int8-model")
    return ExportContext(model_id="m1", model=None, model_b1=None, bundle_dir=bundle,
                         model_dir="m1", calibration=np.zeros((0, 48, 48, 1), np.float32),
                         built={"tflite_int8": int8})


def _export(ctx: ExportContext) -> dict:
    empty = np.zeros((0, 48, 48, 1), np.float32)
    return export_format("edgetpu", ctx, empty, empty)


def test_parse_log_when_every_op_maps():
    info = parse_compiler_log(HEAD.format(src="a", out="b", log="c") + FULL)
    assert info == {"compiler_version": "16.0.384591198", "ops_total": 11, "ops_on_tpu": 11,
                    "ops_on_cpu": 0, "subgraphs": 1}


def test_parse_log_when_some_ops_stay_on_cpu():
    info = parse_compiler_log(HEAD.format(src="a", out="b", log="c") + PARTIAL)
    assert (info["ops_total"], info["ops_on_tpu"], info["ops_on_cpu"]) == (11, 9, 2)


def test_edgetpu_built_with_compiler_facts(fake_compiler, ctx):
    record = _export(ctx)
    assert record["status"] == STATUS_BUILT, record
    path = ctx.bundle_dir / record["path"]
    assert record["path"] == "m1/model_int8_edgetpu.tflite"
    assert path.read_bytes() == b"EDGETPU" + b"TFL3-int8-model"
    assert record["sha256"] == sha256_file(path) and record["bytes"] == path.stat().st_size
    assert record["compiler_version"] == "16.0.384591198"
    assert (record["ops_total"], record["ops_on_tpu"], record["ops_on_cpu"]) == (11, 11, 0)
    assert record["reason"] is None
    assert record["check"]["ran"] is False  # needs the TPU; its int8 source is checked
    # The compiler's own .log stays out of the bundle.
    assert sorted(p.name for p in (ctx.bundle_dir / "m1").iterdir()) == [
        "model_int8.tflite", "model_int8_edgetpu.tflite"]


def test_edgetpu_partial_mapping_is_noted(fake_compiler, ctx, monkeypatch):
    monkeypatch.setenv("FAKE_EDGETPU_MODE", "partial")
    record = _export(ctx)
    assert record["status"] == STATUS_BUILT
    assert record["ops_on_tpu"] == 9
    assert record["reason"].startswith("only 9 of 11 ops run on the Edge TPU")


def test_edgetpu_compiler_failure_is_recorded(fake_compiler, ctx, monkeypatch):
    monkeypatch.setenv("FAKE_EDGETPU_MODE", "fail")
    record = _export(ctx)
    assert record["status"] == STATUS_FAILED and record["path"] is None
    assert "Internal compiler error" in record["reason"] and "exit 1" in record["reason"]
    assert not (ctx.bundle_dir / "m1" / "model_int8_edgetpu.tflite").exists()


def test_edgetpu_not_built_without_compiler(ctx, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    record = _export(ctx)
    assert record == {"path": None, "sha256": None, "bytes": None, "status": STATUS_NOT_BUILT,
                      "reason": NOT_ON_PATH, "check": None}


def test_edgetpu_not_built_when_int8_was_not(fake_compiler, ctx):
    ctx.built.clear()
    record = _export(ctx)
    assert record["status"] == STATUS_NOT_BUILT
    assert record["reason"] == "needs tflite_int8, which was not built"


def test_plan_adds_keras_and_prerequisites_in_bundle_order():
    assert plan_formats(["edgetpu"]) == ["keras", "tflite_int8", "edgetpu"]
    assert plan_formats(["onnx", "tflite_fp32"]) == ["keras", "tflite_fp32", "onnx"]
    assert plan_formats(None) == ["keras", "tflite_fp32", "tflite_int8", "onnx",
                                  "openvino_fp16", "edgetpu"]


def test_parse_formats():
    assert parse_formats(None) is None
    assert parse_formats(" onnx, keras ") == ["onnx", "keras"]
    with pytest.raises(UserInputError, match="unknown format tensorrt"):
        parse_formats("onnx,tensorrt")
