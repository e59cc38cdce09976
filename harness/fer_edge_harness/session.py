"""The run's state, registered as a pytest plugin: the verified bundle, the cases, what failed
and was skipped, and the results file rewritten after every benchmark.
"""

import collections
import os
import platform

import numpy as np
import pytest

import fer_edge_harness
from fer_edge_harness import bundle, lifeline, results
from fer_edge_harness.backends import BackendUnavailable, backend_class, create_backend
from fer_edge_harness.backends.base import LoadOptions, module_version
from fer_edge_harness.boardstate import Board
from fer_edge_harness.jsonout import JsonWriter, take_over_json_path
from fer_edge_harness.manifest_schema import (
    Artifact,
    ChosenArtifact,
    Input,
    Manifest,
    Model,
    TestSet,
    chosen_artifact,
)
from fer_edge_harness.results_schema import RUN_INFO_KEY, Event
from fer_edge_harness.settings import SettingsError
from fer_edge_harness.testset import load_test_set

Case = collections.namedtuple("Case", "model_id backend")
NOTHING_MEASURED = 5  # pytest's ExitCode.NO_TESTS_COLLECTED: the run measured nothing


def case_id(case):
    return "{}-{}".format(case.model_id, case.backend)


class CaseFailure(Exception):
    """A (model, backend) that could not be measured: the step that failed and why."""

    def __init__(self, step, exc):
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        reason = "{} failed: {}: {}".format(step, type(exc).__name__, lines[-1] if lines else "")
        super(CaseFailure, self).__init__(reason.rstrip(": "))


class HarnessSession(object):
    """Everything one pytest run shares; also the hooks that record outcomes and save JSON."""

    def __init__(self, config, settings, board=None):
        self.config = config
        self.settings = settings
        # Verified before anything is timed: a BundleError stops the run (plugin.py).
        self.manifest = bundle.verify_bundle(settings.bundle_dir)
        self.bundle_sha256 = self.manifest[Manifest.BUNDLE_SHA256]
        self.board = board or Board()
        self.hardware = self.board.hardware()
        self.failures = []
        self.skipped = []
        self.finished = []  # pytest-benchmark Metadata of every complete benchmark
        self.power = None  # a power.PowerStage at --stage power (set by the plugin)
        self.writer = None
        self._complete = False
        self._interrupted = None
        self._test_set = None
        self._check_models()

    def _check_models(self):
        known = [m[Model.ID] for m in self.manifest[Manifest.MODELS]]
        unknown = [m for m in (self.settings.models or []) if m not in known]
        if unknown:
            raise SettingsError("--models", "not in the bundle: {} (it has {})".format(
                ", ".join(unknown), ", ".join(known)))

    def cases(self):
        """One case per (model, backend), backend by backend so a runtime stays warm."""
        wanted = self.settings.models
        models = [m[Model.ID] for m in self.manifest[Manifest.MODELS]
                  if not wanted or m[Model.ID] in wanted]
        return [Case(m, b) for b in self.settings.backends for m in models]

    def model(self, model_id):
        return [m for m in self.manifest[Manifest.MODELS] if m[Model.ID] == model_id][0]

    def test_set(self):
        """(images uint8 (N, H, W), labels int64 (N,)) of the bundle, loaded once."""
        if self._test_set is None:
            path = os.path.join(self.settings.bundle_dir,
                                self.manifest[Manifest.TEST_SET][TestSet.PATH])
            self._test_set = load_test_set(path)  # checked by verify_bundle already
        return self._test_set

    def record_skip(self, backend, reason, model_id=None):
        entry = {Event.BACKEND: backend, Event.REASON: reason}
        if model_id is not None:
            entry[Event.MODEL_ID] = model_id
        if entry not in self.skipped:
            self.skipped.append(entry)

    def open_backend(self, case):
        """A fresh backend for the case; a pytest skip (recorded) when its runtime is missing."""
        try:
            return create_backend(case.backend)
        except BackendUnavailable as exc:
            self.record_skip(case.backend, str(exc))
            pytest.skip("{}: {}".format(case.backend, exc))

    def artifact(self, case):
        """The ChosenArtifact record of the first usable artifact the backend can run (with
        the others it could fall back to), or a recorded skip saying what the bundle holds
        instead."""
        model = self.model(case.model_id)
        formats = backend_class(case.backend).artifact_formats
        usable = []
        for fmt in formats:
            path = bundle.artifact_path(self.settings.bundle_dir, model, fmt)
            if path:
                record = model[Model.ARTIFACTS][fmt]
                usable.append(chosen_artifact(fmt, path, record[Artifact.SHA256], record))
        if usable:
            return dict(usable[0], **{ChosenArtifact.ALTERNATIVES: usable[1:]})
        states = []
        for fmt in formats:
            record = model.get(Model.ARTIFACTS, {}).get(fmt) or {}
            state = record.get(Artifact.STATUS, "absent")
            states.append("{} {}{}".format(fmt, state, ": " + record[Artifact.REASON]
                                           if record.get(Artifact.REASON) else ""))
        reason = "no usable artifact ({})".format("; ".join(states))
        self.record_skip(case.backend, reason, model_id=case.model_id)
        pytest.skip("{}: {}".format(case_id(case), reason))

    def load_options(self, case, artifact):
        settings = self.settings
        return LoadOptions(
            threads=settings.threads,
            input_scaling=bundle.input_scaling(self.manifest, settings.bundle_dir),
            input_shape=self.manifest[Manifest.INPUT][Input.SHAPE],
            artifact_format=artifact[ChosenArtifact.FORMAT],
            artifact_sha256=artifact[ChosenArtifact.SHA256], model_id=case.model_id,
            openvino_device=settings.openvino_device, cache_dir=settings.cache_dir,
            artifact_info=artifact.get(ChosenArtifact.RECORD),
            alternatives=artifact.get(ChosenArtifact.ALTERNATIVES),
            hardware=self.hardware)

    def runtime_versions(self, backend):
        """The backend's runtime versions and those of the harness's own stack."""
        import pytest_benchmark

        versions = {"python": platform.python_version(), "numpy": np.__version__,
                    "pytest": pytest.__version__,
                    "pytest_benchmark": module_version(pytest_benchmark),
                    "fer_edge_harness": fer_edge_harness.__version__}
        versions.update(backend.versions())
        return versions

    def measure_power(self, case, backend, prepared):
        """The case's power record at stage power (a sustained run while the sensor samples),
        None at stage latency."""
        if self.power is None:
            return None
        return self.power.measure_case(case, backend.infer, prepared, self.board)

    # -- pytest hooks ------------------------------------------------------------------------

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session):
        """At stage power, the idle baseline before the first model is loaded."""
        if self.power is not None and session.items and not self.config.option.collectonly:
            self.power.measure_idle(self.board)

    def pytest_sessionstart(self, session):
        path = take_over_json_path(self.config)
        self.writer = JsonWriter(self.config, path, self.settings.keep_round_times) \
            if path else None

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        case = _case_of(item)
        if case is None or not report.failed:
            return
        if call.excinfo is not None and isinstance(call.excinfo.value, CaseFailure):
            reason = str(call.excinfo.value)
        elif call.excinfo is not None:
            reason = "{}: {}".format(report.when, _lines(call.excinfo.exconly())[0])
        else:
            reason = "{}: {}".format(report.when, _lines(report.longreprtext)[-1])
        self.failures.append({Event.MODEL_ID: case.model_id, Event.BACKEND: case.backend,
                              Event.REASON: reason})

    def pytest_runtest_logfinish(self, nodeid, location):
        self.save(complete=False)

    def pytest_sessionfinish(self, session, exitstatus):
        # Interrupted (Ctrl-C, SIGTERM, the starter's death: exit status 2): what finished is
        # kept, marked incomplete, with the reason.
        self._interrupted = lifeline.interruption(exitstatus)
        self.save(complete=self._interrupted is None)
        if int(exitstatus) == 0 and not self.finished:
            # Every case skipped: pytest would say 0, but a board run that measured nothing
            # has failed; 5 is pytest's own "nothing ran" status.
            session.exitstatus = NOTHING_MEASURED

    def pytest_benchmark_update_json(self, config, benchmarks, output_json):
        output_json[RUN_INFO_KEY] = results.run_info(
            self.settings, self.bundle_sha256, self.failures, self.skipped, self._complete,
            power=self.power.run_record() if self.power is not None else None,
            interrupted=self._interrupted)

    def save(self, complete):
        """Rewrite the results file with what has finished (atomically)."""
        self._complete = complete
        if self.writer is not None:
            self.writer.write(self.finished)

    def pytest_report_header(self, config):
        s = self.settings
        lines = ["fer-edge: bundle {} (sha256 {}), device label {}, stage {}".format(
                     s.bundle_dir, self.bundle_sha256[:12], s.device_label, s.stage),
                 "fer-edge: backends {}, threads {}; per benchmark a warm-up of at least {} "
                 "calls until settled (at most {} s), then at least {} rounds and {} s".format(
                     ",".join(s.backends), s.threads, s.warmup_rounds, s.max_warmup_s,
                     s.rounds, s.min_time_s)]
        if self.writer is None:
            lines.append("fer-edge: no --benchmark-json given: results are shown, not saved")
        if self.power is not None:
            p = self.power.settings
            lines.append("fer-edge: power sensor {}, idle {:.0f} s, then {:.0f} s per model{}"
                         .format(p.sensor, p.idle_seconds, p.power_seconds,
                                 "" if p.measures else ": no sensor, power fields stay null"))
        return lines

    def pytest_terminal_summary(self, terminalreporter):
        write = terminalreporter.write_line
        for entry in self.failures:
            write("fer-edge FAILED {} on {}: {}".format(*_event_fields(entry)))
        for entry in self.skipped:
            write("fer-edge skipped {} on {}: {}".format(*_event_fields(entry, "all models")))
        for entry in self.power.partial if self.power is not None else ():
            write("fer-edge power PARTIAL for {} on {}: {}".format(*_event_fields(entry)))
        if self.writer is not None:
            write("fer-edge: {} benchmark(s) written to {}".format(len(self.finished),
                                                                  self.writer.path))
        if not self.finished and not self.failures:
            write("fer-edge: nothing was measured: " + results.nothing_measured(self.skipped))


def _event_fields(entry, no_model=None):
    """(model_id, backend, reason) of a failure, skip or partial entry."""
    return (entry.get(Event.MODEL_ID, no_model), entry[Event.BACKEND], entry[Event.REASON])


def _case_of(item):
    callspec = getattr(item, "callspec", None)
    return callspec.params.get("fer_case") if callspec is not None else None


def _lines(text):
    """The non-empty lines of an error text (["error"] when there are none)."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()] or ["error"]
