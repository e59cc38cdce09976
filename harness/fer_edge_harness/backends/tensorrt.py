"""`tensorrt`: an engine built on the board from the bundle's ONNX file (Jetson, NVIDIA GPUs).

Engines are not portable across TensorRT versions or GPUs, so each is built here and cached
next to the bundle under a key of everything it is specific to (tensorrt_engine.engine_facts).
Works with TensorRT 8.2 (Jetson Nano, JetPack 4.6: bindings, execute_async_v2) and 8.5+/10
(named I/O tensors, set_tensor_address, execute_async_v3). GPU memory goes through libcudart
(cuda_memory.py), pinned on the host, freed at close.
"""

import json
import os

from fer_edge_harness.atomic import write_atomic
from fer_edge_harness.backends import tensorrt_engine as engines
from fer_edge_harness.backends.base import (
    Backend,
    BackendUnavailable,
    module_version,
    short_error,
)
from fer_edge_harness.backends.cuda_memory import cuda_memory
from fer_edge_harness.boardstate import Board
from fer_edge_harness.manifest_schema import Artifact


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
        self._engine = None
        self._buffers = {}
        self._details = {}

    def versions(self):
        versions = {"tensorrt": module_version(self._trt)}
        versions.update(self._memory.versions)
        return versions

    def details(self):
        return dict(self._details)

    def engine_path(self, options, requested):
        """The cache file for this ONNX file, TensorRT, GPU and board (written with a .json
        beside it that lists those facts)."""
        hardware = options.hardware if options.hardware is not None else Board().hardware()
        facts = engines.engine_facts(options, self._trt.__version__, self._memory.device_facts(),
                                     hardware, self._memory.versions, requested)
        return os.path.join(options.cache_dir, engines.engine_file_name(facts)), facts

    def _build(self, onnx_path, options, path, facts):
        data = engines.build_engine(self._trt, self._logger, onnx_path, options.input_shape,
                                    facts["precision"] == "fp16")
        if not os.path.isdir(options.cache_dir):
            os.makedirs(options.cache_dir)
        write_atomic(path, data)
        write_atomic(path[:-len(".engine")] + ".json",
                     (json.dumps(facts, indent=1, sort_keys=True) + "\n").encode("utf-8"))
        return data

    def _load_engine(self, onnx_path, options):
        """The engine from the cache, or built; a cached engine TensorRT cannot deserialize
        (corrupt, or from another TensorRT) is rebuilt once."""
        fast_fp16 = getattr(self._trt.Builder(self._logger), "platform_has_fast_fp16", True)
        requested = "fp16" if fast_fp16 else "fp32"
        path, facts = self.engine_path(options, requested)
        runtime = self._trt.Runtime(self._logger)
        source = "built"
        if os.path.isfile(path):
            with open(path, "rb") as handle:
                engine = runtime.deserialize_cuda_engine(handle.read())
            source = "cache"
            if engine is None:
                source = "rebuilt: the cached engine could not be deserialized"
                engine = runtime.deserialize_cuda_engine(self._build(onnx_path, options, path,
                                                                     facts))
        else:
            engine = runtime.deserialize_cuda_engine(self._build(onnx_path, options, path, facts))
        if engine is None:
            raise RuntimeError("TensorRT could not deserialize the engine it built from {}"
                               .format(onnx_path))
        self._details.update(engine_file=os.path.basename(path), engine_source=source,
                             gpu=self._memory.device_facts(), precision_requested=requested)
        return engine, requested

    def load(self, artifact_path, options):
        trt = self._trt
        engines.check_opset(trt.__version__, (options.artifact_info or {}).get(Artifact.OPSET))
        self._engine, requested = self._load_engine(artifact_path, options)
        counts = self._layer_precisions()
        self._details["layer_precisions"] = counts
        self.precision = engines.precision_label(requested, counts)
        self._context = self._engine.create_execution_context()
        self._scaling = options.input_scaling
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

    def _layer_precisions(self):
        """{precision: layers} read from the engine inspector (TensorRT >= 8.2), or None."""
        inspector_of = getattr(self._engine, "create_engine_inspector", None)
        formats = getattr(self._trt, "LayerInformationFormat", None)
        if inspector_of is None or formats is None:
            return None
        try:
            text = inspector_of().get_engine_information(formats.JSON)
        except Exception:
            return None
        return engines.layer_precisions(text)

    def _allocate(self, name, shape, trt_dtype, is_input):
        host = self._memory.host(tuple(shape), self._trt.nptype(trt_dtype))
        allocation, pointer = self._memory.device(host.nbytes)
        self._buffers[name] = (host, allocation, pointer, is_input)

    def prepare(self, x_uint8):
        """The input in the pinned staging array (one per model: a later prepare() replaces
        the input an earlier one made, so predict_batch puts the timed input back)."""
        staging = self._buffers[self._input][0]
        staging[...] = self._scaling.apply(x_uint8).reshape(staging.shape)
        return staging

    def predict_batch(self, x_uint8):
        staging = self._buffers[self._input][0]
        kept = staging.copy()
        try:
            return Backend.predict_batch(self, x_uint8)
        finally:
            staging[...] = kept

    def infer(self, prepared):
        memory = self._memory
        memory.to_device(self._buffers[self._input][2], prepared)
        if hasattr(self._context, "execute_async_v3"):
            queued = self._context.execute_async_v3(memory.stream_handle)
        else:
            pointers = [self._buffers[n][2] for n in self._names]
            queued = self._context.execute_async_v2(pointers, memory.stream_handle)
        if not queued:  # the output buffer would still hold the previous result
            raise RuntimeError("TensorRT could not enqueue the inference (execute_async "
                               "returned False; see its log above)")
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
        self._memory.close()
