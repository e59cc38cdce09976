"""Native stand-ins for the libraries a board has and this machine lacks, compiled with gcc from
tests/fixtures: libcudart (over host memory) and libedgetpu's version call. Each test gets its
own copy of the library file, so each has its own library state (dlopen shares one per path)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
_BUILT: dict[str, Path] = {}


def compiled(source: Path, work: Path) -> Path:
    """The shared library built from one C file (once per test session)."""
    if str(source) not in _BUILT:
        if shutil.which("gcc") is None:
            pytest.skip("gcc is needed to build the native stand-ins")
        out = work / (source.stem + ".so")
        subprocess.run(["gcc", "-shared", "-fPIC", "-O1", "-Wall", "-Werror", "-o", str(out),
                        str(source)], check=True, capture_output=True, text=True)
        _BUILT[str(source)] = out
    return _BUILT[str(source)]


def private_copy(source: Path, tmp_path_factory, dest: Path) -> Path:
    """A copy of the library built from `source` at `dest` (a fresh library state)."""
    built = compiled(source, tmp_path_factory.mktemp("native"))
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(built, dest)
    return dest


FAKE_CUDART = FIXTURES / "cuda" / "fake_cudart.c"
FAKE_LIBEDGETPU = FIXTURES / "edgetpu" / "fake_libedgetpu.c"
