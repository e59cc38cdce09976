"""`fer-edge bundle show`: a bundle's models and artifacts as one rich table, reasons below it."""

from __future__ import annotations

from rich import box
from rich.table import Table

from fer_edge_harness.bundle import STATUS_BUILT, STATUS_DISAGREES, STATUS_FAILED

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
    if art.get("bytes") is None:
        return None
    return art["bytes"] + (art.get("weights") or {}).get("bytes", 0)


def _check_cells(check: dict | None) -> tuple[str, str]:
    """(agreement, max diff) cells of an artifact's check record."""
    if not check:
        return "-", "-"
    if "agreement" not in check:
        return "not run", ""
    return f"{check['agreement']:.3f}", f"{check['max_abs_diff']:.2g}"


def _model_cells(model: dict) -> list[str]:
    """Id, parameters and stage-1 accuracy of a model: the model column of its first rows."""
    val = model.get("val_accuracy")
    config = model.get("config") or {}
    cells = [str(model.get("id")), f"{model.get('params')} params"]
    if isinstance(val, int | float):
        cells.append(f"val {val:.1f}%")
    elif "external" in config:
        cells.append("external")
    if "baseline" in config:
        cells.append("baseline")
    return cells


def bundle_table(manifest: dict) -> Table:
    """One row per (model, format): status, size, sha256 prefix, agreement with Keras."""
    dataset = manifest.get("dataset", {})
    title = (f"{manifest.get('name')}: {len(manifest.get('models', []))} model(s), dataset "
             f"{dataset.get('name')}, {manifest.get('test_set', {}).get('n')} test images, "
             f"input {manifest.get('input', {}).get('shape')}")
    table = Table(title=title, caption=f"bundle sha256 {manifest.get('bundle_sha256')}",
                  box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    for column in ("model", "format", "status", "size", "sha256", "agree", "max diff"):
        table.add_column(column, no_wrap=column not in ("model", "status"), overflow="fold",
                         min_width=10 if column == "status" else None,
                         justify="right" if column in ("size", "agree", "max diff") else "left")
    for model in manifest.get("models", []):
        cells = _model_cells(model)
        for row, (fmt, art) in enumerate(model.get("artifacts", {}).items()):
            status = art.get("status", "?")
            style = STATUS_STYLE.get(status, "dim")
            table.add_row(cells[row] if row < len(cells) else "", fmt,
                          f"[{style}]{status}[/{style}]", human_bytes(_total_bytes(art)),
                          (art.get("sha256") or "-")[:8], *_check_cells(art.get("check")))
        table.add_section()
    return table


def layer_table(model: dict) -> Table:
    """A baseline's layers as the manifest lists them (read from the exported Keras model):
    name, type, settings, output shape, params, and the total."""
    baseline = (model.get("config") or {}).get("baseline") or {}
    layers = model.get("layers") or []
    table = Table(title=f"{model.get('id')}: {baseline.get('title', '')}",
                  caption=baseline.get("reference"), box=box.SIMPLE_HEAD, pad_edge=False,
                  collapse_padding=True, show_footer=True)
    total = sum(int(layer.get("params") or 0) for layer in layers)
    for column, footer in (("layer", "total"), ("type", ""), ("settings", ""), ("output", ""),
                           ("params", f"{total:,}")):
        table.add_column(column, footer=footer, overflow="fold",
                         justify="right" if column == "params" else "left")
    for layer in layers:
        table.add_row(str(layer.get("name")), str(layer.get("type")),
                      str(layer.get("settings") or ""),
                      "x".join(str(d) for d in layer.get("output") or []),
                      f"{int(layer.get('params') or 0):,}")
    return table


def reason_lines(manifest: dict) -> list[str]:
    """`MODEL/FORMAT: reason` for every artifact that carries one."""
    return [f"{model.get('id')}/{fmt}: {art['reason']}"
            for model in manifest.get("models", [])
            for fmt, art in model.get("artifacts", {}).items() if art.get("reason")]


def print_bundle(manifest: dict) -> None:
    """The table, then the reasons (too long for a column)."""
    from rich.console import Console
    from rich.markup import escape

    console = Console()
    console.print(bundle_table(manifest))
    for model in manifest.get("models", []):
        if model.get("layers"):
            console.print(layer_table(model))
    for line in reason_lines(manifest):
        console.print(escape(line), soft_wrap=True)
