"""The three fitness functions of the method and the per-board rank: pure arithmetic.

Units are the paper's (README, "Contracts"): accuracy in percent, latency in ms, power in W,
so its tables can be checked by hand: 96.95 / (0.39 x 0.52) = 478.06 (Coral Dev, Table 4).
"""

from __future__ import annotations

from collections.abc import Sequence

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


def fit_pdp(accuracy: float, latency_ms: float, dynamic_power_w: float | None) -> float | None:
    """Stage 3 fitness: accuracy / (dynamic_power_w x latency_ms), the power-delay product.

    None without a power measurement: no sensor means no stage 3, never an invented watt.
    A non-positive dynamic power (idle above active, within the meter's noise) has no
    meaningful PDP either, so it is None too rather than a negative or infinite fitness.
    """
    if dynamic_power_w is None or dynamic_power_w <= 0:
        return None
    return float(accuracy) / (float(dynamic_power_w) * float(latency_ms))


def energy_mj(latency_ms: float, dynamic_power_w: float | None) -> float | None:
    """Dynamic energy per inference: W x ms = mJ (None without power)."""
    if dynamic_power_w is None:
        return None
    return float(dynamic_power_w) * float(latency_ms)


def competition_ranks(values: Sequence[float | None]) -> list[int | None]:
    """Rank higher-is-better values 1, 2, 2, 4 ("1224"): equal fitness, equal rank.

    None (fitness not measured) gets rank None and does not take a place.
    """
    present = sorted((v for v in values if v is not None), reverse=True)
    first_place: dict[float, int] = {}
    for place, value in enumerate(present, start=1):
        first_place.setdefault(value, place)
    return [None if v is None else first_place[v] for v in values]
