"""The openvino backend on devices this machine lacks, against stand-ins of their plugins built
from the plugins' sources: the 2022-era ARM CPU plugin (openvino_contrib modules/arm_plugin:
src/arm_core/arm_plugin.cpp lists its SUPPORTED_PROPERTIES, src/arm_core/arm_config.cpp throws
NOT_FOUND on any other key), a MYRIAD plugin without INFERENCE_PRECISION_HINT, an AUTO device
that reports where it ran; and an IR that fails to load, with a stand-in and on the real
OpenVINO here, falling back to the bundle's ONNX file."""

from __future__ import annotations

import json
import re
import types
from pathlib import Path

import numpy as np
import pytest
from harness_fixtures import copy_bundle, rewrite_manifest, run_host_suite, shared_tiny_bundle

from fer_edge_harness import bundle
from fer_edge_harness.backends import create_backend
from fer_edge_harness.backends import openvino as openvino_module
from fer_edge_harness.backends.base import LoadOptions
from fer_edge_harness.bundle import file_record

# arm_plugin.cpp's supported_properties (with mutability), and the streams executor's keys it
# appends, all RW (the legacy ones: inference-engine's IStreamsExecutor::Config::SupportedKeys).
ARM_SUPPORTED = {
    "SUPPORTED_METRICS": "RO", "SUPPORTED_CONFIG_KEYS": "RO", "PERF_COUNT": "RW",
    "SUPPORTED_PROPERTIES": "RO", "AVAILABLE_DEVICES": "RO", "FULL_DEVICE_NAME": "RO",
    "OPTIMIZATION_CAPABILITIES": "RO", "RANGE_FOR_ASYNC_INFER_REQUESTS": "RO",
    "PERFORMANCE_HINT": "RW", "RANGE_FOR_STREAMS": "RO", "CPU_THROUGHPUT_STREAMS": "RW",
    "CPU_BIND_THREAD": "RW", "CPU_THREADS_NUM": "RW", "CPU_THREADS_PER_STREAM": "RW",
}
MYRIAD_SUPPORTED = {"SUPPORTED_PROPERTIES": "RO", "FULL_DEVICE_NAME": "RO",
                    "PERFORMANCE_HINT": "RW", "PERF_COUNT": "RW"}


class StandInCore:
    """openvino.Core as a plugin answers it: properties it lists, NOT_FOUND for others."""

    def __init__(self, supported: dict, reported: dict, unreadable: tuple[str, ...] = ()):
        self.supported, self.reported, self.unreadable = supported, reported, unreadable
        self.compiled_with: list[dict] = []
        self.read: list[str] = []

    def get_property(self, device, name):
        if name == "SUPPORTED_PROPERTIES":
            return dict(self.supported)
        if name == "FULL_DEVICE_NAME":
            return "Intel Movidius Myriad X VPU"
        raise RuntimeError(f"[ NOT_FOUND ] : {name}")

    def read_model(self, path):
        if any(re.search(pattern, path) for pattern in self.unreadable):
            raise RuntimeError(f"Unable to read the model: {path} Please check that model "
                               "format: xml is supported and the model is correct.")
        self.read.append(path)
        return types.SimpleNamespace(reshape=lambda shape: None)

    def compile_model(self, model, device, config):
        for key in config:  # arm_config.cpp: IE_THROW(NotFound) << ": " << key
            if key not in self.supported:
                raise RuntimeError(f"[ NOT_FOUND ] : {key}")
        self.compiled_with.append(dict(config))
        reported = dict(self.reported, **{k: v for k, v in config.items() if k in self.reported})

        def get_property(name):
            if name not in reported:
                raise RuntimeError(f"[ NOT_FOUND ] : {name}")
            return reported[name]

        return types.SimpleNamespace(get_property=get_property,
                                     create_infer_request=lambda: "request")


def backend_on(core: StandInCore):
    backend = openvino_module.OpenvinoBackend.__new__(openvino_module.OpenvinoBackend)
    openvino_module.Backend.__init__(backend)
    backend._core, backend._version, backend._device = core, "2022.3.1-9227", "CPU"
    backend._request = backend._bound = backend._loaded = None
    backend._details = {}
    return backend


def options(device="CPU", alternatives=(), fmt="openvino_fp16"):
    return LoadOptions(4, 1 / 255, (48, 48, 1), fmt, "ab" * 32, "t0001", openvino_device=device,
                       alternatives=list(alternatives))


def test_arm_style_plugin_gets_only_what_it_lists_and_the_rest_is_recorded():
    core = StandInCore(ARM_SUPPORTED, {"PERFORMANCE_HINT": "LATENCY", "CPU_THREADS_NUM": "4"})
    with pytest.raises(RuntimeError, match="NOT_FOUND"):  # what sending everything did
        core.compile_model(None, "CPU", openvino_module.OpenvinoBackend.device_config(
            None, "CPU", 4))
    backend = backend_on(core)
    backend.load("model.xml", options())
    # The thread and stream settings go under the legacy names the plugin knows.
    assert core.compiled_with == [{"PERFORMANCE_HINT": "LATENCY", "CPU_THREADS_NUM": "4",
                                   "CPU_THROUGHPUT_STREAMS": "1"}]
    details = backend.details()
    assert details["properties_unset"] == {"INFERENCE_PRECISION_HINT": "f32"}
    assert details["precision_requested"] == "fp32" and details["precision_reported"] is None
    assert backend.precision == "unknown"  # the plugin does not say; never guessed as fp32
    assert backend.threads == 4


def test_myriad_without_the_precision_hint_records_its_fixed_fp16():
    core = StandInCore(MYRIAD_SUPPORTED, {"PERFORMANCE_HINT": "LATENCY"})
    backend = backend_on(core)
    backend.load("model.xml", options("MYRIAD"))
    assert core.compiled_with == [{"PERFORMANCE_HINT": "LATENCY"}]
    assert backend.details()["properties_unset"] == {"INFERENCE_PRECISION_HINT": "f16"}
    assert backend.precision == "fp16" and backend.threads is None
    assert backend.accelerator() == "Intel Movidius Myriad X VPU (MYRIAD)"


def test_auto_device_records_where_it_ran():
    supported = {"PERFORMANCE_HINT": "RW", "EXECUTION_DEVICES": "RO"}
    core = StandInCore(supported, {"EXECUTION_DEVICES": ["CPU"],
                                   "INFERENCE_PRECISION_HINT": "f32"})
    backend = backend_on(core)
    backend.load("model.xml", options("AUTO"))
    details = backend.details()
    assert details["precision_requested"] is None  # AUTO chooses; nothing was asked
    assert details["execution_devices"] == ["CPU"] and backend.precision == "fp32"


def test_ir_that_fails_to_load_falls_back_to_the_onnx_file():
    core = StandInCore(ARM_SUPPORTED, {"CPU_THREADS_NUM": "4"}, unreadable=(r"\.xml$",))
    backend = backend_on(core)
    onnx = {"format": "onnx", "path": "/b/t0001/model.onnx", "sha256": "cd" * 32}
    backend.load("/b/t0001/model.xml", options(alternatives=[onnx]))
    assert core.read == ["/b/t0001/model.onnx"]
    assert backend.loaded_artifact() == onnx and backend.artifact_format == "onnx"
    assert backend.details()["fallback"].startswith(
        "openvino_fp16 did not load on OpenVINO 2022.3.1-9227 (RuntimeError: Unable to read")
    lonely = backend_on(StandInCore(ARM_SUPPORTED, {}, unreadable=(r"\.xml$",)))
    with pytest.raises(RuntimeError, match="Unable to read the model"):  # nothing to fall to
        lonely.load("/b/t0001/model.xml", options())


def test_settable_reads_both_answer_forms():
    assert openvino_module.settable({"A": "RW", "B": "RO"}) == {"A"}
    assert openvino_module.settable(["A", "B"]) == {"A", "B"}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return shared_tiny_bundle(tmp_path_factory)


def newer_ir(bundle_dir: Path, model_id: str) -> None:
    """Make the IR one this OpenVINO cannot read, as a 2022.3 runtime meets an IR written by a
    newer one: its operations claim an opset version that does not exist."""
    def change(manifest: dict) -> None:
        model = next(m for m in manifest["models"] if m["id"] == model_id)
        record = model["artifacts"]["openvino_fp16"]
        xml = bundle_dir / record["path"]
        xml.write_text(re.sub(r'version="opset\d+"', 'version="opset999"', xml.read_text()))
        record.update(file_record(bundle_dir, record["path"]))

    rewrite_manifest(bundle_dir, change)


@pytest.mark.slow
def test_real_openvino_falls_back_from_an_unreadable_ir_to_the_onnx(tiny, tmp_path):
    damaged = copy_bundle(tiny, tmp_path / "ir")
    manifest = bundle.verify_bundle(damaged)
    model = manifest["models"][0]
    newer_ir(damaged, model["id"])
    manifest = bundle.verify_bundle(damaged)
    model = manifest["models"][0]
    onnx_path = bundle.artifact_path(damaged, model, "onnx")
    alternative = {"format": "onnx", "path": onnx_path,
                   "sha256": model["artifacts"]["onnx"]["sha256"]}
    backend = create_backend("openvino")
    backend.load(bundle.artifact_path(damaged, model, "openvino_fp16"),
                 LoadOptions(1, 1 / 255, manifest["input"]["shape"], "openvino_fp16",
                             alternatives=[alternative]))
    assert "did not load on OpenVINO" in backend.details()["fallback"]
    with np.load(damaged / "test_set.npz") as data:
        images = data["images"]
    reference = create_backend("onnxruntime")
    reference.load(onnx_path, LoadOptions(1, 1 / 255, manifest["input"]["shape"], "onnx"))
    np.testing.assert_allclose(backend.predict_batch(images), reference.predict_batch(images),
                               atol=1e-5)
    # The whole suite, as a board runs it: the result names the file that ran and why.
    out = tmp_path / "ir.json"
    done = run_host_suite(damaged, out, ["openvino"], "--models", model["id"])
    assert done.returncode == 0, done.stdout[-3000:]
    [bench] = json.loads(out.read_text())["benchmarks"]
    info = bench["extra_info"]
    assert info["artifact_format"] == "onnx"
    assert info["artifact_sha256"] == model["artifacts"]["onnx"]["sha256"]
    assert info["backend_details"]["fallback"].startswith("openvino_fp16 did not load")
