"""Pareto fronts of accuracy against a cost (latency, energy): pure, for the report's figures."""

from __future__ import annotations

from collections.abc import Sequence


def pareto_front(costs: Sequence[float], scores: Sequence[float]) -> list[int]:
    """Indices of the points no other point dominates, ordered by cost (lowest first).

    Lower cost and higher score are better; a point is dominated when another is at least as
    good in both and strictly better in one. Identical points are all kept: neither dominates.
    One sweep by ascending cost (ties: best score first) keeps each point that beats the best
    score seen so far.
    """
    if len(costs) != len(scores):
        raise ValueError(f"{len(costs)} costs but {len(scores)} scores")
    order = sorted(range(len(costs)), key=lambda i: (costs[i], -scores[i], i))
    front: list[int] = []
    for index in order:
        point = (costs[index], scores[index])
        last = (costs[front[-1]], scores[front[-1]]) if front else None
        if last is None or point[1] > last[1] or point == last:
            front.append(index)
    return front
