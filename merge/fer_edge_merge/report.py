"""Write the report: one plain HTML page with the paper's tables and PNG figures of a ranking."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fer_edge_core.errors import UserInputError
from fer_edge_core.files import staged_folder, write_atomic
from fer_edge_harness.results_schema import RunInfo
from fer_edge_merge import decision, figures, tables
from fer_edge_merge.ranking import MergedRanking, read_ranking
from fer_edge_merge.render import PARTIAL_NOTE, html_table
from fer_edge_merge.select import board_folder_name

INDEX_HTML = "index.html"
STYLE = """body{font-family:sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;margin:1rem 0}
caption{font-weight:bold;text-align:left;padding:.3rem 0}
th,td{border:1px solid #bbb;padding:.2rem .5rem;text-align:right}th{background:#eee}
td:first-child,td:nth-child(2),td:nth-child(3){text-align:left}
.note{color:#555;font-size:.9rem}.warn{background:#fff3cd;padding:.5rem;border:1px solid #e0c060}
figure{margin:1.5rem 0}img{max-width:100%}figcaption{color:#555;font-size:.9rem}"""


def _figure_html(item: figures.FigureFile) -> str:
    return (f'<figure><h3>{html.escape(item.title)}</h3>'
            f'<img src="{html.escape(item.filename)}" alt="{html.escape(item.title)}">'
            f"<figcaption>{html.escape(item.caption)}</figcaption></figure>\n")


def _draw_figures(rows: list[dict[str, Any]], out_dir: Path) -> tuple[list, list]:
    """Figures 4-7, then one Pareto figure per board."""
    main = [figures.figure4_accuracy(rows, out_dir),
            figures.figure5_accuracy_vs_latency(rows, out_dir),
            figures.figure6_accuracy_per_latency(rows, out_dir),
            figures.figure7_power(rows, out_dir)]
    fronts = [figures.pareto_figure(rows, label, f"pareto_{board_folder_name(label)}.png",
                                    out_dir)
              for label in decision.boards(rows) if decision.board_rows(rows, label)]
    return main, fronts


def _sources_html(merged: MergedRanking) -> str:
    """Input files and warnings recorded by `fer-edge merge`, when merge.json is there."""
    parts = []
    sources = merged.info.get("sources") or []
    if sources:
        unfinished = " <b>(partial: the run did not finish)</b>"
        items = "".join(
            f"<li>{html.escape(s['path'])}: {s['benchmarks']} benchmarks on "
            f"{html.escape(', '.join(s['device_labels']))}, written {html.escape(s['datetime'])}"
            f"{unfinished if s.get(RunInfo.COMPLETE) is False else ''}"
            "</li>" for s in sources)
        parts.append(f"<h2>Sources</h2><ul>{items}</ul>")
    warnings = merged.info.get("warnings") or []
    if warnings:
        items = "".join(f"<li>{html.escape(w)}</li>" for w in warnings)
        parts.append(f"<h2>Warnings from merge</h2><ul>{items}</ul>")
    return "\n".join(parts)


def _body(merged: MergedRanking, main: list, fronts: list) -> str:
    rows = merged.rows
    out = [f"<h1>fer-edge report</h1><p>{len(rows)} measurements on "
           f"{len(decision.boards(rows))} boards, from {html.escape(str(merged.directory))}.</p>"]
    if not decision.has_power(rows):
        out.append(f'<p class="warn">{tables.NO_POWER_NOTE}. The final choice per board is the '
                   "stage-2 decision: the best model by accuracy/latency.</p>")
    partial = sorted({str(r.get("source")) for r in rows if r.get("partial_run")})
    if partial:
        out.append(f'<p class="warn">Results of runs that did not finish, from '
                   f'{html.escape(", ".join(partial))}: models marked {html.escape(PARTIAL_NOTE)}'
                   "</p>")
    stand_in = tables.stand_in_note(rows)
    if stand_in:
        out.append(f'<p class="warn">{html.escape(stand_in)}</p>')
    out.append(html_table(tables.final_choice(rows)))
    flagged = tables.flagged_table(rows)
    if flagged is not None:
        out.append(f'<p class="warn">{len(flagged.rows)} of {len(rows)} latencies are flagged: '
                   "they are ranked, but their rank may not hold (table below).</p>")
        out.append(html_table(flagged))
    out.append(html_table(tables.table2(rows)))
    out.append(html_table(tables.table3(rows)))
    table4 = tables.table4(rows)
    out.append(html_table(table4) if table4 else
               '<p class="note">Table 4: no baselines measured (train them with `fer-edge '
               "baselines` and bundle them with --baselines, or `fer-edge bundle import` "
               "one).</p>")
    out.append("<h2>Figures</h2>" + "".join(_figure_html(f) for f in main))
    out.append("<h2>Pareto fronts per board</h2>" + "".join(_figure_html(f) for f in fronts))
    if merged.failures or merged.skipped or merged.partial:
        out.append(html_table(tables.failures_table(merged.failures, merged.skipped,
                                                    merged.partial)))
    out.append(_sources_html(merged))
    return "\n".join(out)


def _check_out(out: Path, ranking_dir: Path) -> None:
    """The report replaces `out` whole: only a missing or empty folder, or an earlier report
    (index.html and PNG figures), may be replaced, never the user's other files."""
    if out.exists() and not out.is_dir():
        raise UserInputError(out, "exists and is not a folder")
    if out.resolve() == ranking_dir.resolve():
        raise UserInputError(out, "is the ranking folder itself: give the report its own --out")
    foreign = sorted(p.name for p in out.iterdir()
                     if p.name != INDEX_HTML and p.suffix != ".png") if out.is_dir() else []
    if foreign:
        raise UserInputError(out, f"holds files that are not a fer-edge report "
                             f"({', '.join(foreign[:3])}{' ...' if len(foreign) > 3 else ''}): "
                             "will not replace it; give an empty or new --out")


def write_report(ranking_dir: str | Path, out_dir: str | Path) -> Path:
    """Draw the figures and write OUT/index.html for the ranking in `ranking_dir`, all at once:
    built in a hidden folder beside OUT and moved into place only when complete, so a failure
    leaves the earlier report (or nothing), never PNGs without their page."""
    merged = read_ranking(ranking_dir)
    out = Path(out_dir)
    _check_out(out, Path(ranking_dir))
    with staged_folder(out) as stage:
        main, fronts = _draw_figures(merged.rows, stage)
        created = datetime.now(UTC).isoformat(timespec="seconds")
        page = (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
                f"<title>fer-edge report</title><style>{STYLE}</style></head>\n<body>\n"
                f"{_body(merged, main, fronts)}\n<p class=\"note\">Written {created}.</p>\n"
                "</body></html>\n")
        write_atomic(stage / INDEX_HTML, page)
    return out / INDEX_HTML
