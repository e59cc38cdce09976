"""Fitness functions, ranks and Pareto fronts against literal numbers."""

import itertools

import pytest

from fer_edge_merge import fitness
from fer_edge_merge.pareto import pareto_front


def pdp(accuracy, power_w, latency_ms):
    return fitness.fit_pdp(accuracy, fitness.energy_mj(power_w, latency_ms))


def test_fit_pdp_matches_the_papers_table_4():
    # The paper's Table 4, Coral Dev board: 96.95 / (0.52 W x 0.39 ms) = 478.06.
    assert pdp(96.95, 0.52, 0.39) == pytest.approx(478.0572, abs=1e-4)
    assert round(pdp(96.95, 0.52, 0.39), 2) == 478.06
    # Table 4's baselines (the paper truncates to 28.04 and 220.27).
    assert pdp(97.46, 0.50, 6.95) == pytest.approx(28.0460, abs=1e-4)
    assert pdp(95.93, 0.67, 0.65) == pytest.approx(220.2755, abs=1e-4)


def test_fit_latency_and_accuracy():
    assert fitness.fit_latency(96.95, 2.88) == pytest.approx(33.6632, abs=1e-4)
    assert fitness.fit_latency(97.46, 0.39) == pytest.approx(249.8974, abs=1e-4)
    assert fitness.fit_accuracy(99.49) == 99.49


def test_fit_pdp_without_power_is_none():
    assert fitness.fit_pdp(96.95, None) is None
    assert pdp(96.95, None, 0.39) is None
    assert pdp(96.95, 0.0, 0.39) is None
    assert pdp(96.95, -0.05, 0.39) is None


def test_energy_is_watts_times_milliseconds_and_the_harness_formula():
    from fer_edge_harness import results

    assert fitness.energy_mj is results.energy_mj  # one formula, imported
    assert fitness.energy_mj(0.52, 0.39) == pytest.approx(0.2028)
    assert fitness.energy_mj(0.39, None) is None


def test_competition_ranks_share_ties_and_skip_none():
    assert fitness.competition_ranks([99.49, 97.0, 99.49, None, 98.0]) == [1, 4, 1, None, 3]
    assert fitness.competition_ranks([None, None]) == [None, None]
    assert fitness.competition_ranks([]) == []


def test_pareto_front_literal():
    costs = [0.39, 0.39, 0.55, 0.62, 0.45, 6.95, 0.45]
    scores = [96.95, 97.46, 99.49, 99.49, 96.44, 97.46, 98.0]
    # 0.39/96.95 loses to 0.39/97.46; 0.45/96.44 loses to 0.39/97.46; 0.62/99.49 to 0.55/99.49.
    assert pareto_front(costs, scores) == [1, 6, 2]


def test_pareto_front_keeps_identical_points_and_handles_empty():
    assert pareto_front([1.0, 1.0, 2.0], [90.0, 90.0, 95.0]) == [0, 1, 2]
    assert pareto_front([], []) == []
    with pytest.raises(ValueError):
        pareto_front([1.0], [])


def test_pareto_front_agrees_with_brute_force():
    values = [1.0, 2.0, 3.0]
    for points in itertools.product(itertools.product(values, values), repeat=4):
        costs = [p[0] for p in points]
        scores = [p[1] for p in points]
        dominated = {
            i for i in range(4) for j in range(4)
            if costs[j] <= costs[i] and scores[j] >= scores[i]
            and (costs[j], scores[j]) != (costs[i], scores[i])
        }
        assert set(pareto_front(costs, scores)) == set(range(4)) - dominated, points
