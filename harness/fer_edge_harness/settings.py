"""The run's settings: the command-line options checked once, in one object written into results."""

import os

from fer_edge_harness.backends import parse_backends
from fer_edge_harness.boardstate import cpu_count
from fer_edge_harness.results_schema import STAGES, TimingSettings

DEFAULT_ROUNDS = 40  # at least the paper's 40 timed runs per model (section 4.2)
# ... and at least this long: a second holds thousands of rounds of a sub-ms model, so the median
# no longer depends on where a board's periodic background work falls (README, "Fidelity").
DEFAULT_MIN_TIME_S = 1.0
DEFAULT_WARMUP_ROUNDS = 10  # the least warm-up calls; the warm-up goes on until settled
DEFAULT_MAX_WARMUP_S = 2.0  # a warm-up that has not settled by then is flagged "unsettled"

# Bounds checked before anything runs. Every timed round's duration may be kept in the results
# file, so rounds are bounded by what a file and a day hold; more threads than the CPUs this
# process may use only time the scheduler (and a runtime asked for 100000 threads crashes).
MAX_ROUNDS = 100000
MAX_WARMUP_ROUNDS = 100000


class SettingsError(ValueError):
    """An option with a value the harness cannot run with; names the option."""

    def __init__(self, option, problem):
        self.option = option
        super(SettingsError, self).__init__("{}: {}".format(option, problem))


class RunSettings(object):
    """What to run and how: bundle, backends, label, stage, threads, timing, models."""

    def __init__(self, bundle_dir, backends, device_label, stage="latency", threads=None,
                 rounds=DEFAULT_ROUNDS, warmup_rounds=DEFAULT_WARMUP_ROUNDS, models=None,
                 openvino_device="CPU", cache_dir=None, min_time_s=DEFAULT_MIN_TIME_S,
                 max_warmup_s=DEFAULT_MAX_WARMUP_S, keep_round_times=False):
        self.bundle_dir = os.path.abspath(str(bundle_dir))
        self.backends = list(backends)
        self.device_label = device_label
        self.stage = stage
        # Threads are always given to the runtime, never left to its default
        # (docs/runtimes.md, pitfall 4).
        self.threads = int(threads) if threads is not None else cpu_count()
        self.rounds = int(rounds)
        self.warmup_rounds = int(warmup_rounds)
        self.min_time_s = float(min_time_s)
        self.max_warmup_s = float(max_warmup_s)
        self.keep_round_times = bool(keep_round_times)
        self.models = list(models) if models else None
        self.openvino_device = openvino_device
        self.cache_dir = cache_dir or os.path.join(self.bundle_dir, "engines")


def whole_number(option, value, minimum, maximum, why=""):
    """`value` as an int within [minimum, maximum], or a SettingsError naming the option."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise SettingsError(option, "{!r} is not a whole number".format(value)) from None
    if number < minimum:
        raise SettingsError(option, "must be at least {}, got {}".format(minimum, number))
    if number > maximum:
        raise SettingsError(option, "must be at most {}{}, got {}".format(maximum, why, number))
    return number


def check_counts(threads, rounds, warmup_rounds):
    """(threads or None, rounds, warm-up rounds) within what this machine can run."""
    usable = cpu_count()
    if threads is not None:
        threads = whole_number("--threads", threads, 1, usable,
                               " (the CPUs this process may use)")
    return (threads,
            whole_number("--rounds", rounds, 1, MAX_ROUNDS, " (each round is kept in the "
                         "results file)"),
            whole_number("--warmup-rounds", warmup_rounds, 0, MAX_WARMUP_ROUNDS))


def id_list(option, text):
    """`a,b` -> ["a", "b"] (None when not given); a name given twice is refused."""
    if not text:
        return None
    names = [part.strip() for part in str(text).split(",") if part.strip()]
    twice = sorted(set(name for name in names if names.count(name) > 1))
    if twice:
        raise SettingsError(option, "{} given more than once".format(", ".join(twice)))
    if not names:
        raise SettingsError(option, "names no model")
    return names


def _seconds(option, value):
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise SettingsError(option, "{!r} is not a number of seconds".format(value)) from None
    if not number >= 0 or number == float("inf"):
        raise SettingsError(option, "must be a finite number of seconds >= 0, got {}".format(
            value))
    return number


def timing_record(settings):
    """The timing settings as every result records them."""
    return {TimingSettings.MIN_ROUNDS: settings.rounds,
            TimingSettings.MIN_TIME_S: settings.min_time_s,
            TimingSettings.MIN_WARMUP_ROUNDS: settings.warmup_rounds,
            TimingSettings.MAX_WARMUP_S: settings.max_warmup_s}


def settings_from_options(get):
    """RunSettings from pytest's `config.getoption`; SettingsError naming the bad option."""
    if not get("fer_bundle"):
        raise SettingsError("--bundle", "required: the bundle folder to benchmark")
    if not str(get("fer_device_label") or "").strip():
        raise SettingsError("--device-label", "required: what you call this board "
                            "(e.g. jetson-nano-5w)")
    try:
        backends = parse_backends(get("fer_backend"))
    except ValueError as exc:
        raise SettingsError("--backend", str(exc)) from None
    if get("fer_stage") not in STAGES:
        raise SettingsError("--stage", "must be one of {}".format(", ".join(STAGES)))
    threads, rounds, warmup_rounds = check_counts(
        get("fer_threads"), get("fer_rounds"), get("fer_warmup_rounds"))
    return RunSettings(
        bundle_dir=get("fer_bundle"), backends=backends, device_label=get("fer_device_label"),
        stage=get("fer_stage"), threads=threads, rounds=rounds, warmup_rounds=warmup_rounds,
        min_time_s=_seconds("--min-time", get("fer_min_time")),
        max_warmup_s=_seconds("--max-warmup-time", get("fer_max_warmup_time")),
        keep_round_times=bool(get("fer_round_times")),
        models=id_list("--models", get("fer_models")),
        openvino_device=get("fer_openvino_device"), cache_dir=get("fer_cache_dir"))
