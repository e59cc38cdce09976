"""What every power sensor is: `describe()`, `start()`, `stop() -> samples`, and the one sampling
thread that polls a reader, retries, reconnects and gives up with a reason (Python 3.6).

A sensor samples in a background thread and stamps each sample with `time.monotonic()`, the
clock the power stage also uses for its own windows, so idle and active phases can be cut out
of the samples exactly. A reader that stops answering, answers with a short or garbled record,
or disappears is never waited on forever: every read is bounded by a timeout, a few failed
reads trigger a reconnect, and after a few failed reconnects the sensor records its `fault`
and stops sampling. `stop()` always ends the thread and closes the device or child process.
"""

import collections
import threading
import time

Sample = collections.namedtuple("Sample", "time_s power_w")

SensorSpec = collections.namedtuple("SensorSpec", "text name target options")


class SensorError(Exception):
    """A sensor that cannot be used as asked; the message names the sensor spec first."""

    def __init__(self, spec, problem):
        self.spec = spec.text if isinstance(spec, SensorSpec) else str(spec)
        self.problem = problem
        super(SensorError, self).__init__("{}: {}".format(self.spec, problem))


class SensorSpecError(SensorError):
    """The spec itself is wrong (unknown sensor, option or value): the user's input to fix."""


class SensorUnavailable(SensorError):
    """The sensor's library, tool or device is missing here."""


class SensorReadError(Exception):
    """One read failed (timeout, short or garbled record, device gone): retried by the thread."""


class Sensor(object):
    """A power sensor chosen by a spec `NAME[:TARGET][,KEY=VALUE...]`. Subclasses declare their
    options as {key: (converter, default)} and implement start/stop (or use PollingSensor)."""

    name = ""
    stand_in = False  # True only for emulators: their watts are modelled, not measured
    options = {}

    def __init__(self, spec):
        self.spec = spec
        unknown = sorted(set(spec.options) - set(self.options))
        if unknown:
            raise SensorSpecError(spec, "unknown option {} (known: {})".format(
                ", ".join(unknown), ", ".join(sorted(self.options)) or "none"))
        self.settings = {}
        for key, (convert, default) in self.options.items():
            raw = spec.options.get(key)
            try:
                self.settings[key] = default if raw is None else convert(raw)
            except ValueError:
                raise SensorSpecError(spec, "option {}={!r} is not valid".format(key, raw))
        self._fault = None

    @property
    def fault(self):
        """Why the sensor gave up while sampling (None while it works)."""
        return self._fault

    def describe(self):
        """What this sensor is, for the results: name, spec, stand-in or not, and details."""
        info = {"name": self.name, "spec": self.spec.text, "stand_in": self.stand_in}
        info.update(self.details())
        return info

    def details(self):
        return {}

    def start(self):
        raise NotImplementedError

    def stop(self):
        """End sampling; the samples taken since start(), oldest first."""
        raise NotImplementedError


def positive_float(text):
    value = float(text)
    if not value > 0:
        raise ValueError(text)
    return value


class PollingSensor(Sensor):
    """A sensor read by polling: `open()`, `read_power_w()` (bounded by a timeout; None while a
    counter-based reader primes itself), `close()`. One thread polls every `interval_s`."""

    default_interval_ms = 100.0
    # A sample's time: when it was asked for (a meter answering a request reads "now"), or
    # when it arrived (a stream such as tegrastats reports the interval that just ended).
    stamp_at_request = False
    read_retries = 2       # failed reads in a row before the device is reopened
    max_reconnects = 3     # reopenings in a row before the sensor gives up
    reconnect_pause_s = 0.3

    def __init__(self, spec):
        super(PollingSensor, self).__init__(spec)
        self.interval_s = (self.settings.get("interval_ms") or self.default_interval_ms) / 1000.0
        self.reconnects = 0  # over the whole run, reported in describe()
        self.last_error = None
        self._samples = []
        self._stop_event = threading.Event()
        self._thread = None

    # -- what a reader implements ------------------------------------------------------------

    def open(self):
        """Connect; raise SensorUnavailable (missing library, tool, permission) or
        SensorReadError (device not answering yet)."""

    def read_power_w(self):
        raise NotImplementedError

    def close(self):
        """Release the device or child process; must not raise."""

    def interrupt(self):
        """Make a blocked read return soon (called by stop() before joining the thread)."""

    # -- the sampling thread -----------------------------------------------------------------

    def details(self):
        return {"interval_s": self.interval_s, "reconnects": self.reconnects,
                "last_error": self.last_error}

    def start(self):
        """Connect and take the first reading here (a dead meter fails now, with its reason),
        then sample in a background thread."""
        if self._thread is not None:
            raise RuntimeError("{} is already sampling".format(self.spec.text))
        self._samples = []
        self._fault = None
        self._stop_event.clear()
        self._connect_first()
        self._thread = threading.Thread(target=self._run, name="fer-edge-" + self.name)
        self._thread.daemon = True
        self._thread.start()

    def stop(self):
        self._stop_event.set()
        self.interrupt()
        if self._thread is not None:
            self._thread.join(timeout=self.interval_s + 10.0)
            if self._thread.is_alive() and self._fault is None:
                self._fault = "the reader thread did not stop"
        self._thread = None
        self.close()
        return list(self._samples)

    def _take(self):
        asked = time.monotonic()
        watts = self.read_power_w()
        if watts is not None:
            stamp = asked if self.stamp_at_request else time.monotonic()
            self._samples.append(Sample(stamp, float(watts)))

    def _connect_first(self):
        attempts = 1 + self.max_reconnects
        for attempt in range(attempts):
            if attempt:
                self.close()
                time.sleep(self.reconnect_pause_s)
            try:
                self.open()
                self._take()
                return
            except SensorReadError as exc:
                self.last_error = str(exc)
        self.close()
        raise SensorError(self.spec, "{} (gave up after {} tries)".format(self.last_error,
                                                                        attempts))

    def _reconnect(self):
        """Close and reopen; the reason when the device cannot be reopened (None: reopened)."""
        self.close()
        self._stop_event.wait(self.reconnect_pause_s)
        try:
            self.open()
            return None
        except SensorReadError as exc:
            return str(exc)

    def _run(self):
        failures, reconnects = 0, 0
        first_error, reopen_error = None, None
        next_at = time.monotonic()
        while not self._stop_event.is_set():
            next_at += self.interval_s
            try:
                self._take()
                failures, reconnects, first_error, reopen_error = 0, 0, None, None
            except SensorReadError as exc:
                if self._stop_event.is_set():
                    break
                self.last_error = str(exc)
                first_error = first_error or str(exc)
                failures += 1
                if failures >= self.read_retries:
                    if reconnects >= self.max_reconnects:
                        self._fault = "{}{} (gave up after {} reconnects)".format(
                            first_error, "; reopening: " + reopen_error if reopen_error else "",
                            reconnects)
                        break
                    reconnects += 1
                    self.reconnects += 1
                    reopen_error = self._reconnect() or reopen_error
                    next_at = time.monotonic()
            except Exception as exc:  # a reader bug must end sampling with its reason, not hang
                if self._stop_event.is_set():
                    break
                self._fault = "{}: {}".format(type(exc).__name__, exc)
                break
            self._stop_event.wait(max(0.0, next_at - time.monotonic()))
