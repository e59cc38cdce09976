"""The fields of a result (README, "Contracts"): one list that the harness writes and the
merge tool checks, so the two cannot drift apart. Python 3.6 compatible.

Every field name of the results record is spelled once, here, as a class attribute (Extra,
TimingSettings, Flag, RunInfo, Event, PowerRecord); the harness that writes a file, the merge
that reads it, the demo pipeline and the commands all spell a key through these names, never
as a string literal. Renaming a field is then one edit in this module, and
tests/test_contract_literals.py fails when a literal of a field name appears anywhere else. The
merge's ranking rows copy results fields under the same names, so they use these names for
those columns too.
"""

# 2: latency_ms is the median of the timed rounds (1: their mean), and the timing fields below.
RESULTS_SCHEMA_VERSION = 2


class Extra(object):
    """The keys of one benchmark's extra_info (and of the ranking columns that copy them)."""

    MODEL_ID = "model_id"
    BACKEND = "backend"
    PRECISION = "precision"
    THREADS = "threads"
    DEVICE_LABEL = "device_label"
    HARDWARE = "hardware"
    STAGE = "stage"
    ACCURACY = "accuracy"
    N_TEST = "n_test"
    LATENCY_MS = "latency_ms"
    BUNDLE_SHA256 = "bundle_sha256"
    RUNTIME_VERSIONS = "runtime_versions"
    # The power fields.
    POWER_SENSOR = "power_sensor"
    IDLE_POWER_W = "idle_power_w"
    ACTIVE_POWER_W = "active_power_w"
    DYNAMIC_POWER_W = "dynamic_power_w"
    POWER_SECONDS = "power_seconds"
    ENERGY_MJ = "energy_mj"
    POWER = "power"
    BOARD_STATE_BEFORE = "board_state_before"
    BOARD_STATE_AFTER = "board_state_after"
    # The timing fields (schema 2).
    LATENCY_STATISTIC = "latency_statistic"
    LATENCY_MEAN_MS = "latency_mean_ms"
    LATENCY_IQR_MS = "latency_iqr_ms"
    LATENCY_CV = "latency_cv"
    ROUNDS = "rounds"
    TIMED_S = "timed_s"
    WARMUP_ROUNDS = "warmup_rounds"
    WARMUP_S = "warmup_s"
    WARMUP_SETTLED = "warmup_settled"
    FLAGS = "flags"
    # The descriptive fields.
    ARTIFACT_FORMAT = "artifact_format"
    ARTIFACT_SHA256 = "artifact_sha256"
    TIMING_SETTINGS = "timing_settings"
    BACKEND_DETAILS = "backend_details"
    THROTTLING_DURING = "throttling_during"
    LATENCY_CLOCK = "latency_clock"
    WALL_LATENCY_MS = "wall_latency_ms"


class TimingSettings(object):
    """The keys of extra_info `timing_settings`: the least rounds and seconds asked for."""

    MIN_ROUNDS = "min_rounds"
    MIN_TIME_S = "min_time_s"
    MIN_WARMUP_ROUNDS = "min_warmup_rounds"
    MAX_WARMUP_S = "max_warmup_s"


class Flag(object):
    """The keys of one entry of extra_info `flags`: why a latency should not be trusted."""

    FLAG = "flag"
    REASON = "reason"


class RunInfo(object):
    """The keys of the run's top-level record (RUN_INFO_KEY): what ran with which settings,
    what failed, was skipped or measured partially, and whether the run finished."""

    SCHEMA_VERSION = "schema_version"
    BUNDLE_SHA256 = "bundle_sha256"
    DEVICE_LABEL = "device_label"
    STAGE = "stage"
    BACKENDS = "backends"
    THREADS = "threads"
    ROUNDS = "rounds"
    WARMUP_ROUNDS = "warmup_rounds"
    MIN_TIME_S = "min_time_s"
    MAX_WARMUP_S = "max_warmup_s"
    LATENCY_STATISTIC = "latency_statistic"
    FLAG_LIMITS = "flag_limits"
    FAILURES = "failures"
    SKIPPED = "skipped"
    COMPLETE = "complete"
    INTERRUPTED = "interrupted"
    # At stage power only (power.PowerStage.run_record).
    POWER_SENSOR = "power_sensor"
    POWER_SECONDS = "power_seconds"
    IDLE_SECONDS = "idle_seconds"
    POWER = "power"
    PARTIAL = "partial"


class Event(object):
    """The keys of one entry of RunInfo.FAILURES, SKIPPED and PARTIAL (a skip of a whole
    backend has no model_id; the merge adds the board's device_label to each)."""

    MODEL_ID = "model_id"
    BACKEND = "backend"
    REASON = "reason"
    DEVICE_LABEL = "device_label"


class PowerRecord(object):
    """The keys of the power stage's record of one benchmark (extra_info "power") and, the
    IDLE_* ones, of the run's idle baseline (run info "power")."""

    STATUS = "status"
    REASON = "reason"
    SENSOR = "sensor"
    IDLE = "idle"
    ACTIVE = "active"
    INFERENCES = "inferences"
    LOOP_SECONDS = "loop_seconds"
    LATENCY_MS = "latency_ms"
    BOARD_STATE_BEFORE = "board_state_before"
    BOARD_STATE_AFTER = "board_state_after"
    IDLE_REASON = "idle_reason"
    IDLE_BOARD_STATE_BEFORE = "idle_board_state_before"
    IDLE_BOARD_STATE_AFTER = "idle_board_state_after"


# Required in every benchmark's extra_info (the merge tool refuses a file without them).
REQUIRED_EXTRA_INFO = (
    Extra.MODEL_ID, Extra.BACKEND, Extra.PRECISION, Extra.THREADS, Extra.DEVICE_LABEL,
    Extra.HARDWARE, Extra.STAGE, Extra.ACCURACY, Extra.N_TEST, Extra.LATENCY_MS,
    Extra.BUNDLE_SHA256, Extra.RUNTIME_VERSIONS,
)

# The power fields of extra_info, null where power was not measured (stage latency, no sensor,
# a partial measurement). "power" is the power stage's whole record: status and reason, the
# sensor, idle and active summaries (mean, std, samples, rate), the active samples, inferences,
# the per-inference time of the sustained run and the board state around it.
POWER_EXTRA_INFO = (
    Extra.POWER_SENSOR, Extra.IDLE_POWER_W, Extra.ACTIVE_POWER_W, Extra.DYNAMIC_POWER_W,
    Extra.POWER_SECONDS, Extra.ENERGY_MJ, Extra.POWER,
)

# Present in every benchmark's extra_info, null where not measured (power before stage 3).
OPTIONAL_EXTRA_INFO = POWER_EXTRA_INFO + (Extra.BOARD_STATE_BEFORE, Extra.BOARD_STATE_AFTER)

# How the latency was taken and whether it can be ranked on (schema 2; the merge tool derives
# them from pytest-benchmark's stats for a schema-1 file). `flags`: [{flag, reason}].
TIMING_EXTRA_INFO = (
    Extra.LATENCY_STATISTIC, Extra.LATENCY_MEAN_MS, Extra.LATENCY_IQR_MS, Extra.LATENCY_CV,
    Extra.ROUNDS, Extra.TIMED_S, Extra.WARMUP_ROUNDS, Extra.WARMUP_S, Extra.WARMUP_SETTLED,
    Extra.FLAGS,
)

# What `latency_ms` is: the median of the timed rounds (README, "Which latency").
LATENCY_STATISTIC = "median"

# Written by the harness to say exactly what was timed; readers may ignore them.
# `latency_clock`: what timed the rounds, WALL_CLOCK (time.perf_counter around the Python call)
# or the runtime's own clock by name (docs/latency.md, "Which clock"); `wall_latency_ms`: the
# wall-clock median of the same rounds (equal to latency_ms on the wall clock).
DESCRIPTIVE_EXTRA_INFO = (Extra.ARTIFACT_FORMAT, Extra.ARTIFACT_SHA256, Extra.TIMING_SETTINGS,
                          Extra.BACKEND_DETAILS, Extra.THROTTLING_DURING, Extra.LATENCY_CLOCK,
                          Extra.WALL_LATENCY_MS)
WALL_CLOCK = "wall"

# The --stage values a result records (extra_info "stage"): stage 2 times, stage 3 adds power.
STAGE_LATENCY, STAGE_POWER = "latency", "power"
STAGES = (STAGE_LATENCY, STAGE_POWER)

# Status of a benchmark's power record (extra_info "power"."status"): watts measured, a meter
# that failed (the reason is kept, the power fields stay null), or no sensor at all.
POWER_MEASURED, POWER_PARTIAL, POWER_NOT_MEASURED = "measured", "partial", "not-measured"
POWER_STATUSES = (POWER_MEASURED, POWER_PARTIAL, POWER_NOT_MEASURED)

# Top-level key the harness adds next to pytest-benchmark's own (failures, skips, run info);
# `pytest-benchmark compare` ignores keys it does not know.
RUN_INFO_KEY = "fer_edge"
