"""A container engine for the image tests: the Docker SDK for Python on DOCKER_HOST, or on a
podman API socket started here (`podman system service`) with fer-edge's podman settings
(images/podman/env.sh), so the images `make images` built are the ones the tests run.

Without podman or DOCKER_HOST the tests skip with the reason; with FER_EDGE_IMAGES=1 (CI,
`make test-images`) they fail instead, so CI never passes by skipping them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REQUIRED = os.environ.get("FER_EDGE_IMAGES") == "1"


def unavailable(reason: str):
    if REQUIRED:
        pytest.fail(f"FER_EDGE_IMAGES=1 but {reason}")
    pytest.skip(reason)


class PodmanService:
    """`podman system service` on a socket of its own, for the length of the test session."""

    def __init__(self, folder: Path):
        self.socket = folder / "podman.sock"
        script = (f"source {ROOT}/images/podman/env.sh && exec podman system service "
                  f"--time=0 unix://{self.socket}")
        self.process = subprocess.Popen(["bash", "-c", script], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 60
        while not self.socket.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                unavailable("podman system service did not start")
            time.sleep(0.2)

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()


def engine_client(tmp_path_factory):
    """(docker.DockerClient, stop callback) for DOCKER_HOST, else a podman socket."""
    docker = pytest.importorskip("docker", reason="the docker package (Docker SDK) is needed")
    if os.environ.get("DOCKER_HOST"):
        return docker.DockerClient(base_url=os.environ["DOCKER_HOST"], timeout=900), None
    if shutil.which("podman") is None:
        unavailable("no container engine: install podman (CI does) or set DOCKER_HOST")
    service = PodmanService(tmp_path_factory.mktemp("podman"))
    return docker.DockerClient(base_url=service.url, timeout=900), service.stop


def require_image(client, name: str):
    import docker

    try:
        return client.images.get(name)
    except docker.errors.ImageNotFound:
        unavailable(f"image {name} is not built (make images)")


def run(client, image: str, command: list[str], volumes: dict | None = None, user: str | None =
        None, entrypoint: list[str] | None = None, **kwargs) -> tuple[int, str]:
    """Run a container to its end as `docker run --rm` would; (exit status, its output)."""
    container = client.containers.run(image, command, volumes=volumes or {}, detach=True,
                                      user=user, entrypoint=entrypoint, **kwargs)
    try:
        status = container.wait(timeout=1800)["StatusCode"]
        return status, container.logs(stdout=True, stderr=True).decode("utf-8", "replace")
    finally:
        container.remove(force=True)
