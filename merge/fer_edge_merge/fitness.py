"""The three fitness functions of the method and the per-board rank: pure arithmetic.

Units are the paper's: accuracy in percent, latency in ms, power in W, so its tables can be
checked by hand: 96.95 / (0.39 x 0.52) = 478.06 (Coral Dev, Table 4). The energy formula is the
results contract's (fer_edge_harness.results.energy_mj), imported, never written twice.
"""

from __future__ import annotations

from collections.abc import Sequence

from fer_edge_harness.results import energy_mj

__all__ = ["FITNESSES", "FITNESS_TITLES", "competition_ranks", "energy_mj", "fit_accuracy",
           "fit_latency", "fit_pdp"]

# Fitness names as the command line and ranking columns spell them (rank_<name>, fit_<name>).
FITNESSES = ("accuracy", "latency", "pdp")

FITNESS_TITLES = {
    "accuracy": "Accuracy",
    "latency": "Accuracy/Latency",
    "pdp": "Accuracy/PDP",
}


def fit_accuracy(accuracy: float) -> float:
    """Stage 1 fitness: accuracy itself (percent)."""
    return float(accuracy)


def fit_latency(accuracy: float, latency_ms: float) -> float:
    """Stage 2 fitness: accuracy / latency_ms (percent per millisecond)."""
    return float(accuracy) / float(latency_ms)


def fit_pdp(accuracy: float, energy_mj: float | None) -> float | None:
    """Stage 3 fitness: accuracy / PDP, the power-delay product being the dynamic energy per
    inference in mJ (dynamic W x ms per inference, `fer_edge_harness.results.energy_mj`).

    None without a power measurement: no sensor means no stage 3, never an invented watt.
    A non-positive energy (idle above active, within the meter's noise) has no meaningful
    PDP either, so it is None too rather than a negative or infinite fitness.
    """
    if energy_mj is None or energy_mj <= 0:
        return None
    return float(accuracy) / float(energy_mj)


def competition_ranks(values: Sequence[float | None]) -> list[int | None]:
    """Rank higher-is-better values 1, 2, 2, 4 ("1224"): equal fitness, equal rank.

    None (fitness not measured) gets rank None and does not take a place.
    """
    present = sorted((v for v in values if v is not None), reverse=True)
    first_place: dict[float, int] = {}
    for place, value in enumerate(present, start=1):
        first_place.setdefault(value, place)
    return [None if v is None else first_place[v] for v in values]
