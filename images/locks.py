"""Pin every image's requirements with hashes (`compile`) and prove the pins exist (`check`).

`compile` runs `uv pip compile --generate-hashes` for each image's Python and first platform
(images/images.toml), from images/NAME/requirements.in, run at the repository root so the
local component folders resolve. `check` downloads every pin of every image with pip, binary
wheels only (but an image's `from_source` packages), for each platform the image is built for,
so a pin that has no wheel for a board's Python (or a hash that does not match) fails here
rather than on the board.

    python images/locks.py compile [NAME ...]
    python images/locks.py check [NAME ...]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "images"
# The project's own folders are resolved for their dependencies but installed from the source
# tree, never from an index (no package of these names is ours on PyPI).
LOCAL_PACKAGES = ("fer-edge", "fer-edge-harness", "fer-edge-core", "fer-edge-search",
                  "fer-edge-merge")


def load_targets() -> dict[str, dict]:
    """images/images.toml: {image name: {dockerfile, python, platforms, ci_builds, ...}}."""
    with open(IMAGES / "images.toml", "rb") as handle:
        return tomllib.load(handle)


def requirements_path(name: str) -> Path:
    return IMAGES / name / "requirements.txt"


def compile_command(name: str, target: dict) -> list[str]:
    """The uv command that writes images/NAME/requirements.txt (relative paths, so the file's
    header shows the command to rerun)."""
    argv = ["uv", "pip", "compile", "--quiet", "--generate-hashes", "--no-header",
            "--python-version", target["python"],
            "--python-platform", target["platforms"][0],
            f"images/{name}/requirements.in", "-o", f"images/{name}/requirements.txt"]
    for package in (*LOCAL_PACKAGES, *target.get("no_emit", ())):
        argv += ["--no-emit-package", package]
    return argv


HEADER = ("# Pinned with hashes for Python {python} on {platforms}; do not edit.\n"
          "# Regenerate: make locks (uv pip compile, images/locks.py); check: make locks-check.\n")


def compile_lock(name: str, target: dict) -> None:
    subprocess.run(compile_command(name, target), cwd=ROOT, check=True)
    path = requirements_path(name)
    header = HEADER.format(python=target["python"], platforms=", ".join(target["platforms"]))
    path.write_text(header + path.read_text())


def pip_platform_tags(platform: str) -> list[str]:
    """uv's `aarch64-manylinux_2_31` as the wheel tags pip accepts for that glibc:
    manylinux_2_31_aarch64 and every older manylinux_2_N, plus the legacy aliases."""
    arch, _, tag = platform.partition("-")
    newest = int(tag.rsplit("_", 1)[1])
    tags = [f"manylinux_2_{minor}_{arch}" for minor in range(newest, 16, -1)]
    return [*tags, f"manylinux2014_{arch}"]


def check_command(name: str, target: dict, platform: str, dest: str) -> list[str]:
    version = target["python"].replace(".", "")
    argv = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
            "--only-binary=:all:", "--require-hashes", "--isolated",
            "--python-version", target["python"], "--implementation", "cp",
            "--abi", f"cp{version}", "--abi", "abi3", "--abi", "none", "-d", dest,
            # Python <= 3.7's extension modules are tagged cp3Xm (pymalloc builds).
            "--abi", f"cp{version}m",
            "-r", str(requirements_path(name))]
    for tag in pip_platform_tags(platform):
        argv += ["--platform", tag]
    for package in target.get("from_source", ()):
        argv.append(f"--no-binary={package}")  # built in the image from its hashed sdist
    return argv


def check_lock(name: str, target: dict) -> None:
    """Download every pin for each platform into a throw-away folder (pip's cache keeps what
    it fetched, so a second check costs little)."""
    for platform in target["platforms"]:
        with tempfile.TemporaryDirectory(prefix=f"lock-{name}-") as dest:
            print(f"{name}: Python {target['python']}, {platform}", flush=True)
            subprocess.run(check_command(name, target, platform, dest), check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["compile", "check"])
    parser.add_argument("names", nargs="*", help="images (default: every image)")
    args = parser.parse_args(argv)
    targets = load_targets()
    unknown = [n for n in args.names if n not in targets]
    if unknown:
        print(f"error: images/images.toml: no image {', '.join(unknown)}", file=sys.stderr)
        return 2
    for name in args.names or list(targets):
        (compile_lock if args.action == "compile" else check_lock)(name, targets[name])
    return 0


if __name__ == "__main__":
    sys.exit(main())
