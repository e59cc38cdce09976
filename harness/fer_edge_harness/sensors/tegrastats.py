"""Jetson power from `tegrastats --interval MS`: one line per interval, the board's input rail.

JetPack 4 (Jetson Nano, L4T r32) prints rails as instant/average milliwatts without a unit,
`POM_5V_IN 2132/2132 POM_5V_GPU 78/78 POM_5V_CPU 275/275`; JetPack 5 and 6 add the unit,
`VDD_IN 7701mW/7701mW VDD_CPU_GPU_CV 1307mW/1327mW`. The total is POM_5V_IN or VDD_IN (the
rail at the board's power input, as jetson-stats takes it); `rail=NAME` picks another; a
board with neither (Jetson AGX Xavier and AGX Orin print only per-domain rails) is read as the
sum of its rails, as jetson-stats does, and describe() says so. The
instant value is used: the average runs over tegrastats' whole lifetime and would smear idle
into active. A line is stamped when it arrives. The child is killed on stop(); a child that
exits or goes quiet is restarted (the sampling thread's reconnects). Python 3.6 compatible.
"""

import os
import re
import select
import shutil
import subprocess
import time

from fer_edge_harness.sensors.base import (
    PollingSensor,
    SensorReadError,
    SensorUnavailable,
    positive_float,
)

TOTAL_RAILS = ("POM_5V_IN", "VDD_IN")
# A rail: upper-case name, instant/average with an optional mW unit. `RAM 1655/3956MB` and
# `SWAP 0/1978MB` do not match: their second number runs into "MB".
RAIL = re.compile(r"(?:^|\s)([A-Z][A-Z0-9_]*) (\d+)(?:mW)?/(\d+)(?:mW)?(?=\s|$)")


def parse_rails(line):
    """{rail: instant milliwatts} of one tegrastats line (both JetPack formats)."""
    return dict((name, int(now)) for name, now, _ in RAIL.findall(line))


def total_rail(rails, wanted=None):
    """The rail to read: `wanted`, else the first of TOTAL_RAILS present; None if absent."""
    if wanted:
        return wanted if wanted in rails else None
    for name in TOTAL_RAILS:
        if name in rails:
            return name
    return None


class TegrastatsSensor(PollingSensor):
    """Reads lines of a `tegrastats` child; each line is one sample of the chosen rail."""

    name = "tegrastats"
    default_interval_ms = 100.0
    options = {"interval_ms": (positive_float, None), "rail": (str, None),
               "command": (str, "tegrastats")}

    def __init__(self, spec):
        super(TegrastatsSensor, self).__init__(spec)
        self.rail = self.settings["rail"]
        self.command = spec.target or self.settings["command"]
        # Lines arrive at tegrastats' own pace: the thread does not sleep between them.
        self.line_interval_s, self.interval_s = self.interval_s, 0.0
        self.timeout_s = max(3 * self.line_interval_s, 2.0)
        self.rail_seen = None
        self._child = None
        self._buffer = b""

    def details(self):
        info = super(TegrastatsSensor, self).details()
        info.update({"command": self.command, "rail": self.rail_seen or self.rail,
                     "interval_s": self.line_interval_s})
        return info

    def open(self):
        path = shutil.which(self.command)
        if path is None:
            raise SensorUnavailable(self.spec, "{} is not on PATH (a Jetson's L4T has it; in "
                                    "a container, mount it in)".format(self.command))
        interval = str(int(round(self.line_interval_s * 1000)))
        try:
            self._child = subprocess.Popen([path, "--interval", interval],
                                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                           stdin=subprocess.DEVNULL)
        except OSError as exc:
            raise SensorReadError("cannot run {}: {}".format(path, exc))
        self._buffer = b""

    def _next_line(self):
        deadline = time.monotonic() + self.timeout_s
        stdout = self._child.stdout
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise SensorReadError("no tegrastats line within {:.1f} s".format(self.timeout_s))
            if not select.select([stdout], [], [], min(left, 0.2))[0]:
                continue
            chunk = os.read(stdout.fileno(), 4096)
            if not chunk:
                raise SensorReadError("tegrastats exited (status {})".format(self._child.poll()))
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line.decode("utf-8", "replace")

    def read_power_w(self):
        if self._child is None:
            raise SensorReadError("tegrastats is not running")
        line = self._next_line()
        rails = parse_rails(line)
        name = total_rail(rails, self.rail)
        if name is not None:
            self.rail_seen = name
            return rails[name] / 1000.0
        if rails and not self.rail:
            self.rail_seen = "sum of " + "+".join(sorted(rails))
            return sum(rails.values()) / 1000.0
        raise SensorReadError("garbled tegrastats line: no {} rail in {!r}".format(
            self.rail or "power", line[:120]))

    def interrupt(self):
        """End the child so a read waiting on its pipe sees the end at once."""
        child = self._child
        if child is not None and child.poll() is None:
            child.terminate()

    def close(self):
        child, self._child = self._child, None
        if child is None:
            return
        if child.poll() is None:
            child.terminate()
            try:
                child.wait(timeout=2)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        child.stdout.close()
