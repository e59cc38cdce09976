"""Turn a table (title, headers, string cells) into Markdown, HTML or CSV text."""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from fer_edge_harness.results_schema import Extra

MISSING = "–"
PARTIAL_MARK = " (partial run)"
PARTIAL_NOTE = ("(partial run): measured by a run that did not finish (its results file says "
                "fer_edge.complete false); the models it did not reach are missing from the "
                "ranking.")


def model_label(row: dict[str, Any]) -> str:
    """A row's model id, marked when it comes from the results file of an unfinished run."""
    return str(row[Extra.MODEL_ID]) + (PARTIAL_MARK if row.get("partial_run") else "")


@dataclass
class Table:
    """A rendered-agnostic table: cells are already formatted strings."""

    title: str
    headers: list[str]
    rows: list[list[str]]
    notes: list[str] = field(default_factory=list)


def fmt(value: Any, digits: int = 2) -> str:
    """A cell: numbers to `digits` decimals, None as a dash, anything else as text."""
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def markdown_table(table: Table) -> str:
    """GitHub-flavoured Markdown, pipes in cells escaped."""

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    out = [line(table.headers), line(["---"] * len(table.headers))]
    out += [line(row) for row in table.rows]
    return "\n".join(out) + "\n"


def html_table(table: Table) -> str:
    """A plain <table> with its title as caption and its notes as paragraphs after it."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in table.headers)
    body = "\n".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in table.rows
    )
    notes = "".join(f'<p class="note">{html.escape(n)}</p>' for n in table.notes)
    return (f"<table>\n<caption>{html.escape(table.title)}</caption>\n"
            f"<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>\n{notes}\n")


def csv_text(fields: Sequence[str], rows: Sequence[dict[str, Any]]) -> str:
    """CSV of dict rows in `fields` order; nested values as compact JSON, None as empty."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(fields)
    for row in rows:
        cells = []
        for key in fields:
            value = row.get(key)
            if isinstance(value, dict | list):
                value = json.dumps(value, sort_keys=True, separators=(",", ":"))
            cells.append("" if value is None else value)
        writer.writerow(cells)
    return buffer.getvalue()
