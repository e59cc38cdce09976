"""The one definition of how a model's uint8 image becomes its float input (Python 3.6).

A bundle's manifest records it in `input`: float = uint8 x scale + offset. Training, the
int8 calibration, the export checks and every backend apply this one function, so a model sees
on a board exactly the numbers it was trained on. Stage-1 runs standardise (scale = 1/std,
offset = -mean/std of the training pixels); schema-1 bundles and imported models have no
offset (0: uint8 / 255).

`scaling_problem` is what a bundle verifier asks of a manifest's numbers before a board feeds a
model with them: a schema-1 manifest's scale must be 1/255 (every exporter of then trained on
uint8 / 255), a schema-2 one may standardise, within bounds that any scaling of 0..255 pixels
a model here was trained on keeps.
"""

import math

import numpy as np

from fer_edge_harness.manifest_schema import Input, Manifest, field_path

DEFAULT_SCALE = 1.0 / 255.0
# Bounds of a schema-2 scaling. The 256 pixel values span 255 x scale input units: 1 for
# uint8 / 255, 255 / std for a standardisation (a uint8 image's std is at most 127.5, so 2 or
# more), 255 at most (std 1: one grey level). Less than 1 or more than 255 is no scaling a
# training here made.
MIN_SCALE = 1.0 / 255.0
MAX_SCALE = 1.0
_REL = 1e-9  # float round-off allowed at the bounds (1.0 / 255.0 written and read as JSON)


def _finite_number(value):
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


def scaling_problem(scale, offset, schema_version):
    """Why a manifest's `input.scale` / `input.offset` cannot be a scaling a model here was
    trained with, as (field, problem), or None when they can."""
    scale_field = field_path(Manifest.INPUT, Input.SCALE)
    offset_field = field_path(Manifest.INPUT, Input.OFFSET)
    if not _finite_number(scale) or not scale > 0:
        return scale_field, "must be a positive finite number, got {!r}".format(scale)
    if schema_version < 2:
        if offset is not None:
            return offset_field, "is a schema-2 field; a schema-1 manifest has none"
        if abs(scale - DEFAULT_SCALE) > DEFAULT_SCALE * _REL:
            return scale_field, ("{!r} does not map the uint8 test images onto [0, 1] as "
                                   "schema-1 models were trained (1/255 = {!r})"
                                   .format(scale, DEFAULT_SCALE))
        return None
    if offset is None:
        offset = 0.0
    if not _finite_number(offset):
        return offset_field, "must be a finite number, got {!r}".format(offset)
    if not MIN_SCALE * (1 - _REL) <= scale <= MAX_SCALE * (1 + _REL):
        return scale_field, ("{!r} spreads the pixel values 0..255 over {:.4g} input units; "
                               "uint8 / 255 spreads them over 1, a standardisation over 2 to "
                               "255 (scale 1/255..1)".format(scale, 255.0 * scale))
    zero_pixel = -offset / scale
    if not -255.0 * _REL <= zero_pixel <= 255.0 * (1 + _REL):
        return offset_field, ("{!r} with scale {!r} maps pixel value {:.4g} to 0, outside "
                                "0..255: neither uint8 / 255 (offset 0) nor a standardisation "
                                "(minus the mean pixel x scale)".format(offset, scale, zero_pixel))
    return None


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
        return cls(manifest_input[Input.SCALE], manifest_input.get(Input.OFFSET, 0.0))

    def as_dict(self):
        """The manifest's fields: `scale` and `offset`."""
        return {Input.SCALE: self.scale, Input.OFFSET: self.offset}

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
