"""The pytest plugin of the board suite: its options, the bundle check before anything runs, one
test per (model, backend), and the `fer_session` fixture.

Loaded by the suite's conftest.py (`pytest_plugins`), so on a board

    python3 -m pytest <site-packages>/fer_edge_harness/suite --bundle B --backend tflite \\
        --device-label rpi4 --stage latency --benchmark-json results/rpi4.json

needs no entry point. A bundle that fails verification stops the run with the verifier's one
line before anything is timed (exit status 4, pytest's usage error).
"""

import pytest

from fer_edge_harness import lifeline
from fer_edge_harness.bundle import BundleError
from fer_edge_harness.confine import within
from fer_edge_harness.power import (
    DEFAULT_IDLE_SECONDS,
    DEFAULT_POWER_SECONDS,
    PowerStage,
    power_settings_from_options,
)
from fer_edge_harness.session import HarnessSession, case_id
from fer_edge_harness.settings import (
    DEFAULT_MAX_WARMUP_S,
    DEFAULT_MIN_TIME_S,
    DEFAULT_ROUNDS,
    DEFAULT_WARMUP_ROUNDS,
    SettingsError,
    settings_from_options,
)

SESSION_PLUGIN = "fer-edge-session"


def pytest_addoption(parser):
    group = parser.getgroup("fer-edge", "fer-edge board benchmark")
    group.addoption("--bundle", dest="fer_bundle", metavar="DIR",
                    help="model bundle folder (verified before anything runs)")
    group.addoption("--backend", dest="fer_backend", default="all", metavar="NAMES",
                    help="comma-separated backends, or all (default: all)")
    group.addoption("--device-label", dest="fer_device_label", metavar="LABEL",
                    help="what you call this board, e.g. jetson-nano-5w")
    group.addoption("--stage", dest="fer_stage", default="latency",
                    help="latency (stage 2) or power (stage 3); default latency")
    group.addoption("--threads", dest="fer_threads", default=None, metavar="N",
                    help="CPU threads given to every runtime (default: the CPUs usable)")
    group.addoption("--rounds", dest="fer_rounds", default=DEFAULT_ROUNDS, metavar="N",
                    help="least timed rounds per benchmark (default {}, the paper's)"
                    .format(DEFAULT_ROUNDS))
    group.addoption("--min-time", dest="fer_min_time", default=DEFAULT_MIN_TIME_S,
                    metavar="S", help="least seconds of timed rounds per benchmark "
                    "(default {}; more rounds than --rounds when needed)"
                    .format(DEFAULT_MIN_TIME_S))
    group.addoption("--warmup-rounds", dest="fer_warmup_rounds", default=DEFAULT_WARMUP_ROUNDS,
                    metavar="N", help="least untimed calls first (default {}); the warm-up "
                    "goes on until the latency settles".format(DEFAULT_WARMUP_ROUNDS))
    group.addoption("--max-warmup-time", dest="fer_max_warmup_time",
                    default=DEFAULT_MAX_WARMUP_S, metavar="S",
                    help="seconds after which a warm-up that has not settled stops and the "
                    "result is flagged (default {}; 0: exactly --warmup-rounds calls)"
                    .format(DEFAULT_MAX_WARMUP_S))
    group.addoption("--round-times", dest="fer_round_times", action="store_true",
                    default=False, help="keep every round's time in the JSON (stats.data); "
                    "off by default: a second of a 50 us model is 20,000 numbers")
    group.addoption("--models", dest="fer_models", default=None, metavar="IDS",
                    help="comma-separated model ids (default: every model of the bundle)")
    group.addoption("--openvino-device", dest="fer_openvino_device", default="CPU",
                    help="OpenVINO device: CPU (default) or MYRIAD (Intel NCS2)")
    group.addoption("--cache-dir", dest="fer_cache_dir", default=None, metavar="DIR",
                    help="where TensorRT engines are cached (default: BUNDLE/engines)")
    group.addoption("--power-sensor", dest="fer_power_sensor", default=None, metavar="SPEC",
                    help="stage power: the meter, e.g. um34c:/dev/rfcomm0, tegrastats, ina3221, "
                    "nvml, rapl, none (default none), or the stand-in um34c-emulator")
    group.addoption("--power-seconds", dest="fer_power_seconds", default=DEFAULT_POWER_SECONDS,
                    metavar="S", help="stage power: seconds of sustained inference per model "
                    "(default {:.0f}, the paper's)".format(DEFAULT_POWER_SECONDS))
    group.addoption("--idle-seconds", dest="fer_idle_seconds", default=DEFAULT_IDLE_SECONDS,
                    metavar="S", help="stage power: seconds of idle baseline before the first "
                    "model (default {:.0f}, the paper's)".format(DEFAULT_IDLE_SECONDS))


def pytest_configure(config):
    """Check the options and verify the bundle, or stop the run with one line."""
    if config.getoption("help", False):
        return
    try:
        settings = settings_from_options(config.getoption)
        _refuse_json_in_bundle(config, settings.bundle_dir)
        power = power_settings_from_options(config.getoption, settings.stage)
        session = HarnessSession(config, settings)
    except (SettingsError, BundleError) as exc:
        raise pytest.UsageError(str(exc)) from None
    if power is not None:
        session.power = PowerStage(power, say=lambda text: _say(config, text))
    config.pluginmanager.register(session, SESSION_PLUGIN)
    lifeline.watch_parent()  # the run ends, saved and marked, when its starter dies


def _refuse_json_in_bundle(config, bundle_dir):
    """The results file must not land in the bundle it measures (it could replace the
    manifest). pytest-benchmark 3.x has opened (truncated) the file by now; 5.x has not."""
    target = config.getoption("benchmark_json", None)
    path = getattr(target, "name", target)
    if path and bundle_dir and within(bundle_dir, str(path)):
        raise SettingsError("--benchmark-json", "{} lies inside the bundle {}: write results "
                            "outside it".format(path, bundle_dir))


def _say(config, text):
    """A line on pytest's terminal (long idle phases should not look like a hang)."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(text)


def pytest_generate_tests(metafunc):
    if "fer_case" in metafunc.fixturenames:
        session = metafunc.config.pluginmanager.getplugin(SESSION_PLUGIN)
        cases = session.cases()
        metafunc.parametrize("fer_case", cases, ids=[case_id(c) for c in cases])


@pytest.fixture
def fer_session(request):
    """The run's HarnessSession (settings, verified manifest, test set, records)."""
    return request.config.pluginmanager.getplugin(SESSION_PLUGIN)
