"""Is a step of an earlier demo run finished and still right for this one? Then it is reused.

A bundle counts when its manifest verifies (every file's hash) and it holds what this run asks
for; a results file when pytest-benchmark's JSON parses with every field the merge tool needs,
the harness marked it complete, and it was measured on this bundle with these settings. Anything
else is redone: the steps write atomically, so a killed run leaves no half file that passes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fer_edge_core.errors import UserInputError
from fer_edge_harness.bundle import MANIFEST_NAME, BundleError, verify_bundle
from fer_edge_harness.manifest_schema import Manifest, Model, Parent, Selection
from fer_edge_harness.results_schema import RunInfo


def verified_manifest(bundle_dir: Path) -> dict[str, Any] | None:
    """The bundle's manifest if it is there and verifies; None otherwise."""
    if not (bundle_dir / MANIFEST_NAME).is_file():
        return None
    try:
        return verify_bundle(bundle_dir)
    except BundleError:
        return None


def stage1_bundle_matches(manifest: dict[str, Any], model_ids: list[str],
                          formats: list[str]) -> bool:
    """The stage-1 bundle holds exactly these models (in rank order), each with an artifact
    record for every format asked for (a failed export counts: redoing it would fail again)."""
    models = manifest.get(Manifest.MODELS) or []
    if [m.get(Model.ID) for m in models] != model_ids:
        return False
    return all(fmt in (m.get(Model.ARTIFACTS) or {}) for m in models for fmt in formats)


def selection_matches(manifest: dict[str, Any], parent_sha256: str, by: str, top: int,
                      model_ids: list[str]) -> bool:
    """A selected bundle made from this parent, by this fitness and size, of these models."""
    parent = manifest.get(Manifest.PARENT) or {}
    selection = manifest.get(Manifest.SELECTION) or {}
    return (parent.get(Parent.BUNDLE_SHA256) == parent_sha256
            and selection.get(Selection.BY) == by and selection.get(Selection.TOP) == top
            and [m.get(Model.ID) for m in manifest.get(Manifest.MODELS) or []] == model_ids)


def results_match(path: Path, expected: dict[str, Any]) -> bool:
    """The results file is complete and its run info agrees with `expected` (bundle_sha256,
    device_label, stage, backends, rounds, ... as the harness records them)."""
    from fer_edge_merge.load import read_results_file

    if not path.is_file():
        return False
    try:
        results = read_results_file(path)
    except UserInputError:
        return False
    info = results.run_info
    if not info.get(RunInfo.COMPLETE):
        return False
    return all(info.get(key) == value for key, value in expected.items())
