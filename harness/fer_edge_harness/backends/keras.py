"""`keras`: the .keras model through a compiled tf.function (the training framework's reference).

Never `model.predict`: on one image it costs ~50x a tf.function call (batch machinery;
docs/runtimes.md, pitfall 5). TensorFlow's thread pools can be sized only before its first op,
so the thread count recorded is the one TensorFlow reports after trying to set it.
"""

from fer_edge_harness.backends.base import (
    Backend,
    BackendUnavailable,
    float_nhwc,
    module_version,
    short_error,
)


def _import_keras():
    """(tensorflow, keras): Keras 3 when installed, else tf.keras."""
    try:
        import tensorflow as tf
    except Exception as exc:
        raise BackendUnavailable("tensorflow not importable ({})".format(
            short_error(exc))) from None
    try:
        import keras
    except Exception:
        keras = tf.keras
    return tf, keras


class KerasBackend(Backend):
    """Keras model called inside a tf.function traced once for the [1, H, W, 1] input."""

    name = "keras"
    precision = "fp32"
    artifact_formats = ("keras",)

    def __init__(self):
        Backend.__init__(self)
        self._tf, self._keras = _import_keras()
        self._model = None

    def versions(self):
        return {"tensorflow": module_version(self._tf), "keras": module_version(self._keras)}

    def _set_threads(self, threads):
        """Ask for `threads` intra-op threads (1 inter-op); return what TensorFlow then uses
        (0 = its default, every core)."""
        threading = self._tf.config.threading
        try:
            threading.set_intra_op_parallelism_threads(threads)
            threading.set_inter_op_parallelism_threads(1)
        except RuntimeError:
            pass  # TensorFlow already started in this process: its pools keep their size
        return threading.get_intra_op_parallelism_threads()

    def load(self, artifact_path, options):
        tf = self._tf
        self.threads = self._set_threads(options.threads)
        self._scale = options.input_scale
        self._model = self._keras.models.load_model(str(artifact_path), compile=False)
        model = self._model
        spec = tf.TensorSpec([1] + list(options.input_shape), tf.float32)

        def forward(x):
            return model(x, training=False)

        self._forward = tf.function(forward, input_signature=[spec])

    def prepare(self, x_uint8):
        return self._tf.constant(float_nhwc(x_uint8, self._scale))

    def infer(self, prepared):
        return self._forward(prepared).numpy()

    def close(self):
        self._forward = None
        self._model = None
