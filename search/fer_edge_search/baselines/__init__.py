"""The published FER CNNs the paper compares its searched models with (its Table 4), built for
any dataset's input size and classes, and marked as baselines in every file they reach.

A baseline's configuration is `{"baseline": {"name", "title", "reference"}}`: the bundle
manifest, the ranking rows and the report carry it, and the merge side's
`fer_edge_merge.decision.is_baseline` tells baselines from searched models by it. `build_model`
(fer_edge_search.model) builds a baseline from it, so the search's training function trains
baselines with the very same recipe.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from fer_edge_harness import manifest_schema
from fer_edge_harness.manifest_schema import Baseline, ModelConfig
from fer_edge_search.baselines import kandeel2021, mollahosseini2016

# Name -> the module holding its NAME, TITLE, REFERENCE and build_layers; Table 4's order.
BASELINES: dict[str, ModuleType] = {
    kandeel2021.NAME: kandeel2021,
    mollahosseini2016.NAME: mollahosseini2016,
}


def baseline_config(name: str) -> dict[str, Any]:
    """The configuration that names baseline `name` (KeyError for an unknown one)."""
    module = BASELINES[name]
    return manifest_schema.baseline_config(module.NAME, module.TITLE, module.REFERENCE)


def baseline_name(config: Any) -> str | None:
    """The built-in architecture a configuration names, or None (a searched configuration, or
    an imported model this project cannot build)."""
    entry = config.get(ModelConfig.BASELINE) if isinstance(config, dict) else None
    name = entry.get(Baseline.NAME) if isinstance(entry, dict) else None
    return name if name in BASELINES else None


def build_baseline(config: dict[str, Any], input_shape: tuple[int, ...] = (48, 48, 1),
                   n_classes: int = 7, batch_size: int | None = None,
                   kernel_initializer: str = "glorot_uniform") -> Any:
    """A fresh, uncompiled keras.Model of the baseline `config` names; `batch_size=1` gives the
    static batch exporters need (as fer_edge_search.model.build_model)."""
    import keras

    name = baseline_name(config)
    if name is None:
        raise ValueError(f"not a built-in baseline configuration: {config}")
    inputs = keras.Input(shape=tuple(input_shape), batch_size=batch_size, name="image")
    outputs = BASELINES[name].build_layers(inputs, int(n_classes), kernel_initializer)
    return keras.Model(inputs, outputs, name=name)
