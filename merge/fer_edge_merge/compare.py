"""How the best searched model of a board compares with a baseline there: the ratios the
paper's section 4.4 gives for its Table 4. Pure arithmetic.

From the paper's Table 4 (Coral Dev Board): against Kandeel et al.'s model the best found is
6.95 / 0.39 = 17.82x faster; against Mollahosseini et al.'s it is 0.65 / 0.39 = 1.67x faster,
needs 0.67 / 0.52 = 1.29x less dynamic power and has 478.06 / 220.27 = 2.17x the accuracy/PDP.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from fer_edge_harness.results_schema import Extra

Row = dict[str, Any]


class Comparison(NamedTuple):
    """The best found model against one baseline; None where a figure is missing."""

    accuracy_points: float | None  # best's accuracy minus the baseline's, percentage points
    speedup: float | None          # baseline latency / best's ("17.82x faster")
    power_ratio: float | None      # baseline dynamic power / best's ("1.29x less power")
    pdp_gain: float | None         # best's accuracy/PDP / baseline's ("2.17x")


def _ratio(numerator: Any, denominator: Any) -> float | None:
    if numerator is None or denominator is None or denominator <= 0:
        return None
    return float(numerator) / float(denominator)


def compare(best: Row, baseline: Row) -> Comparison:
    """`best` (a searched model's ranking row) against `baseline` (a baseline's, same board)."""
    points = (None if best.get(Extra.ACCURACY) is None or baseline.get(Extra.ACCURACY) is None
              else float(best[Extra.ACCURACY]) - float(baseline[Extra.ACCURACY]))
    return Comparison(
        accuracy_points=points,
        speedup=_ratio(baseline.get(Extra.LATENCY_MS), best.get(Extra.LATENCY_MS)),
        power_ratio=_ratio(baseline.get(Extra.DYNAMIC_POWER_W), best.get(Extra.DYNAMIC_POWER_W)),
        pdp_gain=_ratio(best.get("fit_pdp"), baseline.get("fit_pdp")),
    )
