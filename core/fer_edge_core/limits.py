"""Bounds on the sizes a user may ask for, checked before any work starts.

A count with no bound runs until killed or allocates until the machine gives up (a trial count
of 10**20, a synthetic set of 20 million images needing 172 GiB): each is refused up front with
one line saying the limit and why. Board-side bounds (threads, rounds) live in the harness
(fer_edge_harness.settings), since a board checks them too.
"""

from __future__ import annotations

import os

from fer_edge_core.errors import UserInputError

# Stage 1: a trial trains one model (about 10 s on 2 cores at 5 epochs), so 100000 trials are
# weeks of work; the paper ran about 1000.
MAX_TRIALS = 100_000
MAX_EPOCHS = 10_000
# Stage 3 runs each model this long, and idles this long first (the paper: 180 s): an hour each
# is far beyond any meter's settling; 1e20 or infinity would never end.
MAX_POWER_SECONDS = 3600
GIB = 1024**3


def check_count(option: str, value: int, least: int, most: int, why: str = "") -> int:
    """`value` within [least, most], else UserInputError naming the option and the bound."""
    if value < least:
        raise UserInputError(option, f"must be at least {least}, got {value}")
    if value > most:
        raise UserInputError(option, f"must be at most {most:,}{why}, got {value:,}")
    return value


def available_memory_bytes() -> int | None:
    """Memory this machine can give now (Linux MemAvailable), or None when unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        return None


def check_memory(where: str, needed_bytes: int, what: str) -> None:
    """Refuse work that needs more memory than the machine has available right now."""
    available = available_memory_bytes()
    if available is not None and needed_bytes > available:
        raise UserInputError(where, f"{what} needs about {needed_bytes / GIB:,.1f} GiB of "
                             f"memory; this machine has {available / GIB:,.1f} GiB available")
