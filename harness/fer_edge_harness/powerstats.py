"""Summaries of power samples over a time window: pure arithmetic on (time_s, power_w) pairs.

Mean and sample standard deviation (the spread the paper's Table 2 reports, n - 1 in the
denominator), min, max, the number of samples and their rate over the window. The samples in
a window are kept with the summary (times relative to the window's start), so anyone can
recompute the figures from the results file. Python 3.6 compatible.
"""

import math

MIN_SAMPLES = 2  # fewer cannot give a spread: the phase is then partial


def in_window(samples, start_s, end_s):
    """The samples taken from start_s to end_s (monotonic seconds), in order."""
    return [s for s in samples if start_s <= s.time_s <= end_s]


def summarize(samples, start_s, end_s):
    """{mean_w, std_w, min_w, max_w, samples, rate_hz, seconds, data} of a window."""
    watts = [s.power_w for s in samples]
    count = len(watts)
    seconds = max(0.0, end_s - start_s)
    summary = {"samples": count, "seconds": seconds,
               "rate_hz": count / seconds if seconds > 0 else None,
               "mean_w": None, "std_w": None, "min_w": None, "max_w": None,
               "data": [[round(s.time_s - start_s, 4), s.power_w] for s in samples]}
    if count:
        mean = math.fsum(watts) / count
        summary.update(mean_w=mean, min_w=min(watts), max_w=max(watts))
    if count > 1:
        variance = math.fsum((w - summary["mean_w"]) ** 2 for w in watts) / (count - 1)
        summary["std_w"] = math.sqrt(variance)
    return summary


def without_data(summary):
    """A summary without its samples (for copies where the samples are kept elsewhere)."""
    return dict((key, value) for key, value in summary.items() if key != "data")
