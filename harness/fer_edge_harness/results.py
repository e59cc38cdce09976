"""The result fields: one benchmark's extra_info and the run's top-level "fer_edge" record, each
assembled in exactly one function here, from the field lists of results_schema.
"""

from fer_edge_harness import quality, results_schema
from fer_edge_harness.settings import timing_record

_POWER_FIELDS = ("idle_power_w", "active_power_w", "power_seconds")


def power_fields(power, latency_ms):
    """The power part of extra_info: null at stage latency (or with no sensor); otherwise
    dynamic = active - idle and energy per inference = dynamic W x latency ms = mJ."""
    if not power:
        return dict((name, None) for name in ("power_sensor", "dynamic_power_w", "energy_mj")
                    + _POWER_FIELDS)
    fields = dict((name, power.get(name)) for name in _POWER_FIELDS)
    fields["power_sensor"] = power.get("sensor")
    dynamic = None
    if power.get("active_power_w") is not None and power.get("idle_power_w") is not None:
        dynamic = power["active_power_w"] - power["idle_power_w"]
    fields["dynamic_power_w"] = dynamic
    fields["energy_mj"] = None if dynamic is None else dynamic * latency_ms
    return fields


def build_extra_info(settings, case, backend, latency, accuracy, n_test, hardware,
                     board_before, board_after, bundle_sha256, runtime_versions, artifact,
                     power=None):
    """Every field of results_schema (REQUIRED, OPTIONAL, TIMING and DESCRIPTIVE extra_info)
    for one (model, backend) benchmark.

    `latency`: the timing fields (measure.latency_fields): latency_ms is pytest-benchmark's own
    median of the timed rounds, in ms, so it always equals stats.median x 1000 in the same file.
    """
    latency_ms = latency["latency_ms"]
    info = {
        "model_id": case.model_id,
        "backend": case.backend,
        "precision": backend.precision,
        "threads": backend.threads,
        "device_label": settings.device_label,
        "hardware": hardware,
        "stage": settings.stage,
        "accuracy": accuracy,
        "n_test": n_test,
        "latency_statistic": results_schema.LATENCY_STATISTIC,
        "bundle_sha256": bundle_sha256,
        "runtime_versions": runtime_versions,
        "board_state_before": board_before,
        "board_state_after": board_after,
        "artifact_format": artifact["format"],
        "artifact_sha256": artifact["sha256"],
        "timing_settings": timing_record(settings),
    }
    info.update(latency)
    info.update(power_fields(power, latency_ms))
    expected = (results_schema.REQUIRED_EXTRA_INFO + results_schema.OPTIONAL_EXTRA_INFO
                + results_schema.TIMING_EXTRA_INFO + results_schema.DESCRIPTIVE_EXTRA_INFO)
    missing = [name for name in expected if name not in info]
    if missing:  # a schema field added without being filled in here
        raise AssertionError("extra_info lacks {}".format(", ".join(missing)))
    return info


def run_info(settings, bundle_sha256, failures, skipped, complete):
    """The top-level "fer_edge" record: what ran, what failed and was skipped, and whether the
    run finished (false in the copies written after each benchmark)."""
    return {
        "schema_version": results_schema.RESULTS_SCHEMA_VERSION,
        "bundle_sha256": bundle_sha256,
        "device_label": settings.device_label,
        "stage": settings.stage,
        "backends": list(settings.backends),
        "threads": settings.threads,
        "rounds": settings.rounds,
        "warmup_rounds": settings.warmup_rounds,
        "min_time_s": settings.min_time_s,
        "max_warmup_s": settings.max_warmup_s,
        "latency_statistic": results_schema.LATENCY_STATISTIC,
        "flag_limits": quality.limits(),
        "failures": list(failures),
        "skipped": list(skipped),
        "complete": bool(complete),
    }
