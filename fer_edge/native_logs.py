"""TensorFlow's and the runtimes' own log lines: left out of the command line's output unless
`fer-edge --verbose` asks for them.

TF_CPP_MIN_LOG_LEVEL (set before TensorFlow is imported) hides most of TensorFlow's C++ INFO and
WARNING lines, and the Python loggers of TensorFlow and absl are set to ERROR. Some lines ignore
both: since TensorFlow moved to absl's C++ logging, messages logged before absl::InitializeLog()
(the oneDNN notice of port.cc, printed once per TensorFlow library loaded) go straight to
descriptor 2 whatever the level (https://github.com/tensorflow/tensorflow/issues/100442), as do
the TFLite converter's `fully_quantize: ...` lines and LiteRT's `INFO: Created TensorFlow Lite
XNNPACK delegate for CPU.`. So descriptor 2 (what
native code and child processes write to) goes through a pipe whose reader drops exactly those
lines (NOISE) and passes everything else on, errors included; Python's own sys.stderr keeps the
real terminal, so rich's progress bars, warnings and `error: ...` lines are untouched.
"""

from __future__ import annotations

import atexit
import logging
import os
import re
import sys
import threading

# Whole lines that are log chatter of TensorFlow, TFLite/LiteRT and absl at INFO or WARNING
# level. ERROR and FATAL lines (E..., F...) are never dropped.
NOISE = re.compile(
    rb"^(?:WARNING: All log messages before absl::InitializeLog\(\) is called are written to"
    rb" STDERR"
    rb"|[IW]\d{4} [\d:.]+ +\d+ \S+:\d+\] "  # absl C++: I0000 00:00:17959.. 25441 port.cc:153]
    rb"|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IW] \S+:\d+\] "  # TensorFlow's own C++ format
    rb"|To enable the following instructions: .* rebuild TensorFlow with the appropriate"
    rb" compiler flags\."
    rb"|INFO: (?:Created|Initialized) TensorFlow Lite"
    rb"|fully_quantize: \d+, inference_type: \d+, input_inference_type: \w+,"
    rb" output_inference_type: \w+$)")
QUIET_LOGGERS = ("tensorflow", "absl")


class NativeLogFilter:
    """Descriptor 2 through a pipe; a thread forwards each line that is not NOISE to the
    terminal's stderr. `close` (at exit) puts descriptor 2 back and drains the pipe."""

    def __init__(self) -> None:
        sys.stderr.flush()
        self.terminal = os.dup(2)
        reader, writer = os.pipe()
        os.dup2(writer, 2)
        os.close(writer)
        self._reader = reader
        self._thread = threading.Thread(target=self._pump, name="fer-edge-native-logs",
                                        daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        with os.fdopen(self._reader, "rb", buffering=0) as pipe:
            pending = b""
            while chunk := pipe.read(65536):
                pending += chunk
                *lines, pending = pending.split(b"\n")
                self._forward(line + b"\n" for line in lines)
            self._forward([pending] if pending else [])

    def _forward(self, lines) -> None:
        for line in lines:
            if not NOISE.match(line):
                os.write(self.terminal, line)

    def close(self) -> None:
        """Descriptor 2 back to the terminal; what is still in the pipe is forwarded first."""
        os.dup2(self.terminal, 2)  # closes this process's end of the pipe
        self._thread.join(timeout=2.0)


def quiet_native_logs() -> NativeLogFilter | None:
    """Quiet TensorFlow, absl and the runtimes for this process and its children. Call before
    TensorFlow is imported. Only where sys.stderr is the process's own descriptor 2 (under
    pytest's capture, or any other replacement, nothing is rerouted)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)
    if sys.stderr is not sys.__stderr__ or not _is_descriptor_2(sys.stderr):
        return None
    native = NativeLogFilter()
    sys.stderr = sys.__stderr__ = os.fdopen(
        os.dup(native.terminal), "w", buffering=1, encoding=sys.stderr.encoding,
        errors=sys.stderr.errors)
    atexit.register(native.close)
    return native


def _is_descriptor_2(stream) -> bool:
    try:
        return stream.fileno() == 2
    except (AttributeError, OSError, ValueError):
        return False
