"""GPU buffers, copies and a stream for the TensorRT backend, from pycuda or cuda-python.

Jetson Nano images (L4T r32.7) carry pycuda; newer TensorRT images carry cuda-python. Both are
wrapped behind the same four calls so the backend does not care which one it got.
"""

import numpy as np

from fer_edge_harness.backends.base import BackendUnavailable, module_version, short_error


class PycudaMemory(object):
    """pycuda: page-locked host arrays, device allocations, one stream (context on GPU 0)."""

    def __init__(self):
        import pycuda.autoinit  # noqa: F401  (creates the context on GPU 0, freed at exit)
        import pycuda.driver as cuda

        self._cuda = cuda
        self.stream = cuda.Stream()
        self.stream_handle = self.stream.handle
        self.versions = {"pycuda": module_version(__import__("pycuda"))}

    def host(self, shape, dtype):
        return self._cuda.pagelocked_empty(tuple(shape), dtype)

    def device(self, nbytes):
        allocation = self._cuda.mem_alloc(int(nbytes))
        return allocation, int(allocation)

    def to_device(self, pointer, host):
        self._cuda.memcpy_htod_async(pointer, host, self.stream)

    def to_host(self, host, pointer):
        self._cuda.memcpy_dtoh_async(host, pointer, self.stream)

    def synchronize(self):
        self.stream.synchronize()

    def device_name(self):
        return self._cuda.Device(0).name()


class CudaPythonMemory(object):
    """cuda-python's runtime API (`cuda.bindings.runtime`, or `cuda.cudart` before 12.6)."""

    def __init__(self):
        try:
            from cuda.bindings import runtime as cudart
        except ImportError:
            from cuda import cudart
        self._rt = cudart
        self.stream = self._check(cudart.cudaStreamCreate())
        self.stream_handle = int(self.stream)
        self.versions = {"cuda-python": module_version(__import__("cuda"))}

    def _check(self, result):
        """cuda-python returns (error, values...): raise on error, return the values."""
        error, values = result[0], result[1:]
        if int(error) != 0:
            raise RuntimeError("CUDA error {}".format(error))
        return values[0] if len(values) == 1 else values

    def host(self, shape, dtype):
        return np.empty(tuple(shape), dtype=dtype)

    def device(self, nbytes):
        pointer = self._check(self._rt.cudaMalloc(int(nbytes)))
        return pointer, int(pointer)

    def to_device(self, pointer, host):
        kind = self._rt.cudaMemcpyKind.cudaMemcpyHostToDevice
        self._check(self._rt.cudaMemcpyAsync(pointer, host.ctypes.data, host.nbytes, kind,
                                             self.stream))

    def to_host(self, host, pointer):
        kind = self._rt.cudaMemcpyKind.cudaMemcpyDeviceToHost
        self._check(self._rt.cudaMemcpyAsync(host.ctypes.data, pointer, host.nbytes, kind,
                                             self.stream))

    def synchronize(self):
        self._check(self._rt.cudaStreamSynchronize(self.stream))

    def device_name(self):
        name = self._check(self._rt.cudaGetDeviceProperties(0)).name
        return name.decode("utf-8", "replace").rstrip("\0") if isinstance(name, bytes) else name


def cuda_memory():
    """pycuda where it imports, else cuda-python; BackendUnavailable when neither does."""
    problems = []
    for opener in (PycudaMemory, CudaPythonMemory):
        try:
            return opener()
        except Exception as exc:
            problems.append("{} ({})".format(opener.__name__, short_error(exc)))
    raise BackendUnavailable("tensorrt needs pycuda or cuda-python for GPU memory: "
                             + "; ".join(problems))
