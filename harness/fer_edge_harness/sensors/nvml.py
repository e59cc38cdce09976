"""NVIDIA GPU board power through NVML (the nvidia-ml-py package, imported as `pynvml`).

`nvml` reads GPU 0, `nvml:1` another index. nvmlDeviceGetPowerUsage gives the board's draw in
milliwatts (the GPU board, not the host around it). NVML is initialised in open() and shut down
in close(). Jetsons have no NVML: use tegrastats or ina3221 there. Python 3.6 compatible.
"""

from fer_edge_harness.sensors.base import (
    PollingSensor,
    SensorReadError,
    SensorSpecError,
    SensorUnavailable,
    positive_float,
)


def _text(value):
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


class NvmlSensor(PollingSensor):
    name = "nvml"
    options = {"interval_ms": (positive_float, None)}

    def __init__(self, spec):
        super(NvmlSensor, self).__init__(spec)
        try:
            self.index = int(spec.target or 0)
        except ValueError:
            raise SensorSpecError(spec, "the GPU index must be a whole number, e.g. nvml:0")
        self.gpu = None
        self._nvml = None
        self._handle = None

    def details(self):
        info = super(NvmlSensor, self).details()
        info.update({"gpu_index": self.index, "gpu": self.gpu})
        return info

    def open(self):
        try:
            import pynvml
        except ImportError:
            raise SensorUnavailable(self.spec, "pynvml is not installed (pip install "
                                    "nvidia-ml-py)")
        try:
            pynvml.nvmlInit()
        except pynvml.NVMLError as exc:
            raise SensorUnavailable(self.spec, "NVML cannot start: {} (no NVIDIA driver "
                                    "here?)".format(exc))
        self._nvml = pynvml
        try:
            self._handle = pynvml.nvmlDeviceGetHandleByIndex(self.index)
            self.gpu = _text(pynvml.nvmlDeviceGetName(self._handle))
        except pynvml.NVMLError as exc:
            self.close()
            raise SensorUnavailable(self.spec, "no GPU {}: {}".format(self.index, exc))

    def read_power_w(self):
        try:
            return self._nvml.nvmlDeviceGetPowerUsage(self._handle) / 1000.0
        except self._nvml.NVMLError as exc:
            raise SensorReadError("NVML power reading failed: {}".format(exc))

    def close(self):
        nvml, self._nvml = self._nvml, None
        if nvml is not None:
            try:
                nvml.nvmlShutdown()
            except nvml.NVMLError:
                pass
