"""The image files without an engine: every image's pinned requirements (pinned, hashed, the
file its Dockerfile installs with --require-hashes), the runtime versions its OCI labels claim
against those pins, hadolint on every Dockerfile, and the compose files against the Compose
specification's own schema and the devices each board needs."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from fer_edge_harness import cli

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def load_locks_module():
    spec = importlib.util.spec_from_file_location("image_locks", ROOT / "images" / "locks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


locks = load_locks_module()
TARGETS = locks.load_targets()


def pinned(path: Path) -> dict[str, tuple[str, list[str]]]:
    """{name: (version, [hashes])} from a requirements file; fails on an unpinned line."""
    entries: dict[str, tuple[str, list[str]]] = {}
    text = path.read_text().replace("\\\n", " ")
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.fullmatch(r"([A-Za-z0-9._-]+)==(\S+)((?:\s+--hash=sha256:[0-9a-f]{64})+)", line)
        assert match, f"{path}: not pinned with hashes: {line!r}"
        hashes = re.findall(r"sha256:([0-9a-f]{64})", match.group(3))
        entries[match.group(1).lower()] = (match.group(2), hashes)
    return entries


def dockerfile(name: str) -> str:
    return (ROOT / TARGETS[name]["dockerfile"]).read_text()


def labels(text: str) -> dict[str, str]:
    block = re.search(r"^LABEL (.*?)\n\n", text, re.M | re.S).group(1)
    return dict(re.findall(r'([\w.-]+)="([^"]*)"', block))


def test_every_dockerfile_is_listed_in_images_toml():
    listed = {target["dockerfile"] for target in TARGETS.values()}
    assert listed == {p.name for p in ROOT.glob("Dockerfile.*")}


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_requirements_are_pinned_with_hashes_and_installed_with_require_hashes(name):
    entries = pinned(locks.requirements_path(name))
    assert "pytest" in entries and "pytest-benchmark" in entries
    assert all(hashes for _, hashes in entries.values())
    text = dockerfile(name)
    assert f"COPY images/{name}/requirements.txt" in text
    assert "--require-hashes" in text
    # The project's own folders are never fetched from an index.
    assert not set(entries) & set(locks.LOCAL_PACKAGES)


def test_no_harness_image_pins_tensorflow():
    for name in TARGETS:
        if name != "search":
            assert not [p for p in pinned(locks.requirements_path(name)) if "tensorflow" in p]
    assert "tensorflow-cpu" in pinned(locks.requirements_path("search"))


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_labels_name_the_python_and_the_pinned_runtime_versions(name):
    found = labels(dockerfile(name))
    assert found["org.opencontainers.image.title"] == f"fer-edge-{name}"
    assert found["io.fer-edge.python"] == TARGETS[name]["python"]
    entries = pinned(locks.requirements_path(name))
    for claim in found["io.fer-edge.runtimes"].split(", "):
        package, version = claim.split(" ", 1)[0].lower(), claim.split(" ")[1]
        if package in entries:  # pip-installed runtimes must match their pin
            assert entries[package][0] == version, (name, claim)


@pytest.mark.parametrize("name", sorted(set(TARGETS) - {"search"}))
def test_board_images_run_the_harness_with_their_backends(name):
    text = dockerfile(name)
    assert 'ENTRYPOINT ["python3", "-m", "fer_edge_harness"]' in text
    env_backends = re.search(r"FER_EDGE_BACKEND=(\S+)", text).group(1)
    assert env_backends == labels(text)["io.fer-edge.backends"]
    assert "FER_EDGE_RESULTS=/results" in text
    # the harness alone, never the host's components
    assert re.findall(r"^COPY (\S+)", text, re.M) == [f"images/{name}/requirements.txt",
                                                      "harness"]


def test_platform_tags_cover_older_glibc_and_the_legacy_alias():
    assert locks.pip_platform_tags("aarch64-manylinux_2_17") == [
        "manylinux_2_17_aarch64", "manylinux2014_aarch64"]
    tags = locks.pip_platform_tags("x86_64-manylinux_2_31")
    assert tags[0] == "manylinux_2_31_x86_64" and "manylinux_2_28_x86_64" in tags
    assert tags[-1] == "manylinux2014_x86_64"


def test_check_command_builds_from_source_only_what_the_image_builds():
    argv = locks.check_command("jetson", TARGETS["jetson"], "aarch64-manylinux_2_17", "/tmp/x")
    assert "--only-binary=:all:" in argv and "--no-binary=pycuda" in argv
    assert "cp36m" in argv  # Python 3.6's extension tag
    argv = locks.check_command("cpu", TARGETS["cpu"], "x86_64-manylinux_2_36", "/tmp/x")
    assert not [a for a in argv if a.startswith("--no-binary")]


def hadolint(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "hadolint"), "--no-color", "--failure-threshold", "warning",
                           str(path)], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("path", sorted(ROOT.glob("Dockerfile.*")), ids=lambda p: p.name)
def test_hadolint_finds_nothing_above_info_and_every_ignore_is_justified(path):
    done = hadolint(path)
    assert done.returncode == 0, done.stdout
    lines = path.read_text().splitlines()
    for number, line in enumerate(lines):
        if "hadolint ignore=" in line:
            assert lines[number - 1].startswith("# ") and "hadolint" not in lines[number - 1], \
                f"{path.name}:{number + 1}: say why beside the ignore"


def test_hadolint_does_flag_an_unpinned_pip_install(tmp_path):
    bad = tmp_path / "Dockerfile.bad"
    bad.write_text("FROM debian:bookworm-slim\nRUN pip install numpy\n")
    done = hadolint(bad)
    assert done.returncode != 0 and "DL3013" in done.stdout


COMPOSE = sorted((ROOT / "compose").glob("*.yaml"))


def check_compose(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "check-jsonschema"), "--builtin-schema",
                           "vendor.compose-spec", str(path)], capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize("path", COMPOSE, ids=lambda p: p.name)
def test_compose_file_is_valid_compose(path):
    done = check_compose(path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_compose_schema_rejects_a_broken_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(COMPOSE[0].read_text().replace("volumes:", "volume:", 1))
    assert check_compose(bad).returncode != 0


def services(path: Path) -> dict:
    return yaml.safe_load(path.read_text())["services"]


BOARD_DEVICES = {
    "ncs2.yaml": lambda s: s.get("device_cgroup_rules") == ["c 189:* rmw"]
    and "/dev/bus/usb:/dev/bus/usb" in s["volumes"],
    "coral-usb.yaml": lambda s: "/dev/bus/usb:/dev/bus/usb" in s["devices"],
    "coral-devboard.yaml": lambda s: "/dev/apex_0:/dev/apex_0" in s["devices"],
    "jetson-nano.yaml": lambda s: s["runtime"] == "nvidia",
    "jetson-orin.yaml": lambda s: s["runtime"] == "nvidia",
    # CPU boards: no device but the power meter
    "pi.yaml": lambda s: all(d.endswith(":/dev/powermeter") for d in s.get("devices", [])),
    "cpu.yaml": lambda s: "devices" not in s,
}


@pytest.mark.parametrize("path", COMPOSE, ids=lambda p: p.name)
def test_compose_services_have_the_board_devices_and_harness_options(path):
    known = {names[0] for names, _ in cli.suite_options()} | {"--results", "--json"}
    for name, service in services(path).items():
        assert BOARD_DEVICES[path.name](service), (path.name, name)
        assert "../models:/models:ro" in service["volumes"]
        assert "../results:/results" in service["volumes"]
        image = service["image"].removeprefix("localhost/fer-edge-")
        assert image in TARGETS
        options = [a for a in service["command"] if a.startswith("--")]
        stage = service["command"][service["command"].index("--stage") + 1]
        assert stage == name
        if name == "power":  # stage 3: a UM meter's serial device, or a Jetson's own rails
            assert service["profiles"] == ["power"]
            sensor = service["command"][service["command"].index("--power-sensor") + 1]
            if path.name.startswith("jetson"):
                assert sensor == "${POWER_SENSOR:-ina3221}"
            else:
                assert sensor == "um34c:/dev/powermeter"
                assert any(d.endswith(":/dev/powermeter") for d in service["devices"])
        assert set(options) <= known, (path.name, set(options) - known)


def test_every_board_image_has_a_compose_file():
    images = {services(p)["latency"]["image"].removeprefix("localhost/fer-edge-")
              for p in COMPOSE}
    assert images == set(TARGETS) - {"search"}
