"""Stage 3's method on a board: an idle baseline first, then per model a sustained run of batch-1
inferences while the sensor samples (the paper, section 3.3: idle for three minutes, then each
model for three minutes; dynamic power = active - idle). Python 3.6 compatible.

The idle baseline is measured once per run, before any model is loaded, the same way as the
active phases (a fresh sensor, the same rate, samples cut to the phase's window). A meter that
fails marks the benchmark partial with the reason; its latency and accuracy are kept and the
run goes on. Nothing here raises for a meter fault; an inference that fails still fails.
"""

import time

from fer_edge_harness import powerstats
from fer_edge_harness.results_schema import (
    POWER_MEASURED,
    POWER_NOT_MEASURED,
    POWER_PARTIAL,
    STAGE_POWER,
    Event,
    PowerRecord,
    RunInfo,
)
from fer_edge_harness.sensors import NO_SENSOR, SensorError, create_sensor, parse_spec
from fer_edge_harness.settings import SettingsError
from fer_edge_harness.sustained import per_inference_ms, run_sustained

DEFAULT_POWER_SECONDS = 180.0  # the paper: each model runs for three minutes
DEFAULT_IDLE_SECONDS = 180.0   # the paper: idle power for three minutes first


class PowerSettings(object):
    """The sensor spec and the two durations, checked once."""

    def __init__(self, sensor=NO_SENSOR, power_seconds=DEFAULT_POWER_SECONDS,
                 idle_seconds=DEFAULT_IDLE_SECONDS):
        self.sensor = sensor
        self.power_seconds = float(power_seconds)
        self.idle_seconds = float(idle_seconds)

    @property
    def measures(self):
        return parse_spec(self.sensor).name != NO_SENSOR


def _seconds(option, value):
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise SettingsError(option, "{!r} is not a number of seconds".format(value))
    if not number > 0:
        raise SettingsError(option, "must be more than 0 seconds, got {}".format(value))
    return number


def power_settings_from_options(get, stage):
    """PowerSettings at --stage power (None at latency); SettingsError naming the option."""
    sensor = get("fer_power_sensor")
    if stage != STAGE_POWER:
        if sensor not in (None, NO_SENSOR):
            raise SettingsError("--power-sensor", "only measured with --stage power")
        return None
    sensor = sensor or NO_SENSOR
    try:
        create_sensor(sensor)  # checks the name and every option; opens nothing
    except SensorError as exc:
        raise SettingsError("--power-sensor", str(exc))
    return PowerSettings(sensor, _seconds("--power-seconds", get("fer_power_seconds")),
                         _seconds("--idle-seconds", get("fer_idle_seconds")))


def _wait(sensor, seconds):
    """Sleep through an idle phase, ending early if the sensor gives up."""
    end = time.monotonic() + seconds
    while sensor.fault is None:
        left = end - time.monotonic()
        if left <= 0:
            return
        time.sleep(min(0.25, left))


def _too_few(phase, summary):
    if summary["samples"] >= powerstats.MIN_SAMPLES:
        return None
    return "{}: only {} sample(s) in {:.1f} s (lengthen the phase or sample faster)".format(
        phase, summary["samples"], summary["seconds"])


class PowerStage(object):
    """Measures the run's idle baseline and each case's active power with fresh sensors."""

    def __init__(self, settings, make_sensor=create_sensor, say=None):
        self.settings = settings
        self.make_sensor = make_sensor
        self.say = say or (lambda text: None)
        self.sensor_info = None
        self.idle = None          # summary with its samples
        self.idle_reason = None   # why there is no usable baseline
        self.idle_board = None    # (before, after)
        self.partial = []         # [{model_id, backend, reason}]

    def measure_idle(self, board):
        """The idle baseline: nothing loaded, the sensor sampling for idle_seconds."""
        if not self.settings.measures or self.idle is not None:
            return
        self.say("fer-edge: idle power for {:.0f} s with {} (nothing runs)".format(
            self.settings.idle_seconds, self.settings.sensor))
        sensor = self.make_sensor(self.settings.sensor)
        before = board.state()
        try:
            sensor.start()
        except SensorError as exc:
            self.idle_reason = "idle baseline: {}".format(exc.problem)
            self.sensor_info = sensor.describe()
            return
        start = time.monotonic()
        try:
            _wait(sensor, self.settings.idle_seconds)
        finally:
            end = time.monotonic()
            samples = sensor.stop()
        self.idle_board = (before, board.state())
        self.sensor_info = sensor.describe()
        self.idle = powerstats.summarize(powerstats.in_window(samples, start, end), start, end)
        if sensor.fault:
            self.idle_reason = "idle baseline: meter failed: {}".format(sensor.fault)
        else:
            self.idle_reason = _too_few("idle baseline", self.idle)

    def _record(self):
        return {PowerRecord.STATUS: POWER_NOT_MEASURED, PowerRecord.REASON: None,
                PowerRecord.SENSOR: self.sensor_info,
                PowerRecord.IDLE: powerstats.without_data(self.idle) if self.idle else None,
                PowerRecord.ACTIVE: None, PowerRecord.INFERENCES: 0,
                PowerRecord.LOOP_SECONDS: None, PowerRecord.LATENCY_MS: None,
                PowerRecord.BOARD_STATE_BEFORE: None, PowerRecord.BOARD_STATE_AFTER: None}

    def _finish(self, case, record, reason):
        record[PowerRecord.STATUS] = POWER_PARTIAL if reason else POWER_MEASURED
        record[PowerRecord.REASON] = reason
        if reason:
            self.partial.append({Event.MODEL_ID: case.model_id, Event.BACKEND: case.backend,
                                 Event.REASON: reason})
        return record

    def measure_case(self, case, infer, prepared, board):
        """The power record of one (model, backend): a sustained run of `infer(prepared)`
        for power_seconds while a fresh sensor samples."""
        record = self._record()
        if not self.settings.measures:
            record[PowerRecord.REASON] = "no power sensor (--power-sensor none)"
            return record
        sensor = self.make_sensor(self.settings.sensor)
        record[PowerRecord.BOARD_STATE_BEFORE] = board.state()
        try:
            sensor.start()
        except SensorError as exc:
            record[PowerRecord.SENSOR] = sensor.describe()
            return self._finish(case, record, "meter: {}".format(exc.problem))
        try:
            run = run_sustained(infer, prepared, self.settings.power_seconds,
                                should_stop=lambda: sensor.fault is not None)
        finally:
            samples = sensor.stop()
        window = powerstats.in_window(samples, run.start_s, run.end_s)
        record.update({
            PowerRecord.SENSOR: sensor.describe(),
            PowerRecord.INFERENCES: run.inferences,
            PowerRecord.ACTIVE: powerstats.summarize(window, run.start_s, run.end_s),
            PowerRecord.LOOP_SECONDS: run.end_s - run.start_s,
            PowerRecord.LATENCY_MS: per_inference_ms(run),
            PowerRecord.BOARD_STATE_AFTER: board.state(),
        })
        fault = "meter failed during the run: {}".format(sensor.fault) if sensor.fault else None
        return self._finish(case, record, self.idle_reason or fault
                            or _too_few("active run", record[PowerRecord.ACTIVE]))

    def run_record(self):
        """What the run's top-level record keeps: settings, the sensor, the idle baseline with
        its samples, and every partial benchmark."""
        idle_board = self.idle_board or (None, None)
        return {RunInfo.POWER_SENSOR: self.settings.sensor,
                RunInfo.POWER_SECONDS: self.settings.power_seconds,
                RunInfo.IDLE_SECONDS: self.settings.idle_seconds,
                RunInfo.POWER: {PowerRecord.SENSOR: self.sensor_info,
                                PowerRecord.IDLE: self.idle,
                                PowerRecord.IDLE_REASON: self.idle_reason,
                                PowerRecord.IDLE_BOARD_STATE_BEFORE: idle_board[0],
                                PowerRecord.IDLE_BOARD_STATE_AFTER: idle_board[1]},
                RunInfo.PARTIAL: list(self.partial)}
