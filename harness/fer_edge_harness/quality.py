"""Whether a latency can be ranked on: its dispersion, its drift during the timed rounds, and
what changed on the board meanwhile. Pure functions on numbers and board states (Python 3.6).

A result is never dropped for these: it is flagged (`flags` in its extra_info, each with a
reason), and the merge tool and the report show the flags next to its rank. Flags:
- `wide-dispersion`: the IQR of the timed rounds is more than MAX_RELATIVE_IQR of their median
  (a busy or noisy machine: the median of two close models may swap places);
- `drift`: the median of the last third of the rounds differs from that of the first third by
  more than MAX_DRIFT of the median (something started or stopped during the run);
- `heavy-tail`: the mean is more than MAX_MEAN_EXCESS above the median (many rounds were held
  up, e.g. by another thread or job: the median may look undisturbed while every other round
  waited);
- `unsettled`: the warm-up spent its time limit without the latency settling;
- `clocks-changed`: a CPU's governor or frequency limits, or the power mode, differ between
  before and after the benchmark;
- `throttled`: the firmware reported throttling or a frequency cap during the run.
"""

from fer_edge_harness.results_schema import Flag
from fer_edge_harness.timing import median

MAX_RELATIVE_IQR = 0.10
MAX_DRIFT = 0.10
MAX_MEAN_EXCESS = 0.50
MIN_ROUNDS_FOR_DRIFT = 9  # three thirds of at least three rounds each

FLAG_NAMES = ("unsettled", "wide-dispersion", "drift", "heavy-tail", "clocks-changed",
              "throttled")


def limits():
    """The thresholds in force, recorded in every run so a reader knows what a flag meant."""
    return {"max_relative_iqr": MAX_RELATIVE_IQR, "max_drift": MAX_DRIFT,
            "max_mean_excess": MAX_MEAN_EXCESS}


def drift(data):
    """(median of the last third - median of the first third) / median of all rounds, or None
    with fewer than MIN_ROUNDS_FOR_DRIFT rounds. `data`: round times in the order timed."""
    if len(data) < MIN_ROUNDS_FOR_DRIFT:
        return None
    third = len(data) // 3
    overall = median(data)
    if overall <= 0:
        return None
    return (median(data[-third:]) - median(data[:third])) / overall


def _policy(state):
    """{cpu: (governor, min_mhz, max_mhz)} and the power mode of one board state."""
    cpus = (state or {}).get("cpus") or {}
    policy = dict((name, (info.get("governor"), info.get("min_mhz"), info.get("max_mhz")))
                  for name, info in cpus.items())
    mode = ((state or {}).get("nvpmodel") or {}).get("mode")
    return policy, mode


def clock_changes(before, after):
    """What changed in the clock settings between two board states, one text per change.

    The governor and the frequency limits are compared, not the momentary frequency: under any
    dynamic governor that moves with every change of load, while a new governor, a lowered
    maximum (a thermal cap lowers it) or another power mode changes what the model runs at.
    """
    policy_before, mode_before = _policy(before)
    policy_after, mode_after = _policy(after)
    changes = []
    for name in sorted(set(policy_before) | set(policy_after)):
        old, new = policy_before.get(name), policy_after.get(name)
        if old != new:
            changes.append("{} governor/min/max MHz {} -> {}".format(
                name, "/".join(str(v) for v in old or ("absent",)),
                "/".join(str(v) for v in new or ("absent",))))
    if mode_before != mode_after:
        changes.append("power mode {} -> {}".format(mode_before, mode_after))
    return changes


def throttle_events(before, after):
    """Throttling seen around the run: bits set now (before or after), or bits of the sticky
    "occurred since boot" set that appeared during the run (`vcgencmd get_throttled`)."""
    events = []
    old = (before or {}).get("throttled") or {}
    new = (after or {}).get("throttled") or {}
    now = sorted(set(old.get("now") or []) | set(new.get("now") or []))
    if now:
        events.append("now: " + ", ".join(now))
    appeared = sorted(set(new.get("occurred") or []) - set(old.get("occurred") or []))
    if appeared:
        events.append("occurred during the run: " + ", ".join(appeared))
    return events


def _flag(name, reason):
    return {Flag.FLAG: name, Flag.REASON: reason}


def assess(median_s, iqr_s, data, warm_settled, before, after, mean_s=None):
    """The flags of one benchmark (an empty list: nothing against ranking on it)."""
    flags = []
    if warm_settled is False:
        flags.append(_flag("unsettled", "the warm-up ended at its time limit before the "
                                        "latency settled"))
    if median_s > 0 and iqr_s / median_s > MAX_RELATIVE_IQR:
        flags.append(_flag("wide-dispersion", "IQR {:.0%} of the median (limit {:.0%})".format(
            iqr_s / median_s, MAX_RELATIVE_IQR)))
    moved = drift(data)
    if moved is not None and abs(moved) > MAX_DRIFT:
        flags.append(_flag("drift", "last third of the rounds {:+.0%} against the first "
                                    "(limit {:.0%})".format(moved, MAX_DRIFT)))
    if mean_s is not None and median_s > 0 and mean_s / median_s - 1 > MAX_MEAN_EXCESS:
        flags.append(_flag("heavy-tail", "mean {:.0%} above the median (limit {:.0%})".format(
            mean_s / median_s - 1, MAX_MEAN_EXCESS)))
    changes = clock_changes(before, after)
    if changes:
        flags.append(_flag("clocks-changed", "; ".join(changes)))
    throttled = throttle_events(before, after)
    if throttled:
        flags.append(_flag("throttled", "; ".join(throttled)))
    return flags
