"""The tensorrt backend on this GPU-less machine: GPU memory through the real ctypes path over a
compiled libcudart stand-in (fixtures/cuda/fake_cudart.c, from the CUDA Runtime API's documented
signatures and error codes), the real CUDA 13 libcudart where one is installed (it must refuse
cleanly: there is no driver), and a `tensorrt` module stand-in with TensorRT 10's and 8.2's
Python APIs (tensor names vs bindings, execute_async_v3 vs v2 returning a bool, a Runtime whose
deserialize_cuda_engine returns None for bytes it cannot read, the engine inspector's JSON)."""

from __future__ import annotations

import ctypes
import json
import os
import sys
import types

import numpy as np
import pytest
from native_stand_ins import FAKE_CUDART, FAKE_LIBEDGETPU, private_copy

from fer_edge_harness.backends import BackendUnavailable
from fer_edge_harness.backends import cuda_memory as cuda_module
from fer_edge_harness.backends import tensorrt_engine as engines
from fer_edge_harness.backends.base import LoadOptions
from fer_edge_harness.backends.tensorrt import TensorrtBackend

SHAPE = (4, 4, 1)
N_CLASSES = 7
NANO = {"board": "NVIDIA Jetson Nano Developer Kit",
        "l4t": {"release": "R32.7.1", "board": "t210ref"}}
# The engine inspector's JSON (TensorRT developer guide, "Engine Inspector", kDETAILED): one
# convolution kept in FP32 by the builder, the rest in FP16, plus a reformat that is not counted.
INSPECTOR_JSON = json.dumps({"Layers": [
    {"Name": "conv1 + relu1", "LayerType": "CaskConvolution",
     "Outputs": [{"Name": "a",
                  "Format/Datatype": "Channel major FP16 format where channel % 8 == 0"}]},
    {"Name": "conv2", "LayerType": "CaskConvolution",
     "Outputs": [{"Name": "b", "Format/Datatype": "Row major linear FP32"}]},
    {"Name": "Reformatting CopyNode", "LayerType": "Reformat",
     "Outputs": [{"Name": "c", "Format/Datatype": "Row major linear FP32"}]},
    {"Name": "fc", "LayerType": "CaskGemmMatrixMultiply",
     "Outputs": [{"Name": "d", "Format/Datatype": "Half"}]}], "Bindings": ["input", "output"]})


@pytest.fixture
def cudart(tmp_path, tmp_path_factory, monkeypatch):
    """A private copy of the libcudart stand-in, the one the backend opens ($FER_EDGE_CUDART)."""
    path = private_copy(FAKE_CUDART, tmp_path_factory, tmp_path / "lib" / "libcudart.so.10.2")
    monkeypatch.setenv(cuda_module.CUDART_ENV, str(path))
    lib = ctypes.CDLL(str(path))
    lib.fake_cudart_play.argtypes = [ctypes.c_char_p] + [ctypes.c_int] * 4
    return lib


def fake_tensorrt(api: int, fp16: bool = True, enqueues: bool = True) -> types.ModuleType:
    """A `tensorrt` module with the calls the backend makes. Its "GPU" reads the input at the
    device address it was given and writes mean(input) + k for class k at the output's, so a
    right answer proves the bytes went host -> device -> engine -> host through libcudart."""
    trt = types.ModuleType("tensorrt")
    trt.__version__ = "10.3.0" if api == 10 else "8.2.1.8"
    trt.builds, trt.deserialized = [], []
    ns = types.SimpleNamespace
    trt.Logger = type("Logger", (), {"WARNING": 2, "__init__": lambda self, level: None})
    trt.NetworkDefinitionCreationFlag = ns(EXPLICIT_BATCH=0)
    trt.BuilderFlag, trt.MemoryPoolType = ns(FP16="fp16"), ns(WORKSPACE="ws")
    trt.ProfilingVerbosity, trt.LayerInformationFormat = ns(DETAILED="detailed"), ns(JSON="json")
    trt.TensorIOMode = ns(INPUT="in", OUTPUT="out")
    trt.nptype = lambda dtype: np.float32

    class Config:
        def __init__(self):
            self.flags, self.profiling_verbosity = [], None

        def set_flag(self, flag):
            self.flags.append(flag)

    if api == 10:
        Config.set_memory_pool_limit = lambda self, pool, size: None

    class Parser:
        num_errors = 1

        def __init__(self, network, logger):
            pass

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
            trt.builds.append((list(network.get_input(0).shape), config.flags,
                               config.profiling_verbosity))
            return b"engine"

    def run(pointers):
        source = (ctypes.c_float * int(np.prod(SHAPE))).from_address(pointers[0])
        target = (ctypes.c_float * N_CLASSES).from_address(pointers[1])
        mean = float(np.mean(np.frombuffer(source, dtype=np.float32)))
        target[:] = [mean + k for k in range(N_CLASSES)]
        return enqueues

    class Context:
        def __init__(self):
            self.addresses = {}

        def set_tensor_address(self, name, pointer):
            self.addresses[name] = pointer

        def execute_async_v3(self, stream):
            return run([self.addresses["input"], self.addresses["output"]])

        def execute_async_v2(self, bindings, stream):
            return run(bindings)

    shapes = {"input": [1, *SHAPE], "output": [1, N_CLASSES]}
    names = ["input", "output"]
    inspector = lambda: ns(get_engine_information=lambda fmt: INSPECTOR_JSON)  # noqa: E731
    if api == 10:
        engine = ns(num_io_tensors=2, get_tensor_name=names.__getitem__,
                    get_tensor_mode=lambda n: "in" if n == "input" else "out",
                    get_tensor_shape=shapes.get, get_tensor_dtype=lambda n: "float",
                    create_execution_context=Context, create_engine_inspector=inspector)
        del Context.execute_async_v2
    else:
        engine = ns(num_bindings=2, get_binding_name=names.__getitem__,
                    binding_is_input=lambda i: i == 0,
                    get_binding_shape=lambda i: shapes[names[i]],
                    get_binding_dtype=lambda i: "float", create_execution_context=Context,
                    create_engine_inspector=inspector)
        del Context.execute_async_v3

    def deserialize(data):
        trt.deserialized.append(bytes(data))
        return engine if data == b"engine" else None  # TensorRT returns None, it does not raise

    trt.Builder, trt.OnnxParser = Builder, Parser
    trt.Runtime = lambda logger: ns(deserialize_cuda_engine=deserialize)
    return trt


def backend_with(monkeypatch, api=10, **kw):
    trt = fake_tensorrt(api, **kw)
    monkeypatch.setitem(sys.modules, "tensorrt", trt)
    return TensorrtBackend(), trt


def options(tmp_path, opset=13, hardware=None):
    return LoadOptions(2, 1 / 255, SHAPE, "onnx", "ab" * 32, "t0001",
                       cache_dir=str(tmp_path / "engines"), artifact_info={"opset": opset},
                       hardware=NANO if hardware is None else hardware)


@pytest.fixture
def onnx_file(tmp_path):
    path = tmp_path / "model.onnx"
    path.write_bytes(b"onnx model")
    return path


@pytest.mark.parametrize("api", [10, 8])
def test_engine_runs_over_ctypes_libcudart_with_pinned_buffers(monkeypatch, cudart, tmp_path,
                                                              onnx_file, api):
    backend, trt = backend_with(monkeypatch, api)
    backend.load(str(onnx_file), options(tmp_path))
    assert trt.builds == [([1, *SHAPE], ["fp16"], "detailed")]  # static batch 1, FP16
    assert (cudart.fake_cudart_live(0), cudart.fake_cudart_live(1)) == (2, 2)  # device, pinned
    image = np.full((1, 4, 4), 51, np.uint8)  # 51 / 255 = 0.2
    prepared = backend.prepare(image)
    pinned = ctypes.c_void_p(prepared.ctypes.data)
    out = backend.probabilities(backend.infer(prepared))
    np.testing.assert_allclose(out, [0.2 + np.arange(N_CLASSES)], rtol=1e-6)
    assert cudart.fake_cudart_copies() == 2  # input in, output back
    others = np.stack([np.full((4, 4), v, np.uint8) for v in (0, 102, 255)])
    np.testing.assert_allclose(backend.predict_batch(others)[:, 0], [0.0, 0.4, 1.0], atol=1e-6)
    # The timed input is still what it was (the power stage runs it again after scoring).
    np.testing.assert_allclose(backend.probabilities(backend.infer(prepared)), out, rtol=1e-6)
    assert cudart.fake_cudart_live(1) == 2  # scoring allocated no more pinned memory
    assert backend.accelerator() == "NVIDIA Tegra X1"
    assert backend.versions() == {"tensorrt": trt.__version__, "cuda_runtime": "10.2",
                                  "cuda_driver": "10.2"}
    backend.close()
    assert (cudart.fake_cudart_live(0), cudart.fake_cudart_live(1)) == (0, 0)
    assert cudart.fake_cudart_stream_live() == 0
    assert cudart.cudaFreeHost(pinned) == 1  # already freed: cudaErrorInvalidValue


def test_cached_engine_is_reused_and_keyed_on_the_gpu_and_board(monkeypatch, cudart, tmp_path,
                                                                onnx_file):
    backend, _ = backend_with(monkeypatch)
    backend.load(str(onnx_file), options(tmp_path))
    (engine_file,) = (tmp_path / "engines").glob("*.engine")
    assert engine_file.name.startswith(f"t0001-{'ab' * 8}-trt10.3.0-sm53x1-")
    facts = json.loads(engine_file.with_suffix(".json").read_text())
    assert (facts["board"], facts["l4t"], facts["sm_count"], facts["compute_capability"]) == (
        "NVIDIA Jetson Nano Developer Kit", "R32.7.1", 1, "5.3")
    assert backend.details()["engine_source"] == "built"
    backend.close()
    again, trt_again = backend_with(monkeypatch)
    again.load(str(onnx_file), options(tmp_path))
    assert trt_again.builds == [] and again.details()["engine_source"] == "cache"
    again.close()
    # Every Orin module calls itself "Orin": the SM count and board set the engine apart.
    cudart.fake_cudart_play(b"Orin", 8, 7, 8, 1)
    orin_nano = {"board": "NVIDIA Jetson Orin Nano Developer Kit", "l4t": {"release": "R36.4.3"}}
    other, trt_other = backend_with(monkeypatch)
    other.load(str(onnx_file), options(tmp_path, hardware=orin_nano))
    assert len(trt_other.builds) == 1 and other.details()["gpu"]["sm_count"] == 8
    other.close()
    cudart.fake_cudart_play(b"Orin", 8, 7, 16, 1)  # AGX Orin: same name, twice the SMs
    agx, trt_agx = backend_with(monkeypatch)
    agx.load(str(onnx_file), options(tmp_path, hardware=dict(orin_nano, board="AGX Orin")))
    assert len(trt_agx.builds) == 1
    assert len(list((tmp_path / "engines").glob("*.engine"))) == 3


def test_unreadable_cached_engine_is_rebuilt_once(monkeypatch, cudart, tmp_path, onnx_file):
    backend, _ = backend_with(monkeypatch)
    backend.load(str(onnx_file), options(tmp_path))
    backend.close()
    (engine_file,) = (tmp_path / "engines").glob("*.engine")
    engine_file.write_bytes(b"stale engine from another TensorRT")
    again, trt = backend_with(monkeypatch)
    again.load(str(onnx_file), options(tmp_path))
    assert trt.deserialized == [b"stale engine from another TensorRT", b"engine"]
    assert len(trt.builds) == 1 and engine_file.read_bytes() == b"engine"
    assert again.details()["engine_source"].startswith("rebuilt")


def test_engine_that_never_deserializes_is_an_error_not_a_loop(monkeypatch, cudart, tmp_path,
                                                              onnx_file):
    backend, trt = backend_with(monkeypatch)
    trt.Runtime = lambda logger: types.SimpleNamespace(deserialize_cuda_engine=lambda d: None)
    with pytest.raises(RuntimeError, match="could not deserialize the engine it built"):
        backend.load(str(onnx_file), options(tmp_path))


@pytest.mark.parametrize("api", [10, 8])
def test_failed_enqueue_raises_instead_of_timing_stale_output(monkeypatch, cudart, tmp_path,
                                                             onnx_file, api):
    backend, _ = backend_with(monkeypatch, api, enqueues=False)
    backend.load(str(onnx_file), options(tmp_path))
    with pytest.raises(RuntimeError, match="could not enqueue"):
        backend.infer(backend.prepare(np.zeros((1, 4, 4), np.uint8)))


def test_precision_says_what_the_layers_ran_in(monkeypatch, cudart, tmp_path, onnx_file):
    backend, _ = backend_with(monkeypatch)
    backend.load(str(onnx_file), options(tmp_path))
    assert backend.precision == "fp16+fp32"  # one convolution was kept in FP32
    details = backend.details()
    assert details["precision_requested"] == "fp16"
    assert details["layer_precisions"] == {"fp16": 2, "fp32": 1}


def test_without_fast_fp16_the_engine_is_fp32(monkeypatch, cudart, tmp_path, onnx_file):
    backend, trt = backend_with(monkeypatch, fp16=False)
    backend.load(str(onnx_file), options(tmp_path))
    assert trt.builds[0][1] == [] and backend.details()["precision_requested"] == "fp32"
    assert list((tmp_path / "engines").glob("*-fp32.engine"))


def test_parser_errors_are_reported(monkeypatch, cudart, tmp_path):
    onnx = tmp_path / "model.onnx"
    onnx.write_bytes(b"truncated")
    backend, _ = backend_with(monkeypatch)
    with pytest.raises(RuntimeError, match="could not parse the ONNX file: In node 0"):
        backend.load(str(onnx), options(tmp_path))


def test_onnx_newer_than_tensorrt_8_2_reads_is_refused_before_parsing(monkeypatch, cudart,
                                                                      tmp_path, onnx_file):
    backend, trt = backend_with(monkeypatch, 8)
    with pytest.raises(RuntimeError, match=r"opset 17, TensorRT 8\.2\.1\.8 reads opsets up to 13"):
        backend.load(str(onnx_file), options(tmp_path, opset=17))
    assert trt.builds == []
    newer, _ = backend_with(monkeypatch, 10)
    newer.load(str(onnx_file), options(tmp_path, opset=17))  # TensorRT 10 reads it


def test_opset_limits_by_version():
    assert engines.max_onnx_opset("8.2.1.8") == 13
    assert engines.max_onnx_opset("8.5.2.2") == 17 and engines.max_onnx_opset("9.2.0") == 19
    assert engines.max_onnx_opset("10.3.0") is None
    assert engines.version_tuple("8.6.1.post1") == (8, 6, 1)


def test_layer_precisions_of_an_engine_without_detailed_information():
    # ProfilingVerbosity below DETAILED: layers are bare names, nothing to count.
    assert engines.layer_precisions(json.dumps({"Layers": ["conv1", "fc"]})) is None
    assert engines.precision_label("fp16", None) == "fp16"
    assert engines.precision_label("fp16", {"fp16": 3}) == "fp16"


def test_no_libcudart_is_a_reason(monkeypatch):
    monkeypatch.setenv(cuda_module.CUDART_ENV, "/nonexistent/libcudart.so")
    with pytest.raises(BackendUnavailable, match=r"CUDA runtime \(libcudart\), not found: "
                                                 r"tried /nonexistent/libcudart\.so"):
        cuda_module.open_cudart(["/nonexistent/libcudart.so"])


def test_a_library_that_is_not_a_cuda_runtime_is_a_reason(monkeypatch, tmp_path,
                                                         tmp_path_factory):
    other = private_copy(FAKE_LIBEDGETPU, tmp_path_factory, tmp_path / "libother.so")
    monkeypatch.setenv(cuda_module.CUDART_ENV, str(other))
    with pytest.raises(BackendUnavailable, match=r"libother\.so is not a usable CUDA runtime"):
        cuda_module.cuda_memory()


REAL_CUDART = [path for path in ("/usr/local/cuda/lib64/libcudart.so",
                                 "/usr/local/cuda/lib/libcudart.so") if os.path.exists(path)]


@pytest.mark.skipif(not REAL_CUDART, reason="no CUDA toolkit's libcudart on this machine")
def test_real_libcudart_without_a_gpu_says_why(monkeypatch):
    """NVIDIA's own libcudart, opened by the same ctypes path; with no GPU driver it must give
    CUDA's own error, not crash or hang."""
    monkeypatch.setenv(cuda_module.CUDART_ENV, REAL_CUDART[0])
    with pytest.raises(BackendUnavailable) as caught:
        cuda_module.cuda_memory()
    message = str(caught.value)
    assert message.startswith("CUDA runtime ") and "cannot use a GPU here" in message
    assert "cudaError" in message  # e.g. cudaErrorInsufficientDriver or cudaErrorNoDevice
