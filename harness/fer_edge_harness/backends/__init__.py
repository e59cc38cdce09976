"""The backends a board can run, by name ({name: "module:Class"}), imported only when asked for.

A backend whose runtime is missing raises BackendUnavailable from its constructor; the suite
turns that into a skip with the reason. Nothing here imports a runtime.
"""

import importlib

from fer_edge_harness.backends.base import BackendUnavailable

_PACKAGE = "fer_edge_harness.backends"

BACKENDS = {
    "tflite": _PACKAGE + ".tflite:TfliteBackend",
    "tflite-int8": _PACKAGE + ".tflite:TfliteInt8Backend",
    "edgetpu": _PACKAGE + ".edgetpu:EdgetpuBackend",
    "openvino": _PACKAGE + ".openvino:OpenvinoBackend",
    "onnxruntime": _PACKAGE + ".onnxruntime:OnnxRuntimeBackend",
    "tensorrt": _PACKAGE + ".tensorrt:TensorrtBackend",
    "keras": _PACKAGE + ".keras:KerasBackend",
}


def backend_class(name):
    """The class registered under `name` (its module imported now; the runtime not yet)."""
    if name not in BACKENDS:
        raise KeyError("unknown backend {!r} (known: {})".format(name, ", ".join(BACKENDS)))
    module_name, class_name = BACKENDS[name].split(":")
    return getattr(importlib.import_module(module_name), class_name)


def create_backend(name):
    """A fresh backend; raises BackendUnavailable when its runtime cannot be used here."""
    return backend_class(name)()


def parse_backends(text):
    """`tflite,onnxruntime` or `all` -> a list of known names, in the order given. A name given
    twice is refused: it would time every model twice under one name."""
    names = [n.strip() for n in str(text).split(",") if n.strip()]
    if names == ["all"]:
        return list(BACKENDS)
    unknown = [n for n in names if n not in BACKENDS]
    if unknown or not names:
        raise ValueError("unknown backend {} (known: {}, or all)".format(
            ", ".join(unknown) or "(none given)", ", ".join(BACKENDS)))
    twice = [n for i, n in enumerate(names) if n in names[:i]]
    if twice:
        raise ValueError("backend {} given more than once".format(", ".join(sorted(set(twice)))))
    return names


__all__ = ["BACKENDS", "BackendUnavailable", "backend_class", "create_backend", "parse_backends"]
