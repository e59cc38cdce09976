"""The result fields: one benchmark's extra_info and the run's top-level "fer_edge" record, each
assembled in exactly one function here, from the field lists of results_schema.
"""

from fer_edge_harness import results_schema

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


def build_extra_info(settings, case, backend, stats_mean_s, accuracy, n_test, hardware,
                     board_before, board_after, bundle_sha256, runtime_versions, artifact,
                     power=None):
    """Every field of results_schema (REQUIRED_EXTRA_INFO + OPTIONAL_EXTRA_INFO, plus the
    descriptive ones) for one (model, backend) benchmark.

    latency_ms is pytest-benchmark's own mean of the timed rounds, in ms, so it always equals
    stats.mean x 1000 in the same file.
    """
    latency_ms = stats_mean_s * 1000.0
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
        "latency_ms": latency_ms,
        "bundle_sha256": bundle_sha256,
        "runtime_versions": runtime_versions,
        "board_state_before": board_before,
        "board_state_after": board_after,
        "artifact_format": artifact["format"],
        "artifact_sha256": artifact["sha256"],
        "warmup_rounds": settings.warmup_rounds,
    }
    info.update(power_fields(power, latency_ms))
    expected = (results_schema.REQUIRED_EXTRA_INFO + results_schema.OPTIONAL_EXTRA_INFO
                + results_schema.DESCRIPTIVE_EXTRA_INFO)
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
        "failures": list(failures),
        "skipped": list(skipped),
        "complete": bool(complete),
    }


def nothing_measured(skipped):
    """Why a run measured nothing, from its skips: each backend's first reason."""
    reasons = []
    for entry in skipped:
        text = "{}: {}".format(entry.get("backend"), entry.get("reason"))
        if not any(r.startswith("{}: ".format(entry.get("backend"))) for r in reasons):
            reasons.append(text)
    if not reasons:
        return "no case ran"
    return "every case was skipped ({})".format("; ".join(reasons))
