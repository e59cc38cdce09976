"""GPU memory, copies and a stream for the TensorRT backend, through the CUDA runtime (libcudart)
opened with ctypes.

Why ctypes and not pycuda or cuda-python: JetPack 4.6 (the Jetson Nano's last, CUDA 10.2) ships
neither; pycuda must be compiled on the board, and cuda-python supports CUDA 11+ only. libcudart
is on every machine TensorRT runs on, so one path serves every board, and every board times the
same copies: input and output live in page-locked (pinned) host memory from cudaMallocHost, as
NVIDIA's TensorRT samples allocate them, so two boards never differ by pinned vs pageable copies.
Everything allocated is freed by `close()` (cudaFree, cudaFreeHost, cudaStreamDestroy).

Runtime API reference (function signatures, enum values): CUDA Runtime API documentation,
https://docs.nvidia.com/cuda/cuda-runtime-api/ ("Memory Management", "Stream Management",
cudaDeviceAttr, cudaMemcpyKind).
"""

import ctypes
import glob
import os
import sys

import numpy as np

from fer_edge_harness.backends.base import BackendUnavailable

# Environment variable naming the libcudart to open (a file path), before any search.
CUDART_ENV = "FER_EDGE_CUDART"

# cudaMemcpyKind and cudaDeviceAttr values (driver_types.h, stable since CUDA 5).
MEMCPY_HOST_TO_DEVICE = 1
MEMCPY_DEVICE_TO_HOST = 2
ATTR_MULTIPROCESSOR_COUNT = 16
ATTR_INTEGRATED = 18
ATTR_COMPUTE_CAPABILITY_MAJOR = 75
ATTR_COMPUTE_CAPABILITY_MINOR = 76

# cudaDeviceProp starts with `char name[256]`; the whole struct is about 1 KiB and grows with
# CUDA releases, so it is read into a buffer far larger than any release's.
_PROPERTIES_BYTES = 1 << 14
_NAME_BYTES = 256

# sonames in the order tried: unversioned (a -dev package), then CUDA 13 down to 10.2 (JetPack 4).
_SONAMES = ("libcudart.so", "libcudart.so.13", "libcudart.so.12", "libcudart.so.11.0",
            "libcudart.so.10.2")
_FOLDERS = ("/usr/local/cuda/lib64", "/usr/local/cuda/targets/aarch64-linux/lib",
            "/usr/local/cuda/targets/x86_64-linux/lib", "/usr/lib/aarch64-linux-gnu",
            "/usr/lib/x86_64-linux-gnu")


def cudart_candidates():
    """Where libcudart may be, in the order tried: $FER_EDGE_CUDART, the loader's search path
    (sonames), $CUDA_HOME and the usual CUDA folders, and the CUDA runtime wheel that TensorRT's
    PyPI wheels depend on (site-packages/nvidia/cuda_runtime/lib)."""
    found = [os.environ[CUDART_ENV]] if os.environ.get(CUDART_ENV) else []
    found.extend(_SONAMES)
    folders = list(_FOLDERS)
    if os.environ.get("CUDA_HOME"):
        folders.insert(0, os.path.join(os.environ["CUDA_HOME"], "lib64"))
    folders.extend(os.path.join(p, "nvidia", "cuda_runtime", "lib") for p in sys.path if p)
    for folder in folders:
        found.extend(sorted(glob.glob(os.path.join(folder, "libcudart.so*")), reverse=True))
    return found


def open_cudart(candidates=None):
    """The first libcudart that opens, or BackendUnavailable listing what was tried."""
    tried = []
    for candidate in cudart_candidates() if candidates is None else candidates:
        try:
            return ctypes.CDLL(candidate), candidate
        except OSError:
            tried.append(candidate)
    raise BackendUnavailable("tensorrt needs the CUDA runtime (libcudart), not found: tried {}"
                             .format(", ".join(tried[:8]) + (", ..." if len(tried) > 8 else "")))


def _declare(lib):
    """Argument and result types of every function used (cudaError_t is an int)."""
    p, size, i = ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int
    pp, ip = ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_int)
    signatures = {
        "cudaRuntimeGetVersion": [ip], "cudaDriverGetVersion": [ip], "cudaSetDevice": [i],
        "cudaStreamCreate": [pp], "cudaStreamDestroy": [p], "cudaStreamSynchronize": [p],
        "cudaMalloc": [pp, size], "cudaFree": [p], "cudaMallocHost": [pp, size],
        "cudaFreeHost": [p], "cudaMemcpyAsync": [p, p, size, i, p],
        "cudaDeviceGetAttribute": [ip, i, i],
    }
    for name, argtypes in signatures.items():
        function = getattr(lib, name)
        function.argtypes, function.restype = argtypes, ctypes.c_int
    for name in ("cudaGetErrorName", "cudaGetErrorString"):
        getattr(lib, name).argtypes = [ctypes.c_int]
        getattr(lib, name).restype = ctypes.c_char_p
    properties = getattr(lib, "cudaGetDeviceProperties_v2", None)  # CUDA 12's current ABI
    lib.fer_device_properties = properties or lib.cudaGetDeviceProperties
    lib.fer_device_properties.argtypes, lib.fer_device_properties.restype = [p, i], ctypes.c_int


def _version_text(number):
    """CUDA's 10020 -> "10.2", 12040 -> "12.4"."""
    return "{}.{}".format(number // 1000, (number % 1000) // 10)


class CudaError(RuntimeError):
    """A CUDA runtime call that failed: the call, the error's name and CUDA's own description."""


class CudartMemory(object):
    """Pinned host arrays, device buffers, async copies and one stream on GPU 0, over libcudart."""

    def __init__(self, lib=None, path=None):
        if lib is None:
            lib, path = open_cudart()
        try:
            _declare(lib)
        except AttributeError as exc:  # not a CUDA runtime, or one without these calls
            raise BackendUnavailable("{} is not a usable CUDA runtime ({})".format(
                path, exc)) from None
        self._lib = lib
        self.path = path
        self._device = []  # device pointers to cudaFree
        self._pinned = []  # host pointers to cudaFreeHost
        self._stream = None
        self.versions = {"cuda_runtime": "unknown"}
        try:
            self.versions["cuda_runtime"] = _version_text(self._get_int("cudaRuntimeGetVersion"))
            self._check("cudaSetDevice", 0)
            self.versions["cuda_driver"] = _version_text(self._get_int("cudaDriverGetVersion"))
            stream = ctypes.c_void_p()
            self._check("cudaStreamCreate", ctypes.byref(stream))
        except CudaError as exc:  # no GPU, no driver, a driver older than the runtime
            raise BackendUnavailable("CUDA runtime {} ({}) cannot use a GPU here: {}".format(
                self.versions["cuda_runtime"], path, exc)) from None
        self._stream = stream
        self.stream_handle = int(stream.value or 0)

    def _check(self, name, *args):
        """Call a runtime function; CudaError naming it when it does not return cudaSuccess."""
        code = getattr(self._lib, name)(*args)
        if code != 0:
            error = self._lib.cudaGetErrorName(code) or b"cudaError"
            text = self._lib.cudaGetErrorString(code) or b""
            raise CudaError("{} returned {} {} ({})".format(
                name, code, error.decode("ascii", "replace"), text.decode("utf-8", "replace")))

    def _get_int(self, name, *args):
        value = ctypes.c_int()
        self._check(name, ctypes.byref(value), *args)
        return value.value

    def host(self, shape, dtype):
        """A page-locked numpy array (cudaMallocHost), freed by close()."""
        dtype = np.dtype(dtype)
        count = int(np.prod(shape))
        nbytes = max(1, count * dtype.itemsize)
        pointer = ctypes.c_void_p()
        self._check("cudaMallocHost", ctypes.byref(pointer), nbytes)
        self._pinned.append(pointer.value)
        raw = (ctypes.c_ubyte * nbytes).from_address(pointer.value)
        return np.frombuffer(raw, dtype=dtype, count=count).reshape(tuple(shape))

    def device(self, nbytes):
        """(handle, pointer) of a device buffer (cudaMalloc), freed by close()."""
        pointer = ctypes.c_void_p()
        self._check("cudaMalloc", ctypes.byref(pointer), max(1, int(nbytes)))
        self._device.append(pointer.value)
        return pointer.value, int(pointer.value)

    def to_device(self, pointer, host):
        self._check("cudaMemcpyAsync", ctypes.c_void_p(pointer), host.ctypes.data, host.nbytes,
                    MEMCPY_HOST_TO_DEVICE, self._stream)

    def to_host(self, host, pointer):
        self._check("cudaMemcpyAsync", host.ctypes.data, ctypes.c_void_p(pointer), host.nbytes,
                    MEMCPY_DEVICE_TO_HOST, self._stream)

    def synchronize(self):
        self._check("cudaStreamSynchronize", self._stream)

    def device_name(self):
        buffer = ctypes.create_string_buffer(_PROPERTIES_BYTES)
        self._check("fer_device_properties", buffer, 0)
        return buffer.raw[:_NAME_BYTES].split(b"\0", 1)[0].decode("utf-8", "replace")

    def device_facts(self):
        """What an engine is specific to: name, compute capability, SM count, integrated."""
        major = self._get_int("cudaDeviceGetAttribute", ATTR_COMPUTE_CAPABILITY_MAJOR, 0)
        minor = self._get_int("cudaDeviceGetAttribute", ATTR_COMPUTE_CAPABILITY_MINOR, 0)
        return {"name": self.device_name(), "compute_capability": "{}.{}".format(major, minor),
                "sm_count": self._get_int("cudaDeviceGetAttribute", ATTR_MULTIPROCESSOR_COUNT, 0),
                "integrated": bool(self._get_int("cudaDeviceGetAttribute", ATTR_INTEGRATED, 0))}

    def live_allocations(self):
        """How many buffers this object holds now (device + pinned host)."""
        return len(self._device) + len(self._pinned)

    def close(self):
        """Free every buffer and the stream; safe to call twice."""
        while self._device:
            self._lib.cudaFree(ctypes.c_void_p(self._device.pop()))
        while self._pinned:
            self._lib.cudaFreeHost(ctypes.c_void_p(self._pinned.pop()))
        if self._stream is not None:
            self._lib.cudaStreamDestroy(self._stream)
            self._stream = None


def cuda_memory():
    """The CUDA runtime of this machine; BackendUnavailable saying why it cannot be used."""
    return CudartMemory()
