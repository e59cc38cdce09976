"""Vectorised face-drawing primitives for the synthetic dataset: every call draws on all images.

Arrays are float (n, H, W); per-image parameters arrive as (n, 1, 1) arrays so that one numpy
expression draws a feature on the whole batch (no Python loop over images). Coordinates are
pixels in the face's own frame (`face_grid`): origin at the face centre, x right, y down.
Feature positions are fractions of the face half-width `a` (x) and half-height `b` (y).
"""

from __future__ import annotations

import numpy as np

Params = dict[str, np.ndarray]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def _pos(x: np.ndarray) -> np.ndarray:
    """The positive part: a negative (resting, jittered) action has no visible effect."""
    return np.clip(x, 0.0, None)


def face_grid(size: int, cx: np.ndarray, cy: np.ndarray,
              roll: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pixel coordinates of every image relative to its face centre, rotated by `roll` radians."""
    ys, xs = np.mgrid[0:size, 0:size].astype(cx.dtype)
    dx, dy = xs[None] - cx, ys[None] - cy
    cos, sin = np.cos(roll), np.sin(roll)
    return dx * cos + dy * sin, -dx * sin + dy * cos


def ellipse(px: np.ndarray, py: np.ndarray, x0, y0, ax, ay, sharp: float = 6.0) -> np.ndarray:
    """Soft mask (0..1) of an axis-aligned ellipse centred (x0, y0) with half-axes (ax, ay)."""
    d = ((px - x0) / ax) ** 2 + ((py - y0) / ay) ** 2
    return _sigmoid((1.0 - d) * sharp)


def segment(px: np.ndarray, py: np.ndarray, x0, y0, x1, y1, width) -> np.ndarray:
    """Soft stroke (0..1) along the segment (x0, y0)-(x1, y1), Gaussian across, `width` pixels."""
    vx, vy = x1 - x0, y1 - y0
    t = np.clip(((px - x0) * vx + (py - y0) * vy) / (vx * vx + vy * vy + 1e-9), 0.0, 1.0)
    d2 = (px - x0 - t * vx) ** 2 + (py - y0 - t * vy) ** 2
    return np.exp(-d2 / (width * width))


def paint(img: np.ndarray, mask: np.ndarray, value) -> np.ndarray:
    """Blend `value` over `img` where `mask` is 1."""
    return img * (1.0 - mask) + value * mask


def face_and_background(grid: tuple[np.ndarray, np.ndarray], t: Params) -> np.ndarray:
    """Background, the face oval with a directional light and rounded shading, and hair."""
    px, py = grid
    a, b = t["a"], t["b"]
    d = (px / a) ** 2 + (py / b) ** 2
    face = _sigmoid((1.0 - d) * 10.0)
    light = 1.0 + t["light"] * (px * np.cos(t["light_dir"]) + py * np.sin(t["light_dir"])) / a
    skin = t["skin"] * light * (1.0 - 0.18 * d)
    img = paint(np.broadcast_to(t["bg"], px.shape), face, skin)
    hair = face * _sigmoid((-0.72 * b - py) * 1.5)
    return paint(img, hair, 0.35 * t["skin"])


def eyes(img: np.ndarray, grid, t: Params, act: Params) -> np.ndarray:
    """Two eyes: the sclera opens with eye_widen and closes with eye_narrow; fixed-size iris."""
    px, py = grid
    a, b = t["a"], t["b"]
    openness = t["eye_size"] * (1.0 + 0.9 * act["eye_widen"] - 0.5 * act["eye_narrow"])
    eh = 0.075 * b * np.clip(openness, 0.2, None)
    ey = t["eye_y"] * b
    for side in (-1.0, 1.0):
        ex = side * t["eye_gap"] * a
        sclera = ellipse(px, py, ex, ey, 0.16 * a, eh, sharp=5.0)
        img = paint(img, sclera, 215.0)
        iris = ellipse(px, py, ex, ey, 0.07 * b, 0.07 * b, sharp=5.0) * sclera
        img = paint(img, iris, 45.0)
        lid = segment(px, py, ex - 0.16 * a, ey, ex + 0.16 * a, ey - eh, 0.8)
        img = img - 0.3 * t["brow_dark"] * lid * sclera
        cheek = segment(px, py, ex - 0.12 * a, ey + eh + 2.5, ex + 0.12 * a, ey + eh + 2.5, 0.9)
        img = img - 45.0 * _pos(act["eye_narrow"]) * cheek
    return img


def brows(img: np.ndarray, grid, t: Params, act: Params) -> np.ndarray:
    """Brows (raise, inner raise, lower, draw together), forehead lines and the frown furrow."""
    px, py = grid
    a, b = t["a"], t["b"]
    base = ((t["eye_y"] - t["brow_gap"]) * b - 0.14 * b * act["brow_raise"]
            + 0.09 * b * act["brow_lower"])
    inner_y = base - 0.12 * b * act["brow_inner"] + 0.06 * b * act["brow_lower"]
    outer_y = base + 0.03 * b * act["brow_inner"]
    inner_x = np.clip(t["eye_gap"] - 0.15 - 0.09 * act["brow_together"], 0.05, None) * a
    outer_x = (t["eye_gap"] + 0.19) * a
    for side in (-1.0, 1.0):
        stroke = segment(px, py, side * inner_x, inner_y, side * outer_x, outer_y, 1.3)
        img = img - t["brow_dark"] * stroke
    for k in (1.0, 2.0):
        y = base - 0.08 * b * k
        line = segment(px, py, -0.35 * a, y, 0.35 * a, y, 0.6)
        img = img - 40.0 * _pos(act["brow_raise"]) * line
    furrow = _pos(act["brow_together"]) * _pos(act["brow_lower"] + 0.3)
    for x in (-0.05, 0.05):
        line = segment(px, py, x * a, inner_y, x * a, inner_y + 0.1 * b, 0.6)
        img = img - 50.0 * furrow * line
    return img


def nose(img: np.ndarray, grid, t: Params, act: Params) -> np.ndarray:
    """Nose bridge shade and nostrils; wrinkle lines and nasolabial folds for AU9/AU6/AU12."""
    px, py = grid
    a, b = t["a"], t["b"]
    wrinkle = _pos(act["nose_wrinkle"])
    img = img - 15.0 * segment(px, py, 0.05 * a, t["eye_y"] * b, 0.07 * a, 0.1 * b, 1.2)
    for side in (-1.0, 1.0):
        nostril = ellipse(px, py, side * 0.09 * a, 0.15 * b - 0.03 * b * wrinkle,
                          0.05 * a * (1.0 + 0.4 * wrinkle), 0.025 * b, sharp=4.0)
        img = img - 60.0 * nostril
    for y in (-0.08, -0.02):
        line = segment(px, py, -0.08 * a, y * b, 0.08 * a, y * b - 0.01 * b, 0.6)
        img = img - 60.0 * wrinkle * line
    smile = 0.5 * (_pos(act["corner_up_l"]) + _pos(act["corner_up_r"]))
    fold = np.clip(0.7 * smile + 0.8 * wrinkle, 0.0, 1.5)
    for side in (-1.0, 1.0):
        end_x = side * (t["mouth_w"] + 0.06) * a
        end_y = t["mouth_y"] * b - 0.06 * b * smile
        line = segment(px, py, side * 0.16 * a, 0.1 * b, end_x, end_y, 0.9)
        img = img - 50.0 * fold * line
    return img


def _mouth_shape(px: np.ndarray, t: Params, act: Params) -> tuple[np.ndarray, ...]:
    """Horizontal coordinate u (-1..1 across the mouth), the lip centre line and opening height."""
    a, b = t["a"], t["b"]
    up_l, up_r = act["corner_up_l"], act["corner_up_r"]
    width = t["mouth_w"] * a * (1.0 + 0.25 * act["lip_stretch"] - 0.2 * act["lip_press"]
                                + 0.1 * _pos(0.5 * (up_l + up_r)))
    u = px / np.clip(width, 2.0, None)
    lift_l = 0.15 * b * up_l - 0.11 * b * act["corner_down"]
    lift_r = 0.15 * b * up_r - 0.11 * b * act["corner_down"]
    lift = lift_l * (1.0 - u) / 2.0 + lift_r * (1.0 + u) / 2.0
    centre = t["mouth_y"] * b - 0.05 * b * _pos(act["nose_wrinkle"]) - lift * u * u
    opening = 0.24 * b * _pos(act["mouth_open"]) * np.clip(1.0 - u * u, 0.0, None)
    return u, centre, opening


def mouth(img: np.ndarray, grid, t: Params, act: Params) -> np.ndarray:
    """Lips along a curve whose corners lift or drop per side; a dark opening when open."""
    px, py = grid
    u, centre, opening = _mouth_shape(px, t, act)
    inside = _sigmoid((1.0 - np.abs(u)) * 8.0)
    mid = centre + 0.25 * opening
    lip = 0.045 * t["b"] * (1.0 - 0.6 * np.clip(act["lip_press"], 0.0, 1.0)) + 0.6
    band = inside * _sigmoid((0.5 * opening + lip - np.abs(py - mid)) * 2.0)
    img = img * (1.0 - 0.3 * band)
    hole = inside * _sigmoid((0.5 * opening - np.abs(py - mid)) * 2.0 + 0.3)
    return paint(img, hole, 30.0)


def blur3(img: np.ndarray) -> np.ndarray:
    """Separable [1, 2, 1] / 4 blur with edge padding: softens the drawing like a camera."""
    p = np.pad(img, ((0, 0), (1, 1), (0, 0)), mode="edge")
    img = (p[:, :-2] + 2.0 * p[:, 1:-1] + p[:, 2:]) / 4.0
    p = np.pad(img, ((0, 0), (0, 0), (1, 1)), mode="edge")
    return (p[:, :, :-2] + 2.0 * p[:, :, 1:-1] + p[:, :, 2:]) / 4.0
