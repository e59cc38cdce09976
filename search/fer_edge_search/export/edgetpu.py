"""The `edgetpu` format: the int8 TFLite compiled by Coral's `edgetpu_compiler`, where it exists.

The compiler ships only for x86-64 Debian/Ubuntu (Coral's apt repository); nothing here
installs it. Its log says how many ops it mapped to the TPU: the rest run on the host CPU.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from fer_edge_harness.manifest_schema import Artifact
from fer_edge_search.export.base import ExportContext, Exporter, ExportOutput, UnsupportedExport

COMPILER = "edgetpu_compiler"
NOT_ON_PATH = f"{COMPILER} not on PATH (x86-64 Debian/Ubuntu only: Coral apt repo)"
TIMEOUT_S = 600

_VERSION = re.compile(r"Edge TPU Compiler version (\S+)")
_TOTAL = re.compile(r"Total number of operations:\s*(\d+)")
_ON_TPU = re.compile(r"Number of operations that will run on Edge TPU:\s*(\d+)")
_SUBGRAPHS = re.compile(r"Number of Edge TPU subgraphs:\s*(\d+)")
_TABLE_ROW = re.compile(r"^(\w+)\s+(\d+)\s+(\S.*?)\s*$")


def parse_compiler_log(text: str) -> dict:
    """Compiler version and op counts from `edgetpu_compiler -s` output.

    When every op maps, the compiler omits the "will run on Edge TPU" line: then the operator
    table (rows "OP  COUNT  Mapped to Edge TPU") or, failing that, the total gives the count.
    """
    version = _VERSION.search(text)
    total = _TOTAL.search(text)
    on_tpu = _ON_TPU.search(text)
    subgraphs = _SUBGRAPHS.search(text)
    rows = [m.groups() for m in map(_TABLE_ROW.match, text.splitlines()) if m]
    table = [(op, int(count), status) for op, count, status in rows if op != "Operator"]
    if on_tpu:
        mapped = int(on_tpu.group(1))
    elif table:
        mapped = sum(count for _, count, status in table if status == "Mapped to Edge TPU")
    else:
        mapped = int(total.group(1)) if total else None
    ops_total = int(total.group(1)) if total else None
    return {
        Artifact.COMPILER_VERSION: version.group(1) if version else None,
        Artifact.OPS_TOTAL: ops_total,
        Artifact.OPS_ON_TPU: mapped,
        Artifact.OPS_ON_CPU: (ops_total - mapped if ops_total is not None and mapped is not None
                              else None),
        Artifact.SUBGRAPHS: int(subgraphs.group(1)) if subgraphs else None,
    }


class EdgetpuExporter(Exporter):
    """Runs the compiler on the tflite_int8 file already in the bundle; never runs it here."""

    format = "edgetpu"
    precision = "int8"
    runtime = None  # needs an Edge TPU: the board checks it (its int8 source was checked here)
    requires = ("tflite_int8",)
    file_name = "model_int8_edgetpu.tflite"

    def check(self) -> None:
        if shutil.which(COMPILER) is None:
            raise UnsupportedExport(NOT_ON_PATH)

    def export(self, ctx: ExportContext) -> ExportOutput:
        source = ctx.built["tflite_int8"]
        with tempfile.TemporaryDirectory() as work:
            # -s prints the operator table; the compiler's own .log stays out of the bundle.
            proc = subprocess.run([COMPILER, "-s", "-o", work, str(source)], capture_output=True,
                                  text=True, timeout=TIMEOUT_S, check=False)
            log = proc.stdout + proc.stderr
            compiled = Path(work) / f"{source.stem}_edgetpu.tflite"
            if proc.returncode != 0 or not compiled.is_file():
                last = log.strip().splitlines()[-1] if log.strip() else "no output"
                raise RuntimeError(f"{COMPILER} exit {proc.returncode}: {last}")
            path = ctx.target(self.file_name)
            shutil.move(str(compiled), path)
        info = parse_compiler_log(log)
        note = None
        if info[Artifact.OPS_ON_CPU]:
            note = (f"only {info[Artifact.OPS_ON_TPU]} of {info[Artifact.OPS_TOTAL]} ops run on "
                    "the Edge TPU; the rest fall back to the CPU")
        return ExportOutput(path=path, info=info, note=note)
