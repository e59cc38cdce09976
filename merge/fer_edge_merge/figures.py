"""The paper's Figures 4-7 and per-board Pareto fronts as PNG files (matplotlib, no display).

Each function draws one figure from ranking rows and returns its file name, title and caption.
Baselines (decision.is_baseline) are left to Table 4, as in the paper. Where no power was measured,
the power figure says so instead of drawing watts.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from matplotlib.figure import Figure

from fer_edge_core.files import write_atomic
from fer_edge_harness.results_schema import Extra
from fer_edge_merge.decision import board_rows, boards, has_power
from fer_edge_merge.pareto import pareto_front
from fer_edge_merge.tables import NO_POWER_NOTE, stand_in_note

Row = dict[str, Any]
TOP_POWER = 10  # Figure 7: the top 10 per board by accuracy/latency (the paper's stage 3).


class FigureFile(NamedTuple):
    filename: str
    title: str
    caption: str


def _save(fig: Figure, path: Path, tight: bool = True) -> None:
    """PNG through memory, then an atomic write: a reader never sees half an image."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight" if tight else None)
    write_atomic(path, buffer.getvalue())


def _per_board(rows: Sequence[Row], key: str) -> tuple[list[str], list[list[float]]]:
    labels = [b for b in boards(rows) if board_rows(rows, b)]
    return labels, [[r[key] for r in board_rows(rows, b) if r[key] is not None] for b in labels]


def _box_strip(rows: Sequence[Row], key: str, ylabel: str, title: str, path: Path) -> None:
    """A box per board with every model drawn as a jittered dot over it."""
    labels, values = _per_board(rows, key)
    fig = Figure(figsize=(max(6.0, 1.3 * len(labels) + 2), 4.5))
    ax = fig.subplots()
    ax.boxplot(values, showfliers=False, widths=0.5)
    jitter = np.random.default_rng(0)
    for position, board_values in enumerate(values, start=1):
        xs = position + jitter.uniform(-0.15, 0.15, len(board_values))
        ax.scatter(xs, board_values, s=14, alpha=0.6, zorder=3)
    ax.set_xticks(range(1, len(labels) + 1), labels, rotation=20, ha="right")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(axis="y", alpha=0.3)
    _save(fig, path)


def figure4_accuracy(rows: Sequence[Row], out_dir: Path) -> FigureFile:
    name = "figure4_accuracy.png"
    _box_strip(rows, Extra.ACCURACY, "accuracy (%)", "Accuracy of every model per board",
               out_dir / name)
    return FigureFile(name, "Figure 4: accuracy of all models on each board",
                      "One dot per model; the box spans the middle half.")


def figure6_accuracy_per_latency(rows: Sequence[Row], out_dir: Path) -> FigureFile:
    name = "figure6_accuracy_per_latency.png"
    _box_strip(rows, "fit_latency", "accuracy / latency (% per ms)",
               "Accuracy/latency of every model per board", out_dir / name)
    return FigureFile(name, "Figure 6: accuracy/latency of all models on each board",
                      "Stage 2's fitness; higher is better.")


def figure5_accuracy_vs_latency(rows: Sequence[Row], out_dir: Path) -> FigureFile:
    """One scatter, a colour per board; a log latency axis when boards differ tenfold."""
    name = "figure5_accuracy_vs_latency.png"
    fig = Figure(figsize=(8, 5))
    ax = fig.subplots()
    for label in boards(rows):
        mine = board_rows(rows, label)
        if mine:
            ax.scatter([r[Extra.LATENCY_MS] for r in mine], [r[Extra.ACCURACY] for r in mine],
                       s=16, alpha=0.7, label=label)
    latencies = [r[Extra.LATENCY_MS] for r in rows]
    if latencies and max(latencies) / min(latencies) > 10:
        ax.set_xscale("log")
    ax.set_xlabel("latency (ms)")
    ax.set_ylabel("accuracy (%)")
    ax.set_title("Accuracy vs latency, every model on every board")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    _save(fig, out_dir / name)
    return FigureFile(name, "Figure 5: accuracy vs latency",
                      "Up and to the left is better.")


def _top_by_latency(rows: Sequence[Row], label: str) -> list[Row]:
    mine = [r for r in board_rows(rows, label) if r.get("rank_latency") is not None]
    return sorted(mine, key=lambda r: (r["rank_latency"], r[Extra.MODEL_ID]))[:TOP_POWER]


def _no_power_figure(path: Path) -> None:
    fig = Figure(figsize=(7, 2.2))
    fig.text(0.5, 0.5, "No power measured on any board:\n" + NO_POWER_NOTE,
             ha="center", va="center", fontsize=13)
    _save(fig, path, tight=False)


def figure7_power(rows: Sequence[Row], out_dir: Path) -> FigureFile:
    """Grouped bars: dynamic power of each board's top 10 by accuracy/latency."""
    name = "figure7_power_top10.png"
    title = "Figure 7: dynamic power of the top 10 models per board by accuracy/latency"
    if not has_power(rows):
        _no_power_figure(out_dir / name)
        return FigureFile(name, title, NO_POWER_NOTE + "; no watts are drawn.")
    labels = [b for b in boards(rows) if board_rows(rows, b)]
    fig = Figure(figsize=(max(7.0, 1.6 * len(labels) + 2), 4.5))
    ax = fig.subplots()
    tops = {label: _top_by_latency(rows, label) for label in labels}
    width = 0.8 / max(len(top) for top in tops.values())
    for position, label in enumerate(labels):
        top = tops[label]
        watts = [r[Extra.DYNAMIC_POWER_W] for r in top]
        if all(w is None for w in watts):
            ax.text(position, 0, "no power\nsensor", ha="center", va="bottom", fontsize=8)
            continue
        xs = position - 0.4 + width * (np.arange(len(top)) + 0.5)
        ax.bar(xs, [np.nan if w is None else w for w in watts], width=width * 0.9)
        for x, w in zip(xs, watts, strict=True):
            if w is None:  # this model was not measured with power: a mark, not a bar
                ax.text(x, 0, "n/m", ha="center", va="bottom", fontsize=7, rotation=90)
    ax.set_xticks(range(len(labels)), labels, rotation=20, ha="right")
    ax.set_ylabel("dynamic power (W)")
    stand_in = stand_in_note(rows)
    ax.set_title("Dynamic power, top models by accuracy/latency (left = rank 1)"
                 + ("\nSTAND-IN METER: modelled watts" if stand_in else ""))
    ax.grid(axis="y", alpha=0.3)
    _save(fig, out_dir / name)
    caption = ("Bars left to right follow the accuracy/latency rank; a model measured without "
               "power is marked n/m, a board without a sensor 'no power sensor': no bar is "
               "drawn for them.")
    return FigureFile(name, title, caption + (" " + stand_in if stand_in else ""))


def _pareto_axes(ax: Any, mine: list[Row], cost_key: str, xlabel: str) -> None:
    """All models in grey, the non-dominated ones joined in colour."""
    points = [r for r in mine if r.get(cost_key) is not None]
    costs = [r[cost_key] for r in points]
    scores = [r[Extra.ACCURACY] for r in points]
    front = pareto_front(costs, scores)
    ax.scatter(costs, scores, s=14, color="0.6", label="models")
    ax.step([costs[i] for i in front], [scores[i] for i in front], where="post",
            color="C3", marker="o", label="Pareto front")
    for i in front if len(front) <= 12 else [front[0], front[-1]]:  # names stay legible
        ax.annotate(points[i][Extra.MODEL_ID], (costs[i], scores[i]), fontsize=7,
                    xytext=(3, 3), textcoords="offset points")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("accuracy (%)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small", loc="lower right")


def pareto_figure(rows: Sequence[Row], label: str, filename: str, out_dir: Path) -> FigureFile:
    """One board: accuracy vs latency, and accuracy vs energy per inference where measured."""
    mine = board_rows(rows, label)
    with_energy = [r for r in mine if r.get(Extra.ENERGY_MJ) is not None]
    fig = Figure(figsize=(11 if with_energy else 6, 4.2))
    axes = fig.subplots(1, 2 if with_energy else 1, squeeze=False)[0]
    _pareto_axes(axes[0], mine, Extra.LATENCY_MS, "latency (ms)")
    if with_energy:
        _pareto_axes(axes[1], with_energy, Extra.ENERGY_MJ, "dynamic energy per inference (mJ)")
    fig.suptitle(f"Pareto fronts on {label}")
    _save(fig, out_dir / filename)
    caption = "Non-dominated models: none is both faster and more accurate."
    if not with_energy:
        caption += " No energy front: " + NO_POWER_NOTE + "."
    return FigureFile(filename, f"Pareto fronts: {label}", caption)
