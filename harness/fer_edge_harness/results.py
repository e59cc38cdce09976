"""The result fields: one benchmark's extra_info and the run's top-level "fer_edge" record, each
assembled in exactly one function here, from the field lists of results_schema.
"""

from fer_edge_harness import boardstate, quality, results_schema
from fer_edge_harness.settings import timing_record

def energy_mj(dynamic_power_w, latency_ms):
    """Dynamic energy per inference: W x ms = mJ (the power-delay product of the paper's
    accuracy/PDP fitness). None when either is unknown. The one place this formula lives."""
    if dynamic_power_w is None or latency_ms is None:
        return None
    return float(dynamic_power_w) * float(latency_ms)


def power_fields(power):
    """The power part of extra_info from the power stage's record (power.py): null at stage
    latency, with no sensor, or where the record is partial; otherwise dynamic = active - idle
    mean watts and energy per inference = dynamic W x the per-inference ms of the same
    sustained run. The record itself is kept under "power" (samples, spread, board state)."""
    fields = dict((name, None) for name in results_schema.POWER_EXTRA_INFO)
    if not power:
        return fields
    idle = (power.get("idle") or {}).get("mean_w")
    active = (power.get("active") or {}).get("mean_w")
    dynamic = None
    if power.get("status") == results_schema.POWER_MEASURED and None not in (idle, active):
        dynamic = active - idle
    fields.update(power_sensor=(power.get("sensor") or {}).get("spec"), idle_power_w=idle,
                  active_power_w=active, dynamic_power_w=dynamic,
                  power_seconds=power.get("loop_seconds"),
                  energy_mj=energy_mj(dynamic, power.get("latency_ms")), power=power)
    return fields


def build_extra_info(settings, case, backend, latency, accuracy, n_test, hardware,
                     board_before, board_after, bundle_sha256, runtime_versions, artifact,
                     power=None):
    """Every field of results_schema (REQUIRED, OPTIONAL, TIMING and DESCRIPTIVE extra_info)
    for one (model, backend) benchmark.

    `latency`: the timing fields (measure.latency_fields): latency_ms is pytest-benchmark's own
    median of the timed rounds, in ms, so it always equals stats.median x 1000 in the same file.
    `power` is the power stage's record (None at latency).
    """
    artifact = backend.loaded_artifact() or artifact  # the file that ran, after any fallback
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
        "backend_details": backend.details(),
        "throttling_during": boardstate.throttling_between(board_before, board_after),
    }
    info.update(latency)
    info.update(power_fields(power))
    expected = (results_schema.REQUIRED_EXTRA_INFO + results_schema.OPTIONAL_EXTRA_INFO
                + results_schema.TIMING_EXTRA_INFO + results_schema.DESCRIPTIVE_EXTRA_INFO)
    missing = [name for name in expected if name not in info]
    if missing:  # a schema field added without being filled in here
        raise AssertionError("extra_info lacks {}".format(", ".join(missing)))
    return info


def run_info(settings, bundle_sha256, failures, skipped, complete, power=None, interrupted=None):
    """The top-level "fer_edge" record: what ran, what failed and was skipped, whether the run
    finished (false in the copies written after each benchmark) and, when it was cut short, why
    (`interrupted`: Ctrl-C, SIGTERM, the process that started it died; else null); at stage
    power also the sensor, the durations, the idle baseline with its samples and the partial
    benchmarks (`power`: PowerStage.run_record())."""
    info = {
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
        "interrupted": interrupted,
    }
    if power is not None:
        info.update(power)
    return info


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
