"""The result fields: one benchmark's extra_info and the run's top-level "fer_edge" record, each
assembled in exactly one function here, from the field lists of results_schema.
"""

from fer_edge_harness import boardstate, quality, results_schema
from fer_edge_harness.manifest_schema import ChosenArtifact
from fer_edge_harness.results_schema import Event, Extra, PowerRecord, RunInfo
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
    idle = (power.get(PowerRecord.IDLE) or {}).get("mean_w")
    active = (power.get(PowerRecord.ACTIVE) or {}).get("mean_w")
    dynamic = None
    if (power.get(PowerRecord.STATUS) == results_schema.POWER_MEASURED
            and None not in (idle, active)):
        dynamic = active - idle
    fields.update({
        Extra.POWER_SENSOR: (power.get(PowerRecord.SENSOR) or {}).get("spec"),
        Extra.IDLE_POWER_W: idle,
        Extra.ACTIVE_POWER_W: active,
        Extra.DYNAMIC_POWER_W: dynamic,
        Extra.POWER_SECONDS: power.get(PowerRecord.LOOP_SECONDS),
        Extra.ENERGY_MJ: energy_mj(dynamic, power.get(PowerRecord.LATENCY_MS)),
        Extra.POWER: power,
    })
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
        Extra.MODEL_ID: case.model_id,
        Extra.BACKEND: case.backend,
        Extra.PRECISION: backend.precision,
        Extra.THREADS: backend.threads,
        Extra.DEVICE_LABEL: settings.device_label,
        Extra.HARDWARE: hardware,
        Extra.STAGE: settings.stage,
        Extra.ACCURACY: accuracy,
        Extra.N_TEST: n_test,
        Extra.LATENCY_STATISTIC: results_schema.LATENCY_STATISTIC,
        Extra.BUNDLE_SHA256: bundle_sha256,
        Extra.RUNTIME_VERSIONS: runtime_versions,
        Extra.BOARD_STATE_BEFORE: board_before,
        Extra.BOARD_STATE_AFTER: board_after,
        Extra.ARTIFACT_FORMAT: artifact[ChosenArtifact.FORMAT],
        Extra.ARTIFACT_SHA256: artifact[ChosenArtifact.SHA256],
        Extra.TIMING_SETTINGS: timing_record(settings),
        Extra.BACKEND_DETAILS: backend.details(),
        Extra.THROTTLING_DURING: boardstate.throttling_between(board_before, board_after),
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
        RunInfo.SCHEMA_VERSION: results_schema.RESULTS_SCHEMA_VERSION,
        RunInfo.BUNDLE_SHA256: bundle_sha256,
        RunInfo.DEVICE_LABEL: settings.device_label,
        RunInfo.STAGE: settings.stage,
        RunInfo.BACKENDS: list(settings.backends),
        RunInfo.THREADS: settings.threads,
        RunInfo.ROUNDS: settings.rounds,
        RunInfo.WARMUP_ROUNDS: settings.warmup_rounds,
        RunInfo.MIN_TIME_S: settings.min_time_s,
        RunInfo.MAX_WARMUP_S: settings.max_warmup_s,
        RunInfo.LATENCY_STATISTIC: results_schema.LATENCY_STATISTIC,
        RunInfo.FLAG_LIMITS: quality.limits(),
        RunInfo.FAILURES: list(failures),
        RunInfo.SKIPPED: list(skipped),
        RunInfo.COMPLETE: bool(complete),
        RunInfo.INTERRUPTED: interrupted,
    }
    if power is not None:
        info.update(power)
    return info


def nothing_measured(skipped):
    """Why a run measured nothing, from its skips: each backend's first reason."""
    reasons = []
    for entry in skipped:
        backend = entry.get(Event.BACKEND)
        text = "{}: {}".format(backend, entry.get(Event.REASON))
        if not any(r.startswith("{}: ".format(backend)) for r in reasons):
            reasons.append(text)
    if not reasons:
        return "no case ran"
    return "every case was skipped ({})".format("; ".join(reasons))
