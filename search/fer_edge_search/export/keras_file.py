"""The `keras` format: the trained model itself, saved as a .keras file (the fp32 reference)."""

from __future__ import annotations

from fer_edge_search.export.base import ExportContext, Exporter, ExportOutput


class KerasExporter(Exporter):
    """Saves the model as trained (dynamic batch): what the `keras` backend loads on a board."""

    format = "keras"
    precision = "fp32"
    runtime = "keras"
    file_name = "model.keras"

    def export(self, ctx: ExportContext) -> ExportOutput:
        path = ctx.target(self.file_name)
        ctx.model.save(path)
        return ExportOutput(path=path)
