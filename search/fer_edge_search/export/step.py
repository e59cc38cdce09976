"""The one wrapper every export goes through: make, time, check, hash, record the status.

Like Ultralytics' benchmark status column, an export never stops the bundle: it ends as
built, built-but-disagrees (checked beyond its tolerance), failed (raised) or not-built
(a prerequisite or a tool is missing), each with its reason.
"""

from __future__ import annotations

import logging
import time
import traceback

import numpy as np

from fer_edge_harness.bundle import (
    STATUS_BUILT,
    STATUS_DISAGREES,
    STATUS_FAILED,
    STATUS_NOT_BUILT,
    file_record,
)
from fer_edge_harness.manifest_schema import (
    Artifact,
    artifact_record,
    check_not_run,
    empty_artifact,
)
from fer_edge_search.export.base import ExportContext, ExportOutput, UnsupportedExport
from fer_edge_search.export.check import check_artifact
from fer_edge_search.export.registry import exporter_for

log = logging.getLogger(__name__)

# How much of an exception's text a reason keeps (a converter can print pages).
REASON_CHARS = 400


def short_reason(exc: BaseException) -> str:
    """One line: the exception type and the first non-empty line of its message."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    text = f"{type(exc).__name__}: {lines[0] if lines else ''}".rstrip(": ")
    return text[:REASON_CHARS]


def missing_prerequisite(requires: tuple[str, ...], ctx: ExportContext) -> str | None:
    """Why a format cannot be made from what this model has built so far, or None."""
    absent = [need for need in requires if need not in ctx.built]
    return f"needs {', '.join(absent)}, which was not built" if absent else None


def _remove(ctx: ExportContext, fmt: str) -> None:
    """Delete a failed export's files so the bundle holds only what the manifest lists."""
    exporter = exporter_for(fmt)
    for name in (exporter.file_name, *exporter.extra_files):
        (ctx.bundle_dir / ctx.model_dir / name).unlink(missing_ok=True)


def _make(fmt: str, ctx: ExportContext, test_images: np.ndarray,
          reference: np.ndarray) -> tuple[ExportOutput, dict]:
    """Export and check one format; the record's status is built or built-but-disagrees."""
    exporter = exporter_for(fmt)
    start = time.perf_counter()
    output = exporter.export(ctx)
    seconds = time.perf_counter() - start
    weights = None
    if output.weights is not None:
        weights = file_record(ctx.bundle_dir,
                              output.weights.relative_to(ctx.bundle_dir).as_posix())
    record = artifact_record(
        file_record(ctx.bundle_dir, output.path.relative_to(ctx.bundle_dir).as_posix()),
        STATUS_BUILT, output.note, output.info, weights)
    record[Artifact.EXPORT_SECONDS] = round(seconds, 3)
    if exporter.runtime is None:
        record[Artifact.CHECK] = check_not_run(f"{fmt} needs its accelerator to run")
        return output, record
    try:
        check, problem = check_artifact(exporter.runtime, fmt, output.path, test_images,
                                        reference, exporter.precision, ctx.scaling)
    except Exception as exc:
        raise RuntimeError(f"built, but {exporter.runtime} could not run it: "
                           f"{short_reason(exc)}") from exc
    record[Artifact.CHECK] = check
    if problem:
        record.update({Artifact.STATUS: STATUS_DISAGREES, Artifact.REASON: problem})
    return output, record


def export_format(fmt: str, ctx: ExportContext, test_images: np.ndarray,
                  reference: np.ndarray) -> dict:
    """Make one format of one model and return its manifest record, whatever happens."""
    exporter = exporter_for(fmt)
    absent = missing_prerequisite(exporter.requires, ctx)
    if absent:
        return empty_artifact(STATUS_NOT_BUILT, absent)
    try:
        exporter.check()
    except UnsupportedExport as exc:
        return empty_artifact(STATUS_NOT_BUILT, str(exc))
    try:
        output, record = _make(fmt, ctx, test_images, reference)
    except Exception as exc:
        log.debug("export %s/%s failed:\n%s", ctx.model_id, fmt, traceback.format_exc())
        _remove(ctx, fmt)
        return empty_artifact(STATUS_FAILED, short_reason(exc))
    ctx.built[fmt] = output.path
    return record
