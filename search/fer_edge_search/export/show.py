"""`fer-edge bundle show`: a bundle's models and artifacts as one rich table, reasons below it."""

from __future__ import annotations

from rich import box
from rich.table import Table

from fer_edge_harness.bundle import STATUS_BUILT, STATUS_DISAGREES, STATUS_FAILED
from fer_edge_harness.manifest_schema import (
    Artifact,
    Baseline,
    Check,
    Dataset,
    Input,
    Layer,
    Manifest,
    Model,
    ModelConfig,
    TestSet,
)

STATUS_STYLE = {STATUS_BUILT: "green", STATUS_DISAGREES: "yellow", STATUS_FAILED: "red"}


def human_bytes(n: int | None) -> str:
    """1536 -> '1.5 KiB'."""
    if n is None:
        return "-"
    if n < 1024:
        return f"{n} B"
    size = n / 1024
    for unit in ("KiB", "MiB"):
        if size < 1024:
            return f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"


def _total_bytes(art: dict) -> int | None:
    """Size of an artifact with its second file (OpenVINO's .bin holds the weights)."""
    if art.get(Artifact.BYTES) is None:
        return None
    return art[Artifact.BYTES] + (art.get(Artifact.WEIGHTS) or {}).get(Artifact.BYTES, 0)


def _check_cells(check: dict | None) -> tuple[str, str]:
    """(agreement, max diff) cells of an artifact's check record."""
    if not check:
        return "-", "-"
    if Check.AGREEMENT not in check:
        return "not run", ""
    return f"{check[Check.AGREEMENT]:.3f}", f"{check[Check.MAX_ABS_DIFF]:.2g}"


def _model_cells(model: dict) -> list[str]:
    """Id, parameters and stage-1 accuracy of a model: the model column of its first rows."""
    val = model.get(Model.VAL_ACCURACY)
    config = model.get(Model.CONFIG) or {}
    cells = [str(model.get(Model.ID)), f"{model.get(Model.PARAMS)} params"]
    if isinstance(val, int | float):
        cells.append(f"val {val:.1f}%")
    elif ModelConfig.EXTERNAL in config:
        cells.append(ModelConfig.EXTERNAL)
    if ModelConfig.BASELINE in config:
        cells.append(ModelConfig.BASELINE)
    return cells


def bundle_table(manifest: dict) -> Table:
    """One row per (model, format): status, size, sha256 prefix, agreement with Keras."""
    dataset = manifest.get(Manifest.DATASET, {})
    title = (f"{manifest.get(Manifest.NAME)}: {len(manifest.get(Manifest.MODELS, []))} "
             f"model(s), dataset {dataset.get(Dataset.NAME)}, "
             f"{manifest.get(Manifest.TEST_SET, {}).get(TestSet.N)} test images, "
             f"input {manifest.get(Manifest.INPUT, {}).get(Input.SHAPE)}")
    table = Table(title=title, caption=f"bundle sha256 {manifest.get(Manifest.BUNDLE_SHA256)}",
                  box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    for column in ("model", "format", "status", "size", "sha256", "agree", "max diff"):
        table.add_column(column, no_wrap=column not in ("model", "status"), overflow="fold",
                         min_width=10 if column == "status" else None,
                         justify="right" if column in ("size", "agree", "max diff") else "left")
    for model in manifest.get(Manifest.MODELS, []):
        cells = _model_cells(model)
        for row, (fmt, art) in enumerate(model.get(Model.ARTIFACTS, {}).items()):
            status = art.get(Artifact.STATUS, "?")
            style = STATUS_STYLE.get(status, "dim")
            table.add_row(cells[row] if row < len(cells) else "", fmt,
                          f"[{style}]{status}[/{style}]", human_bytes(_total_bytes(art)),
                          (art.get(Artifact.SHA256) or "-")[:8],
                          *_check_cells(art.get(Artifact.CHECK)))
        table.add_section()
    return table


def layer_table(model: dict) -> Table:
    """A baseline's layers as the manifest lists them (read from the exported Keras model):
    name, type, settings, output shape, params, and the total."""
    baseline = (model.get(Model.CONFIG) or {}).get(ModelConfig.BASELINE) or {}
    layers = model.get(Model.LAYERS) or []
    table = Table(title=f"{model.get(Model.ID)}: {baseline.get(Baseline.TITLE, '')}",
                  caption=baseline.get(Baseline.REFERENCE), box=box.SIMPLE_HEAD,
                  pad_edge=False, collapse_padding=True, show_footer=True)
    total = sum(int(layer.get(Layer.PARAMS) or 0) for layer in layers)
    for column, footer in (("layer", "total"), ("type", ""), ("settings", ""), ("output", ""),
                           ("params", f"{total:,}")):
        table.add_column(column, footer=footer, overflow="fold",
                         justify="right" if column == "params" else "left")
    for layer in layers:
        table.add_row(str(layer.get(Layer.NAME)), str(layer.get(Layer.TYPE)),
                      str(layer.get(Layer.SETTINGS) or ""),
                      "x".join(str(d) for d in layer.get(Layer.OUTPUT) or []),
                      f"{int(layer.get(Layer.PARAMS) or 0):,}")
    return table


def reason_lines(manifest: dict) -> list[str]:
    """`MODEL/FORMAT: reason` for every artifact that carries one."""
    return [f"{model.get(Model.ID)}/{fmt}: {art[Artifact.REASON]}"
            for model in manifest.get(Manifest.MODELS, [])
            for fmt, art in model.get(Model.ARTIFACTS, {}).items() if art.get(Artifact.REASON)]


def print_bundle(manifest: dict) -> None:
    """The table, then the reasons (too long for a column)."""
    from rich.console import Console
    from rich.markup import escape

    console = Console()
    console.print(bundle_table(manifest))
    for model in manifest.get(Manifest.MODELS, []):
        if model.get(Model.LAYERS):
            console.print(layer_table(model))
    for line in reason_lines(manifest):
        console.print(escape(line), soft_wrap=True)
