"""A stand-in UM24C / UM25C / UM34C on a pseudo-terminal, for tests and for seeing stage 3 end to
end without a meter. It answers each 0xF0 with a record (umrecord.encode) whose watts come
from a power model: a replayed trace (one value per answer, cyclically) or a model of a
process's CPU use. It can also misbehave as a broken meter does: stay silent, send short or
garbled records, or vanish (the pseudo-terminal closed) after some answers. Its watts are
modelled, never measured: everything that uses it says it is a stand-in.

    python3 -m fer_edge_harness.sensors.emulator --trace trace.txt   # prints /dev/pts/N

Linux (os.openpty, /proc). Python 3.6 compatible.
"""

import argparse
import collections
import os
import select
import signal
import sys
import threading
import time
import tty

from fer_edge_harness.sensors.umrecord import MODELS, REQUEST, encode

BEHAVIOURS = ("answer", "silent", "short", "garbled")
DEFAULT_VOLTS = 5.10  # a USB supply under load; only the power field is read for watts


class TracePower(object):
    """Watts replayed from a list, one value per answer, starting over at the end."""

    def __init__(self, watts):
        self.watts = [float(w) for w in watts]
        if not self.watts or min(self.watts) < 0:
            raise ValueError("a power trace needs at least one value, none negative")
        self._next = 0

    def __call__(self):
        value = self.watts[self._next % len(self.watts)]
        self._next += 1
        return value

    def describe(self):
        return {"model": "trace", "values": len(self.watts),
                "mean_w": sum(self.watts) / len(self.watts)}


def read_trace(path):
    """A trace file: one watt value per line; blank lines and `#` comments are skipped."""
    values = []
    with open(path) as handle:
        for number, line in enumerate(handle, start=1):
            text = line.split("#", 1)[0].strip()
            if text:
                try:
                    values.append(float(text.split(",")[-1]))
                except ValueError:
                    raise ValueError("{}:{}: not a watt value: {!r}".format(path, number, text))
    return TracePower(values)


def process_cpu_seconds(pid):
    """User + system CPU seconds of a process (all its threads), from /proc/PID/stat."""
    with open("/proc/{}/stat".format(pid)) as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / float(os.sysconf("SC_CLK_TCK"))


class CpuPower(object):
    """Watts modelled from a process's CPU use: idle_w + cpu_w x (CPU seconds / wall seconds)
    over the last `window_s` at least (the kernel counts CPU time in 10 ms ticks, so shorter
    windows would jump between 0 and many CPUs). A model, not a measurement: it makes a busy
    inference loop draw more than an idle process, as a board's CPU does."""

    def __init__(self, pid=None, idle_w=2.7, cpu_w=1.2, window_s=0.25):
        self.pid = pid or os.getpid()
        self.idle_w = float(idle_w)
        self.cpu_w = float(cpu_w)
        self.window_s = float(window_s)
        self._history = collections.deque([(time.monotonic(), process_cpu_seconds(self.pid))])
        self._busy = 0.0

    def __call__(self):
        now, cpu = time.monotonic(), process_cpu_seconds(self.pid)
        while len(self._history) > 1 and now - self._history[1][0] >= self.window_s:
            self._history.popleft()
        then, before = self._history[0]
        if now - then >= self.window_s:
            cpus = os.cpu_count() or 1
            self._busy = min(float(cpus), max(0.0, (cpu - before) / (now - then)))
        self._history.append((now, cpu))
        return self.idle_w + self.cpu_w * self._busy

    def describe(self):
        return {"model": "cpu", "pid": self.pid, "idle_w": self.idle_w, "cpu_w": self.cpu_w,
                "window_s": self.window_s}


class UmEmulator(object):
    """Serves one meter on a new pseudo-terminal (`device`) from a thread until close()."""

    def __init__(self, power, model="um34c", behaviour="answer", answers_before_unplug=None,
                 volts=DEFAULT_VOLTS):
        if behaviour not in BEHAVIOURS:
            raise ValueError("behaviour must be one of {}".format(", ".join(BEHAVIOURS)))
        self.power = power
        self.model = MODELS[model]
        self.behaviour = behaviour
        self.answers_before_unplug = answers_before_unplug
        self.volts = float(volts)
        self.answers = 0
        self.device = None
        self._fds = ()
        self._stop = threading.Event()
        self._thread = None

    def start(self):
        master, slave = os.openpty()
        tty.setraw(slave)  # no echo, no CR/LF translation: 0x0d in a record stays 0x0d
        self._fds = (master, slave)
        self.device = os.ttyname(slave)
        self._thread = threading.Thread(target=self._serve, name="fer-edge-um-emulator")
        self._thread.daemon = True
        self._thread.start()
        return self

    def record(self):
        """The next answer as this emulator's behaviour makes it."""
        watts = self.power()
        record = encode(self.model, self.volts, watts / self.volts, watts=watts)
        if self.behaviour == "short":
            return record[:60]
        if self.behaviour == "garbled":
            return b"\x12\x34" + record[2:]
        return record

    def _serve(self):
        master = self._fds[0]
        while not self._stop.is_set():
            ready = select.select([master], [], [], 0.05)[0]
            if not ready:
                continue
            try:
                requests = os.read(master, 256).count(REQUEST)
            except OSError:
                break
            for _ in range(requests if self.behaviour != "silent" else 0):
                if self.answers_before_unplug is not None \
                        and self.answers >= self.answers_before_unplug:
                    self._unplug()
                    return
                os.write(master, self.record())
                self.answers += 1

    def _unplug(self):
        """The meter vanishes: the pseudo-terminal is closed and its device node goes away."""
        fds, self._fds = self._fds, ()
        for fd in fds:
            try:
                os.close(fd)
            except OSError:
                pass

    def close(self):
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        self._unplug()

    def describe(self):
        info = {"emulated_meter": self.model.title, "device": self.device,
                "behaviour": self.behaviour}
        info.update(self.power.describe())
        return info


def _arguments(argv):
    parser = argparse.ArgumentParser(
        prog="python3 -m fer_edge_harness.sensors.emulator",
        description="A stand-in UM meter on a pseudo-terminal (prints its device, then serves "
                    "until interrupted). Its watts are modelled, not measured.")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--trace", help="file of watt values, one per answer, replayed")
    source.add_argument("--watts", type=float, help="answer this constant power")
    source.add_argument("--pid", type=int, help="model watts from this process's CPU use")
    parser.add_argument("--idle-w", type=float, default=2.7, help="with --pid (default 2.7)")
    parser.add_argument("--cpu-w", type=float, default=1.2,
                        help="with --pid: watts per busy CPU (default 1.2)")
    parser.add_argument("--model", choices=sorted(MODELS), default="um34c")
    parser.add_argument("--behaviour", choices=BEHAVIOURS, default="answer")
    parser.add_argument("--unplug-after", type=int, default=None, metavar="N",
                        help="vanish after N answers, as an unplugged meter")
    return parser.parse_args(argv)


def power_model(args):
    if args.trace:
        return read_trace(args.trace)
    if args.pid:
        return CpuPower(args.pid, args.idle_w, args.cpu_w)
    return TracePower([2.5 if args.watts is None else args.watts])


def main(argv=None):
    args = _arguments(argv)
    try:
        power = power_model(args)
    except (OSError, ValueError) as exc:
        print("error: {}".format(exc), file=sys.stderr)
        return 2
    emulator = UmEmulator(power, args.model, args.behaviour, args.unplug_after).start()
    print(emulator.device, flush=True)
    print("stand-in {} on {} ({}): Ctrl-C to stop".format(
        emulator.model.title, emulator.device, power.describe()), file=sys.stderr, flush=True)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    while not stop.is_set() and emulator._fds:
        stop.wait(0.2)
    emulator.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
