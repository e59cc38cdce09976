"""Stage 2 on a board: one benchmark per (model, backend) of the bundle (see plugin.py)."""

from fer_edge_harness.measure import run_case


def test_latency(fer_session, fer_case, benchmark):
    """Time one batch-1 inference (warm-up, then --rounds rounds) and measure the accuracy on
    the whole test set with the same backend; the results go to --benchmark-json."""
    run_case(fer_session, fer_case, benchmark)
