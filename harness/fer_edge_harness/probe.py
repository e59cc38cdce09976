"""Read a power sensor for a few seconds and say what it saw: the first thing to run with a new
meter, on the board itself or inside its image (`fer-edge power probe` calls the same code).

    python3 -m fer_edge_harness.probe um34c:/dev/rfcomm0 --seconds 5 [--json]

Prints mean, min, max and standard deviation of the watts, the number of samples and their
rate. A sensor that does not answer, answers garbage or vanishes ends as one line,
`error: SPEC: PROBLEM`, exit status 1; a spec that is wrong, exit status 2. Python 3.6.
"""

import argparse
import json
import sys
import time

from fer_edge_harness import powerstats
from fer_edge_harness.sensors import SensorError, SensorSpecError, create_sensor

EXIT_SENSOR_FAILED = 1
EXIT_BAD_SPEC = 2


def probe(spec, seconds):
    """{sensor, seconds, samples, rate_hz, mean_w, std_w, min_w, max_w, stand_in, describe};
    SensorError when the sensor cannot be read for the whole time."""
    if not seconds > 0:
        raise SensorSpecError(spec, "--seconds must be more than 0, got {}".format(seconds))
    sensor = create_sensor(spec)
    sensor.start()
    start = time.monotonic()
    try:
        while sensor.fault is None and time.monotonic() - start < seconds:
            time.sleep(min(0.1, max(0.0, seconds - (time.monotonic() - start))))
    finally:
        end = time.monotonic()
        samples = sensor.stop()
    if sensor.fault:
        raise SensorError(spec, sensor.fault)
    window = powerstats.in_window(samples, start, end)
    if not window:
        raise SensorError(spec, "no samples in {:.1f} s".format(seconds))
    summary = powerstats.without_data(powerstats.summarize(window, start, end))
    info = sensor.describe()
    summary.update(sensor=spec, stand_in=info["stand_in"], describe=info)
    return summary


def format_summary(summary):
    """One line for people: `SPEC: mean 2.503 W (min ..., max ..., std ...), N samples ...`."""
    std = summary["std_w"]
    line = ("{sensor}: mean {mean_w:.3f} W (min {min_w:.3f}, max {max_w:.3f}, std {std}), "
            "{samples} samples in {seconds:.1f} s ({rate_hz:.1f} Hz)").format(
                std="-" if std is None else "{:.3f}".format(std), **summary)
    if summary["stand_in"]:
        line += " [STAND-IN: modelled watts, not a measurement]"
    return line


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python3 -m fer_edge_harness.probe",
                                     description="Read a power sensor for a few seconds.")
    parser.add_argument("sensor", help="sensor spec, e.g. um34c:/dev/rfcomm0, tegrastats, rapl")
    parser.add_argument("--seconds", type=float, default=5.0, help="how long (default 5)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    args = parser.parse_args(argv)
    try:
        summary = probe(args.sensor, args.seconds)
    except SensorSpecError as exc:
        print("error: {}".format(exc), file=sys.stderr)
        return EXIT_BAD_SPEC
    except SensorError as exc:
        print("error: {}".format(exc), file=sys.stderr)
        return EXIT_SENSOR_FAILED
    print(json.dumps(summary, indent=2, sort_keys=True) if args.json else format_summary(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
