"""The backends whose hardware this machine lacks, run against stand-ins of their APIs: TensorRT
(the 10 and 8.2 APIs, engine cache) with fake GPU memory, and OpenVINO's device settings."""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest

from fer_edge_harness.backends import openvino as openvino_module
from fer_edge_harness.backends import tensorrt as tensorrt_module
from fer_edge_harness.backends.base import LoadOptions

SHAPE = (4, 4, 1)
N_CLASSES = 7


class FakeMemory:
    """Device buffers as numpy arrays keyed by a fake pointer; copies are real copies."""

    def __init__(self):
        self.arrays: dict[int, np.ndarray] = {}
        self.stream_handle = 99
        self.versions = {"fake-cuda": "1"}

    def host(self, shape, dtype):
        return np.zeros(shape, dtype)

    def device(self, nbytes):
        pointer = 1000 + len(self.arrays)
        self.arrays[pointer] = np.zeros(nbytes // 4, np.float32)
        return self.arrays[pointer], pointer

    def to_device(self, pointer, host):
        self.arrays[pointer][:] = host.ravel()

    def to_host(self, host, pointer):
        host.ravel()[:] = self.arrays[pointer]

    def synchronize(self):
        pass

    def device_name(self):
        return "NVIDIA Tegra X1"


def fake_tensorrt(memory: FakeMemory, api: int, fp16: bool = True) -> types.ModuleType:
    """A `tensorrt` module with the calls the backend makes; the "GPU" writes, for each class
    k, mean(input) + k into the output, so a result shows the input really went through."""
    trt = types.ModuleType("tensorrt")
    trt.__version__ = "10.3.0" if api == 10 else "8.2.1.8"
    trt.builds = []
    ns = types.SimpleNamespace
    trt.Logger = type("Logger", (), {"WARNING": 2, "__init__": lambda self, level: None})
    trt.NetworkDefinitionCreationFlag = ns(EXPLICIT_BATCH=0)
    trt.BuilderFlag, trt.MemoryPoolType = ns(FP16="fp16"), ns(WORKSPACE="ws")
    trt.TensorIOMode = ns(INPUT="in", OUTPUT="out")
    trt.nptype = lambda dtype: np.float32

    class Config:
        def __init__(self):
            self.flags = []

        def set_flag(self, flag):
            self.flags.append(flag)

    if api == 10:
        Config.set_memory_pool_limit = lambda self, pool, size: None

    class Parser:
        num_errors = 1

        def __init__(self, network, logger):
            self.network = network

        def parse(self, data):
            return data.startswith(b"onnx")

        def get_error(self, i):
            return "In node 0: unsupported op"

    class Builder:
        platform_has_fast_fp16 = fp16

        def __init__(self, logger):
            pass

        def create_network(self, flags):
            tensor = ns(shape=[-1, *SHAPE])  # tf2onnx's dynamic batch
            return ns(get_input=lambda i: tensor)

        def create_builder_config(self):
            return Config()

        def build_serialized_network(self, network, config):
            trt.builds.append((list(network.get_input(0).shape), config.flags))
            return b"engine"

    class Context:
        def __init__(self):
            self.addresses = {}

        def set_tensor_address(self, name, pointer):
            self.addresses[name] = pointer

        def run(self, pointers):
            source = memory.arrays[pointers[0]]
            memory.arrays[pointers[1]][:] = source.mean() + np.arange(N_CLASSES)

        def execute_async_v3(self, stream):
            self.run([self.addresses["input"], self.addresses["output"]])

        def execute_async_v2(self, bindings, stream):
            self.run(bindings)

    shapes = {"input": [1, *SHAPE], "output": [1, N_CLASSES]}
    names = ["input", "output"]
    if api == 10:
        engine = ns(num_io_tensors=2, get_tensor_name=names.__getitem__,
                    get_tensor_mode=lambda n: "in" if n == "input" else "out",
                    get_tensor_shape=shapes.get, get_tensor_dtype=lambda n: "float",
                    create_execution_context=Context)
        del Context.execute_async_v2
    else:
        engine = ns(num_bindings=2, get_binding_name=names.__getitem__,
                    binding_is_input=lambda i: i == 0,
                    get_binding_shape=lambda i: shapes[names[i]],
                    get_binding_dtype=lambda i: "float", create_execution_context=Context)
        del Context.execute_async_v3
    trt.Builder, trt.OnnxParser, trt.Runtime = Builder, Parser, lambda logger: ns(
        deserialize_cuda_engine=lambda data: engine if data == b"engine" else None)
    return trt


def trt_backend(monkeypatch, api, fp16=True):
    memory = FakeMemory()
    trt = fake_tensorrt(memory, api, fp16)
    monkeypatch.setitem(sys.modules, "tensorrt", trt)
    monkeypatch.setattr(tensorrt_module, "cuda_memory", lambda: memory)
    return tensorrt_module.TensorrtBackend(), trt


def options(tmp_path):
    return LoadOptions(2, 1 / 255, SHAPE, "onnx", "ab" * 32, "t0001",
                       cache_dir=str(tmp_path / "engines"))


@pytest.mark.parametrize("api", [10, 8])
def test_tensorrt_builds_once_caches_and_infers(monkeypatch, tmp_path, api):
    onnx = tmp_path / "model.onnx"
    onnx.write_bytes(b"onnx model")
    backend, trt = trt_backend(monkeypatch, api)
    backend.load(str(onnx), options(tmp_path))
    assert trt.builds == [([1, *SHAPE], ["fp16"])]  # static batch 1, FP16
    name = f"t0001-{'ab' * 32}-trt{trt.__version__}-NVIDIA-Tegra-X1-fp16.engine"
    assert (tmp_path / "engines" / name).read_bytes() == b"engine"
    image = np.full((1, 4, 4), 51, np.uint8)  # 51 / 255 = 0.2
    out = backend.probabilities(backend.infer(backend.prepare(image)))
    np.testing.assert_allclose(out, [0.2 + np.arange(N_CLASSES)], rtol=1e-6)
    assert backend.predict_batch(np.repeat(image, 3, axis=0)).shape == (3, N_CLASSES)
    again, trt_again = trt_backend(monkeypatch, api)
    again.load(str(onnx), options(tmp_path))
    assert trt_again.builds == []  # read from the cache
    assert again.accelerator() == "NVIDIA Tegra X1" and again.precision == "fp16"
    assert again.versions() == {"tensorrt": trt.__version__, "fake-cuda": "1"}


def test_tensorrt_without_fast_fp16_builds_fp32(monkeypatch, tmp_path):
    onnx = tmp_path / "model.onnx"
    onnx.write_bytes(b"onnx model")
    backend, trt = trt_backend(monkeypatch, 10, fp16=False)
    backend.load(str(onnx), options(tmp_path))
    assert backend.precision == "fp32" and trt.builds[0][1] == []
    assert list((tmp_path / "engines").glob("*-fp32.engine"))


def test_tensorrt_reports_the_parsers_errors(monkeypatch, tmp_path):
    onnx = tmp_path / "model.onnx"
    onnx.write_bytes(b"truncated")
    backend, _ = trt_backend(monkeypatch, 10)
    with pytest.raises(RuntimeError, match="could not parse the ONNX file: In node 0"):
        backend.load(str(onnx), options(tmp_path))


def test_openvino_device_settings():
    config = openvino_module.OpenvinoBackend.device_config(None, "CPU", 3)
    assert config == {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_PRECISION_HINT": "f32",
                      "INFERENCE_NUM_THREADS": "3", "NUM_STREAMS": "1"}
    config = openvino_module.OpenvinoBackend.device_config(None, "MYRIAD", 3)
    assert config == {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_PRECISION_HINT": "f16"}
    assert openvino_module.precision_name("f16") == "fp16"
    assert openvino_module.precision_name("BF16") == "bf16"


def test_openvino_myriad_that_refuses_the_hint_is_compiled_without_it():
    asked = []

    def compile_model(model, device, config):
        asked.append(dict(config))
        if "INFERENCE_PRECISION_HINT" in config:
            raise RuntimeError("Unsupported property INFERENCE_PRECISION_HINT by MYRIAD plugin")
        return "compiled"

    backend = openvino_module.OpenvinoBackend.__new__(openvino_module.OpenvinoBackend)
    backend._core = types.SimpleNamespace(compile_model=compile_model)
    config = backend.device_config("MYRIAD", 4)
    assert backend._compile("model", "MYRIAD", config) == "compiled"
    assert asked == [config, {"PERFORMANCE_HINT": "LATENCY"}]
    asked.clear()
    with pytest.raises(RuntimeError):  # never on the CPU: there the hint is what we measure
        backend._compile("model", "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
