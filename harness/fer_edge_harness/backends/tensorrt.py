"""`tensorrt`: an FP16 engine built on the board from the bundle's ONNX file (Jetson, NVIDIA GPUs).

Engines are not portable across TensorRT versions or GPUs, so each is built here and cached
next to the bundle, keyed by the ONNX file's sha256, the TensorRT version and the GPU. Works
with TensorRT 8.2 (Jetson Nano, JetPack 4.6: bindings, execute_async_v2) and 8.5+/10 (named
I/O tensors, set_tensor_address, execute_async_v3).
"""

import os
import re

from fer_edge_harness.backends.base import (
    Backend,
    BackendUnavailable,
    module_version,
    short_error,
)
from fer_edge_harness.atomic import write_atomic
from fer_edge_harness.backends.cuda_memory import cuda_memory

WORKSPACE_BYTES = 1 << 28


def build_engine(trt, logger, onnx_path, input_shape, fp16):
    """Serialized engine for the ONNX file with a static batch-1 input, FP16 where asked."""
    builder = trt.Builder(logger)
    flag = getattr(trt.NetworkDefinitionCreationFlag, "EXPLICIT_BATCH", None)
    network = builder.create_network(0 if flag is None else 1 << int(flag))
    parser = trt.OnnxParser(network, logger)
    with open(str(onnx_path), "rb") as handle:
        if not parser.parse(handle.read()):
            errors = [str(parser.get_error(i)) for i in range(parser.num_errors)]
            raise RuntimeError("TensorRT could not parse the ONNX file: " + "; ".join(errors))
    network.get_input(0).shape = [1] + list(input_shape)  # tf2onnx may leave the batch dynamic
    config = builder.create_builder_config()
    if hasattr(config, "set_memory_pool_limit"):
        config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, WORKSPACE_BYTES)
    else:  # TensorRT 8.2
        config.max_workspace_size = WORKSPACE_BYTES
    if fp16:
        config.set_flag(trt.BuilderFlag.FP16)
    if hasattr(builder, "build_serialized_network"):
        data = builder.build_serialized_network(network, config)
    else:  # TensorRT < 8
        engine = builder.build_engine(network, config)
        data = engine.serialize() if engine is not None else None
    if data is None:
        raise RuntimeError("TensorRT could not build an engine (see its log above)")
    return bytes(data)


class TensorrtBackend(Backend):
    """TensorRT engine with device buffers bound once; the timed call copies the input in,
    runs the engine and copies the output back."""

    name = "tensorrt"
    precision = "fp16"
    artifact_formats = ("onnx",)

    def __init__(self):
        Backend.__init__(self)
        try:
            import tensorrt as trt
        except Exception as exc:
            raise BackendUnavailable("tensorrt not importable ({})".format(
                short_error(exc))) from None
        self._trt = trt
        self._logger = trt.Logger(trt.Logger.WARNING)
        self._memory = cuda_memory()
        self._context = None

    def versions(self):
        versions = {"tensorrt": module_version(self._trt)}
        versions.update(self._memory.versions)
        return versions

    def engine_path(self, options):
        """Cache file: <cache_dir>/<model>-<onnx sha256>-trt<version>-<gpu>.engine."""
        gpu = re.sub(r"[^A-Za-z0-9]+", "-", self._memory.device_name()).strip("-")
        name = "{}-{}-trt{}-{}-{}.engine".format(options.model_id, options.artifact_sha256,
                                                 self._trt.__version__, gpu, self.precision)
        return os.path.join(options.cache_dir, name)

    def _engine_bytes(self, onnx_path, options):
        builder = self._trt.Builder(self._logger)
        if not getattr(builder, "platform_has_fast_fp16", True):
            self.precision = "fp32"
        path = self.engine_path(options)
        if os.path.isfile(path):
            with open(path, "rb") as handle:
                return handle.read()
        data = build_engine(self._trt, self._logger, onnx_path, options.input_shape,
                            self.precision == "fp16")
        if not os.path.isdir(options.cache_dir):
            os.makedirs(options.cache_dir)
        write_atomic(path, data)
        return data

    def load(self, artifact_path, options):
        trt = self._trt
        runtime = trt.Runtime(self._logger)
        self._engine = runtime.deserialize_cuda_engine(self._engine_bytes(artifact_path, options))
        self._context = self._engine.create_execution_context()
        self._scaling = options.input_scaling
        self._buffers = {}  # name -> (host array, device allocation, pointer, is_input)
        engine = self._engine
        if hasattr(engine, "num_io_tensors"):
            names = [engine.get_tensor_name(i) for i in range(engine.num_io_tensors)]
            for name in names:
                is_input = engine.get_tensor_mode(name) == trt.TensorIOMode.INPUT
                self._allocate(name, engine.get_tensor_shape(name),
                               engine.get_tensor_dtype(name), is_input)
                self._context.set_tensor_address(name, self._buffers[name][2])
        else:  # TensorRT 8.2: bindings in index order
            names = [engine.get_binding_name(i) for i in range(engine.num_bindings)]
            for i, name in enumerate(names):
                self._allocate(name, engine.get_binding_shape(i), engine.get_binding_dtype(i),
                               engine.binding_is_input(i))
        self._names = names
        self._input = [n for n in names if self._buffers[n][3]][0]
        self._output = [n for n in names if not self._buffers[n][3]][0]

    def _allocate(self, name, shape, trt_dtype, is_input):
        host = self._memory.host(tuple(shape), self._trt.nptype(trt_dtype))
        allocation, pointer = self._memory.device(host.nbytes)
        self._buffers[name] = (host, allocation, pointer, is_input)

    def prepare(self, x_uint8):
        host = self._buffers[self._input][0]
        prepared = self._memory.host(host.shape, host.dtype)
        prepared[...] = self._scaling.apply(x_uint8).reshape(host.shape)
        return prepared

    def infer(self, prepared):
        memory = self._memory
        memory.to_device(self._buffers[self._input][2], prepared)
        if hasattr(self._context, "execute_async_v3"):
            self._context.execute_async_v3(memory.stream_handle)
        else:
            pointers = [self._buffers[n][2] for n in self._names]
            self._context.execute_async_v2(pointers, memory.stream_handle)
        host = self._buffers[self._output][0]
        memory.to_host(host, self._buffers[self._output][2])
        memory.synchronize()
        return host

    def accelerator(self):
        return self._memory.device_name()

    def close(self):
        self._context = None
        self._engine = None
        self._buffers = {}
