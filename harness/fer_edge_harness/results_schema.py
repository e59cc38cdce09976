"""The fields of a result (README, "Contracts"): one list that the harness writes and the
merge tool checks, so the two cannot drift apart. Python 3.6 compatible."""

# 2: latency_ms is the median of the timed rounds (1: their mean), and the timing fields below.
RESULTS_SCHEMA_VERSION = 2

# Required in every benchmark's extra_info (the merge tool refuses a file without them).
REQUIRED_EXTRA_INFO = (
    "model_id", "backend", "precision", "threads", "device_label", "hardware", "stage",
    "accuracy", "n_test", "latency_ms", "bundle_sha256", "runtime_versions",
)

# The power fields of extra_info, null where power was not measured (stage latency, no sensor,
# a partial measurement). "power" is the power stage's whole record: status and reason, the
# sensor, idle and active summaries (mean, std, samples, rate), the active samples, inferences,
# the per-inference time of the sustained run and the board state around it.
POWER_EXTRA_INFO = (
    "power_sensor", "idle_power_w", "active_power_w", "dynamic_power_w", "power_seconds",
    "energy_mj", "power",
)

# Present in every benchmark's extra_info, null where not measured (power before stage 3).
OPTIONAL_EXTRA_INFO = POWER_EXTRA_INFO + ("board_state_before", "board_state_after")

# How the latency was taken and whether it can be ranked on (schema 2; the merge tool derives
# them from pytest-benchmark's stats for a schema-1 file). `flags`: [{flag, reason}].
TIMING_EXTRA_INFO = (
    "latency_statistic", "latency_mean_ms", "latency_iqr_ms", "latency_cv", "rounds", "timed_s",
    "warmup_rounds", "warmup_s", "warmup_settled", "flags",
)

# What `latency_ms` is: the median of the timed rounds (README, "Which latency").
LATENCY_STATISTIC = "median"

# Written by the harness to say exactly what was timed; readers may ignore them.
DESCRIPTIVE_EXTRA_INFO = ("artifact_format", "artifact_sha256", "timing_settings",
                          "backend_details", "throttling_during")

STAGES = ("latency", "power")

# Status of a benchmark's power record (extra_info "power"."status"): watts measured, a meter
# that failed (the reason is kept, the power fields stay null), or no sensor at all.
POWER_MEASURED, POWER_PARTIAL, POWER_NOT_MEASURED = "measured", "partial", "not-measured"
POWER_STATUSES = (POWER_MEASURED, POWER_PARTIAL, POWER_NOT_MEASURED)

# Top-level key the harness adds next to pytest-benchmark's own (failures, skips, run info);
# `pytest-benchmark compare` ignores keys it does not know.
RUN_INFO_KEY = "fer_edge"
