"""The one atomic file writer (fer_edge_harness.atomic): a write that fails half-way leaves the
previous file whole. The failure is the operating system's own: a child process whose file-size
limit (RLIMIT_FSIZE) stops the write part-way with EFBIG, as a full disk stops it with ENOSPC."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from fer_edge_harness.atomic import write_atomic

resource = pytest.importorskip("resource")

# Runs in a child so the file-size limit stays there. SIGXFSZ ignored: the write then fails
# with OSError(EFBIG) after the bytes below the limit were written, instead of killing it.
CHILD = """
import os, resource, signal, sys
from fer_edge_harness.atomic import write_atomic
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
limit = int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
try:
    write_atomic(sys.argv[1], b"N" * (4 * limit))
except OSError as exc:
    print("failed", exc.errno)
    sys.exit(3)
print("written")
"""


def write_in_limited_child(path: Path, limit: int) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", CHILD, str(path), str(limit)],
                          capture_output=True, text=True, timeout=60)


def test_a_write_that_fails_half_way_leaves_the_old_file_intact(tmp_path):
    """Guards against a plain open().write() in place of the atomic writer: a write cut off
    part-way (disk full, size limit, a killed board) would leave a truncated, half-new file
    where the user's previous results were."""
    path = tmp_path / "results.json"
    old = json.dumps({"benchmarks": ["measured before"]}).encode()
    path.write_bytes(old)
    done = write_in_limited_child(path, limit=4096)
    assert done.returncode == 3 and done.stdout.startswith("failed"), done.stdout + done.stderr
    assert path.read_bytes() == old
    assert os.listdir(tmp_path) == ["results.json"]  # the partial temporary file is removed


def test_the_limited_child_really_cuts_a_plain_write_short(tmp_path):
    """The stand-in failure is real: under the same limit a plain write truncates the file."""
    path = tmp_path / "plain.bin"
    path.write_bytes(b"old")
    code = ("import resource, signal, sys\n"
            "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
            "resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))\n"
            "try:\n    open(sys.argv[1], 'wb').write(b'N' * 16384)\n"
            "except OSError:\n    sys.exit(3)\n")
    done = subprocess.run([sys.executable, "-c", code, str(path)], timeout=60)
    assert done.returncode == 3
    assert path.read_bytes() == b"N" * 4096  # the old content is gone, the new one is half


def test_a_successful_write_replaces_the_file_with_the_umask_mode(tmp_path):
    path = tmp_path / "sub" / "out.json"
    assert write_atomic(path, b"first") == str(path)
    write_atomic(str(path), b"second")
    assert path.read_bytes() == b"second" and os.listdir(path.parent) == ["out.json"]
    mask = os.umask(0o022)
    os.umask(mask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask
