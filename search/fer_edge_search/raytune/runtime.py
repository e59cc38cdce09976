"""Start a Ray runtime on this machine, or join a cluster, for the length of a search."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator

from fer_edge_core.errors import UserInputError
from fer_edge_search.raytune.settings import RaySettings

# Ray refuses an object store under 75 MiB; 200 MiB holds the default data many times over.
MIN_OBJECT_STORE_BYTES = 200 * 1024**2
# Set in every worker. A worker is reused for the next trial once the stopped trial's thread has
# left Keras's fit; Tune waits 2 s for that by default, less than one epoch's cleanup on a busy
# machine, and a reuse that times out errors the next trial.
WORKER_ENV = {"TUNE_FUNCTION_THREAD_TIMEOUT_S": "120", "TF_CPP_MIN_LOG_LEVEL": "2"}


@contextlib.contextmanager
def ray_runtime(engine: RaySettings, data_bytes: int) -> Iterator[int]:
    """Ray started (no address: on this machine with workers x cpus_per_trial CPUs) or joined
    (an address: `ray start --head` printed it, or "auto"); yields how many trials run at once.
    Shut down on the way out, which ends the processes a local runtime started."""
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")  # with verbose=0: Tune prints nothing
    import ray

    runtime_env = {"env_vars": WORKER_ENV}
    if engine.address is None:
        # A local runtime is this user's alone: no token to write under ~/.ray
        # (https://docs.ray.io/en/latest/ray-security/token-auth.html).
        os.environ.setdefault("RAY_AUTH_MODE", "disabled")
        cpus = (engine.workers or os.cpu_count() or 1) * engine.cpus_per_trial
        _start_local(cpus, runtime_env, max(MIN_OBJECT_STORE_BYTES, 4 * data_bytes))
    else:
        try:
            ray.init(address=engine.address, log_to_driver=False, logging_level=logging.ERROR,
                     runtime_env=runtime_env)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise UserInputError("--address", f"cannot join the Ray cluster at "
                                 f"{engine.address}: {exc}") from None
    try:
        cpus = int(ray.cluster_resources().get("CPU", 1))
        yield engine.workers or max(1, cpus // engine.cpus_per_trial)
    finally:
        ray.shutdown()


def _start_local(cpus: int, runtime_env: dict, object_store_bytes: int) -> None:
    """ray.init on this machine, tried twice: Ray waits a fixed 30 s for its raylet to register
    (ray/_private/node.py, "The current node timed out during startup"), which a machine busy
    with other jobs can miss (seen here at a load average of 23 on 2 cores)."""
    import ray

    for attempt in (1, 2):
        try:
            ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False,
                     logging_level=logging.ERROR, runtime_env=runtime_env,
                     object_store_memory=object_store_bytes)
            return
        except Exception as exc:  # Ray raises a bare Exception for this timeout
            if attempt == 2 or "timed out during startup" not in str(exc):
                raise
            ray.shutdown()
