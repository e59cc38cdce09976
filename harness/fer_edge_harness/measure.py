"""One (model, backend) benchmark: load, prepare, time (the one timing loop: pytest-benchmark's
pedantic), then accuracy over the whole test set on the same backend, then the result fields.
"""

import contextlib

import numpy as np

from fer_edge_harness import results
from fer_edge_harness.session import CaseFailure


@contextlib.contextmanager
def step(name):
    """Turn any error inside into a CaseFailure naming the step (load, prepare, infer...)."""
    try:
        yield
    except Exception as exc:
        raise CaseFailure(name, exc) from exc


def accuracy_percent(probabilities, labels):
    """Top-1 accuracy in percent (0-100) of class scores (N, C) against labels (N,)."""
    if probabilities.shape[0] != labels.shape[0]:
        raise ValueError("{} predictions for {} test images".format(probabilities.shape[0],
                                                                     labels.shape[0]))
    return float(np.mean(np.argmax(probabilities, axis=1) == labels) * 100.0)


def timed_mean_s(benchmark):
    """pytest-benchmark's mean of the timed rounds, in seconds."""
    metadata = getattr(benchmark, "stats", None)
    if metadata is None:
        raise RuntimeError("no timings: benchmarks are disabled (--benchmark-disable?)")
    return metadata.stats.mean


def run_case(session, case, benchmark):
    """Measure one case and fill the benchmark's extra_info; a failure raises CaseFailure."""
    settings = session.settings
    backend = session.open_backend(case)  # a recorded skip when the runtime is missing
    artifact = session.artifact(case)  # a recorded skip when the bundle has no usable file
    try:
        images, labels = session.test_set()
        with step("load"):
            backend.load(artifact["path"], session.load_options(case, artifact))
        with step("prepare"):
            prepared = backend.prepare(images[:1])
        before = session.board.state()
        with step("infer"):
            # The only timing loop of the harness: warm-up, then rounds of one inference each.
            benchmark.pedantic(backend.infer, args=(prepared,), rounds=settings.rounds,
                               warmup_rounds=settings.warmup_rounds, iterations=1)
            mean_s = timed_mean_s(benchmark)
        after = session.board.state()
        with step("accuracy"):
            accuracy = accuracy_percent(backend.predict_batch(images), labels)
        with step("power"):  # stage power only; a meter fault is recorded, never raised
            power = session.measure_power(case, backend, prepared)
        hardware = dict(session.hardware, accelerator=backend.accelerator())
        benchmark.extra_info.update(results.build_extra_info(
            settings, case, backend, mean_s, accuracy, int(labels.shape[0]), hardware,
            before, after, session.bundle_sha256, session.runtime_versions(backend), artifact,
            power=power))
        session.finished.append(benchmark.stats)
    finally:
        backend.close()
