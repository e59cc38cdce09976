"""The paper's tables from ranking rows: Table 2 (per-board statistics), Table 3 (best model per
board under each fitness), Table 4 (baselines), and the final choice per board. Pure functions.

Baselines (decision.is_baseline: models trained by `fer-edge baselines`, or imported ones with
config `external`) appear only in Table 4; the other tables describe the searched models, as
the paper's do.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any

from fer_edge_harness.manifest_schema import Model
from fer_edge_harness.results_schema import Event, Extra, Flag
from fer_edge_merge.compare import compare
from fer_edge_merge.decision import (
    baseline_label,
    best_rows,
    board_decisions,
    board_rows,
    boards,
    decision_fitness,
    has_power,
    is_baseline,
)
from fer_edge_merge.fitness import FITNESS_TITLES, FITNESSES
from fer_edge_merge.render import MISSING, Table, fmt, model_label

Row = dict[str, Any]
NO_POWER_NOTE = "stage 3 not run: no power sensor"
CONFIG_HEADERS = ["K1", "K2", "K3", "K4", "FC1", "DO1", "FC2", "DO2"]
MEASURE_HEADERS = ["Accuracy (%)", "Latency (ms)", "Power (W)", "Energy (mJ)"]


def stand_in_sensors(rows: Sequence[Row]) -> list[str]:
    """The stand-in (emulated) sensors whose modelled watts are in these rows."""
    return sorted({str(r.get(Extra.POWER_SENSOR)) for r in rows
                   if r.get("power_stand_in") and r.get(Extra.DYNAMIC_POWER_W) is not None})


def stand_in_note(rows: Sequence[Row]) -> str | None:
    """The warning every power table and figure carries when a stand-in gave its watts."""
    sensors = stand_in_sensors(rows)
    if not sensors:
        return None
    return (f"Power from a STAND-IN meter ({', '.join(sensors)}): modelled watts, not "
            "measurements; wire a real meter (docs/power.md) for real figures.")


def config_cells(config: Any) -> list[str]:
    """K1-K4, FC1, DO1, FC2, DO2 of a search-space config; '?' when no bundle gave it."""
    if not isinstance(config, dict) or is_baseline({Model.CONFIG: config}):
        return ["?" if config is None else baseline_label(config)] + [MISSING] * 7
    kernels = list(config.get("kernels") or [])[: int(config.get("blocks", 4))]
    cells = [fmt(k) for k in kernels] + [MISSING] * (4 - len(kernels))
    layers = [config.get(k) for k in ("fc1", "dropout1", "fc2", "dropout2")]
    return [*cells, *(fmt(v) for v in layers)]


def _mean_std(values: list[float], digits: int) -> list[str]:
    if not values:
        return [MISSING, MISSING]
    std = statistics.stdev(values) if len(values) > 1 else None
    return [fmt(statistics.fmean(values), digits), fmt(std, digits)]


def table2(rows: Sequence[Row]) -> Table:
    """Per board: mean and sample standard deviation of accuracy, latency, dynamic power."""
    table = Table("Table 2: mean and standard deviation of accuracy, latency and dynamic power",
                  ["Device", "Models", "Accuracy mean", "Accuracy std", "Latency mean (ms)",
                   "Latency std", "Power mean (W)", "Power std", "Models with power"], [])
    for label in boards(rows):
        mine = board_rows(rows, label)
        if not mine:
            continue
        power = [r[Extra.DYNAMIC_POWER_W] for r in mine
                 if r.get(Extra.DYNAMIC_POWER_W) is not None]
        table.rows.append([label, str(len(mine)),
                           *_mean_std([r[Extra.ACCURACY] for r in mine], 2),
                           *_mean_std([r[Extra.LATENCY_MS] for r in mine], 3),
                           *_mean_std(power, 3), str(len(power))])
    table.notes.append("Power statistics cover the models measured with a power sensor "
                       "(stage 3: the top models by accuracy/latency)."
                       if has_power(rows) else NO_POWER_NOTE)
    _add_stand_in_note(table, rows)
    return table


def _add_stand_in_note(table: Table, rows: Sequence[Row]) -> None:
    note = stand_in_note(rows)
    if note:
        table.notes.append(note)


def _measure_cells(row: Row) -> list[str]:
    """Accuracy, latency, dynamic power and energy per inference: accuracy/PDP is accuracy /
    energy, so the fitness can be checked from the row by hand."""
    return [fmt(row[Extra.ACCURACY]), fmt(row[Extra.LATENCY_MS]),
            fmt(row.get(Extra.DYNAMIC_POWER_W)), fmt(row.get(Extra.ENERGY_MJ), 4)]


def table3(rows: Sequence[Row]) -> Table:
    """Best searched model per board under each fitness, with its configuration."""
    table = Table("Table 3: best model per board under each fitness",
                  ["Metric", "Device", "Model", "Backend", *CONFIG_HEADERS,
                   *MEASURE_HEADERS, "Fitness"], [])
    for name in FITNESSES:
        for label in boards(rows):
            mine = board_rows(rows, label)
            best = best_rows(mine, name)
            if not best and mine and name == "pdp":
                table.rows.append([FITNESS_TITLES[name], label, MISSING, MISSING,
                                   *[MISSING] * 8, NO_POWER_NOTE, *[MISSING] * 4])
            for row in best:
                table.rows.append([FITNESS_TITLES[name], label, model_label(row),
                                   row[Extra.BACKEND],
                                   *config_cells(row.get(Model.CONFIG)), *_measure_cells(row),
                                   fmt(row[f"fit_{name}"])])
    if not has_power(rows):
        table.notes.append(NO_POWER_NOTE + ": the Accuracy/PDP rows are empty.")
    else:
        table.notes.append("Accuracy/PDP = accuracy / dynamic energy per inference (mJ), the "
                           "energy being dynamic power x the per-inference time of the same "
                           "sustained power run.")
    _add_stand_in_note(table, rows)
    if any(r.get(Model.CONFIG) is None for r in rows):
        table.notes.append("'?': configuration unknown; give `fer-edge merge` the bundle "
                           "(--bundle) to fill it.")
    return table




TABLE4_RATIOS = ["Acc. diff (pts)", "Speed-up (x)", "Power saving (x)", "Acc/PDP gain (x)"]
TABLE4_NOTE = ("On a baseline's row, the board's best found model (its final choice) against "
               "that baseline: accuracy difference in points (best minus baseline); speed-up = "
               "baseline latency / best's (the paper's \"17.82x faster\"); power saving = "
               "baseline dynamic power / best's; Acc/PDP gain = best's accuracy/PDP / the "
               "baseline's (the paper's 1.67, 1.29 and 2.17 against Mollahosseini et al.).")


def _ratio_cells(best: Row | None, baseline: Row) -> list[str]:
    """The four comparison cells of a baseline's row (dashes without a best model)."""
    if best is None:
        return [MISSING] * len(TABLE4_RATIOS)
    return [fmt(value) for value in compare(best, baseline)]


def table4(rows: Sequence[Row]) -> Table | None:
    """Per board: each baseline, worst first, then the best searched model (the board's final
    choice), with accuracy, latency, dynamic power, energy, both fitness values and, on each
    baseline's row, how the best found compares with it; None without baselines."""
    table = Table("Table 4: comparison with baseline models",
                  ["Device", "Model", *MEASURE_HEADERS, FITNESS_TITLES["latency"],
                   FITNESS_TITLES["pdp"], *TABLE4_RATIOS], [])
    for label in boards(rows):
        baselines = board_rows(rows, label, baselines=True)
        if not baselines:
            continue
        searched = board_rows(rows, label)
        name = decision_fitness(searched or baselines)
        # Worst first, the best found last: the paper's Table 4 layout.
        baselines.sort(key=lambda r: (r.get(f"fit_{name}") or 0.0, r[Extra.MODEL_ID]))
        best = next(iter(best_rows(searched, name)), None)
        for row in baselines:
            table.rows.append([label, model_label(row), *_measure_cells(row),
                               fmt(row.get("fit_latency")), fmt(row.get("fit_pdp")),
                               *_ratio_cells(best, row)])
        if best is not None:
            table.rows.append([label, f"{model_label(best)} (best found)", *_measure_cells(best),
                               fmt(best.get("fit_latency")), fmt(best.get("fit_pdp")),
                               *[MISSING] * len(TABLE4_RATIOS)])
    if not table.rows:
        return None
    table.notes.append(TABLE4_NOTE)
    if not has_power(rows):
        table.notes.append(NO_POWER_NOTE + ": power, Accuracy/PDP and their ratios are empty.")
    _add_stand_in_note(table, rows)
    return table


def config_text(config: Any) -> str:
    """A configuration in one short string for the final-choice table."""
    if config is None:
        return "?"
    if not isinstance(config, dict) or is_baseline({Model.CONFIG: config}):
        return baseline_label(config)
    kernels = "-".join(str(k) for k in (config.get("kernels") or [])[: config.get("blocks", 4)])
    return (f"K {kernels}, FC {config.get('fc1')}/{config.get('fc2')}, "
            f"DO {config.get('dropout1')}/{config.get('dropout2')}")


def final_choice(rows: Sequence[Row]) -> Table:
    """Per board, the method's answer (decision.board_decisions): stage 3's best by
    accuracy/PDP, or stage 2's."""
    table = Table("Final choice per board",
                  ["Device", "Decided by", "Model", "Backend", "Configuration",
                   *MEASURE_HEADERS, "Fitness"], [])
    for decision in board_decisions(rows):
        for row in decision.chosen:
            table.rows.append([decision.device_label, f"stage {decision.stage}, {decision.title}",
                               model_label(row), row[Extra.BACKEND],
                               config_text(row.get(Model.CONFIG)),
                               *_measure_cells(row), fmt(row[f"fit_{decision.fitness}"])])
    if not has_power(rows):
        table.notes.append(NO_POWER_NOTE + ": the final choice is the stage-2 decision "
                           "(best by accuracy/latency).")
    _add_stand_in_note(table, rows)
    return table


def flagged_table(rows: Sequence[Row]) -> Table | None:
    """Every measurement whose latency the harness flagged (None when there is none): ranked
    like the others, but its rank may not hold on a quiet board."""
    flagged = [r for r in rows if r.get(Extra.FLAGS)]
    if not flagged:
        return None
    table = Table("Flagged latencies (ranked, but not reliable)",
                  ["Device", "Model", "Backend", "Latency (ms)", "IQR (ms)", "Rank (acc/lat)",
                   "Flags"], [])
    for r in flagged:
        reasons = "; ".join(f"{f.get(Flag.FLAG)}: {f.get(Flag.REASON)}" for f in r[Extra.FLAGS])
        table.rows.append([r[Extra.DEVICE_LABEL], r[Extra.MODEL_ID], r[Extra.BACKEND],
                           fmt(r[Extra.LATENCY_MS], 3), fmt(r.get(Extra.LATENCY_IQR_MS), 3),
                           fmt(r.get("rank_latency")), reasons])
    table.notes.append("Flags: wide-dispersion (IQR above the limit), drift (the latency moved "
                       "during the timed rounds), heavy-tail (the mean far above the median), "
                       "unsettled (the warm-up did not settle), clocks-changed, throttled. "
                       "Measure these again on a quiet board.")
    return table


def failures_table(failures: Sequence[Row], skipped: Sequence[Row],
                   partial: Sequence[Row] = ()) -> Table:
    """What the boards could not run, and power measurements a meter cut short (latency and
    accuracy kept, power left empty), with the harness's reason."""
    table = Table("Failures and skips on the boards",
                  ["Kind", "Device", "Model", "Backend", "Reason", "Source"], [])
    for kind, events in (("failed", failures), ("skipped", skipped),
                         ("power partial", partial)):
        for e in events:
            table.rows.append([kind, fmt(e.get(Event.DEVICE_LABEL)), fmt(e.get(Event.MODEL_ID)),
                               fmt(e.get(Event.BACKEND)), fmt(e.get(Event.REASON)),
                               fmt(e.get("source"))])
    return table
