"""When a trained model is "at chance": no better than always answering the commonest class.

A model stuck on its opening plateau predicts one class; its validation accuracy is that
class's share, give or take sampling noise. A trial counts as at chance when its validation
accuracy is within three binomial standard errors of the commonest class's share: a model
that learned anything at all clears that bar (for 420 validation images of 7 balanced
classes it sits at 19.4%).
"""

from __future__ import annotations

import math

import numpy as np


def chance_level(labels: np.ndarray, n_classes: int) -> float:
    """Percent of `labels` in their commonest class (100 / n_classes when none are given)."""
    labels = np.asarray(labels)
    if labels.size == 0:
        return 100.0 / n_classes
    return 100.0 * float(np.bincount(labels, minlength=n_classes).max()) / labels.size


def chance_threshold(labels: np.ndarray, n_classes: int) -> float:
    """The accuracy (percent) at or below which a model on `labels` is at chance."""
    p = chance_level(labels, n_classes) / 100.0
    n = max(1, np.asarray(labels).size)
    return 100.0 * (p + 3.0 * math.sqrt(p * (1.0 - p) / n))


def at_chance(accuracy: float, labels: np.ndarray, n_classes: int) -> bool:
    """True when `accuracy` (percent) shows nothing learnt on `labels`."""
    return accuracy <= chance_threshold(labels, n_classes)
