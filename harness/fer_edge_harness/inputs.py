"""The one definition of how a model's uint8 image becomes its float input (Python 3.6).

A bundle's manifest records it in `input`: float = uint8 x scale + offset. Training, the
int8 calibration, the export checks and every backend apply this one function, so a model sees
on a board exactly the numbers it was trained on. Stage-1 runs standardise (scale = 1/std,
offset = -mean/std of the training pixels); schema-1 bundles and imported models have no
offset (0: uint8 / 255).
"""

import math

import numpy as np

DEFAULT_SCALE = 1.0 / 255.0


class InputScaling(object):
    """float32 input = uint8 x `scale` + `offset`, with a channel axis added."""

    def __init__(self, scale=DEFAULT_SCALE, offset=0.0):
        self.scale = float(scale)
        self.offset = float(offset)
        if not (math.isfinite(self.scale) and self.scale > 0 and math.isfinite(self.offset)):
            raise ValueError("input scale must be finite and > 0 and offset finite, got "
                             "scale {!r} offset {!r}".format(scale, offset))

    @classmethod
    def standardizing(cls, images_uint8):
        """The scaling that gives `images_uint8` mean 0 and standard deviation 1."""
        pixels = np.asarray(images_uint8, dtype=np.float64)
        std = float(pixels.std()) if pixels.size else 0.0
        if not std > 0:
            return cls()  # constant or empty images: nothing to standardise by
        return cls(1.0 / std, -float(pixels.mean()) / std)

    @classmethod
    def from_manifest(cls, manifest_input):
        """From a manifest's `input` field; a missing offset is 0 (schema 1)."""
        return cls(manifest_input["scale"], manifest_input.get("offset", 0.0))

    def as_dict(self):
        """The manifest's fields: `scale` and `offset`."""
        return {"scale": self.scale, "offset": self.offset}

    def apply(self, images_uint8):
        """uint8 (N, H, W[, 1]) -> float32 (N, H, W, 1), contiguous."""
        x = np.asarray(images_uint8)
        if x.ndim == 3:
            x = x[..., np.newaxis]
        out = x.astype(np.float32) * np.float32(self.scale)
        if self.offset:
            out += np.float32(self.offset)
        return np.ascontiguousarray(out)

    def __eq__(self, other):
        return isinstance(other, InputScaling) and self.as_dict() == other.as_dict()

    def __ne__(self, other):
        return not self == other

    def __repr__(self):
        return "InputScaling(scale={!r}, offset={!r})".format(self.scale, self.offset)
