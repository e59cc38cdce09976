"""`edgetpu`: the compiled *_edgetpu.tflite on a Coral Edge TPU through the libedgetpu delegate.

The delegate is loaded when the backend is made, so a board without libedgetpu (or without a
TPU attached) skips with the runtime's own reason. Ops the compiler could not map run on the CPU,
so threads still matter and are set as for `tflite-int8`.
"""

import ctypes
import platform

from fer_edge_harness.backends.base import BackendUnavailable, short_error
from fer_edge_harness.backends.tflite import TfliteInt8Backend

# Coral's library names (coral.ai "Run inference on the Edge TPU with Python").
_LIBRARIES = {"Linux": "libedgetpu.so.1", "Darwin": "libedgetpu.1.dylib", "Windows": "edgetpu.dll"}


def runtime_version():
    """libedgetpu's version string where pycoral can tell it, else None."""
    try:
        from pycoral.utils import edgetpu
    except Exception:
        return None
    try:
        return edgetpu.get_runtime_version()
    except Exception:
        return None


class EdgetpuBackend(TfliteInt8Backend):
    """The Edge TPU: int8, delegate attached at load."""

    name = "edgetpu"
    precision = "int8"
    artifact_formats = ("edgetpu",)

    def __init__(self):
        TfliteInt8Backend.__init__(self)
        self._library = _LIBRARIES.get(platform.system(), _LIBRARIES["Linux"])
        try:
            # Opened with ctypes first: a failed load_delegate leaves a half-made Delegate
            # whose __del__ raises (ai_edge_litert 2.3).
            ctypes.CDLL(self._library)
            self._delegate = self._runtime.load_delegate(self._library)
        except Exception as exc:
            raise BackendUnavailable("Edge TPU delegate {} could not be loaded ({})"
                                     .format(self._library, short_error(exc))) from None

    def versions(self):
        versions = TfliteInt8Backend.versions(self)
        versions["libedgetpu"] = runtime_version() or "unknown"
        return versions

    def delegates(self):
        return [self._delegate]

    def accelerator(self):
        return "Google Edge TPU ({})".format(self._library)
