"""Attach each ranked model's configuration (K1-K4, FC, dropout), params and flops from bundles.

Result files name a model only by id and the bundle's hash; its architecture lives in the bundle
manifest. `fer-edge merge --bundle B` (repeatable) reads those manifests. A row takes its
configuration from the bundle whose bundle_sha256 it was measured on; failing that (stage 3 runs
on a per-board bundle made by `fer-edge select`, which keeps model ids), from the first given
bundle that lists the same model id, with one warning per unmatched bundle hash.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from fer_edge_harness.bundle import (
    HASH_MISMATCH,
    MANIFEST_NAME,
    BundleError,
    manifest_hash,
    read_manifest,
)
from fer_edge_harness.manifest_schema import Manifest, Model
from fer_edge_harness.results_schema import Extra

# What a row takes from the manifest's model entry (ranking columns of the same names).
MODEL_FIELDS = (Model.CONFIG, Model.PARAMS, Model.FLOPS, Model.VAL_ACCURACY)
# A given bundle's record in merge.json: its folder and its manifest's hash.
BUNDLE_PATH = "path"


class BundleIndex:
    """Model entries of the given bundles, by (bundle hash, model id) and by model id alone."""

    def __init__(self, bundle_dirs: Iterable[str | Path]) -> None:
        self.bundles: list[dict[str, Any]] = []
        self._by_hash: dict[tuple[str, str], dict[str, Any]] = {}
        self._by_id: dict[str, dict[str, Any]] = {}
        for bundle_dir in bundle_dirs:
            self._add(Path(bundle_dir))

    def _add(self, bundle_dir: Path) -> None:
        """Read one manifest; its own hash must hold (metadata only, artifacts not re-hashed)."""
        manifest = read_manifest(bundle_dir)
        digest = manifest.get(Manifest.BUNDLE_SHA256)
        if digest != manifest_hash(manifest):
            raise BundleError(bundle_dir / MANIFEST_NAME, HASH_MISMATCH)
        self.bundles.append({BUNDLE_PATH: str(bundle_dir), Manifest.BUNDLE_SHA256: digest})
        for model in manifest.get(Manifest.MODELS, []):
            self._by_hash[(digest, model.get(Model.ID))] = model
            self._by_id.setdefault(model.get(Model.ID), model)

    def known_hashes(self) -> set[str]:
        return {b[Manifest.BUNDLE_SHA256] for b in self.bundles}

    def lookup(self, bundle_sha256: str, model_id: str) -> dict[str, Any] | None:
        """The model's manifest entry: exact bundle first, then by id in any bundle."""
        exact = self._by_hash.get((bundle_sha256, model_id))
        return exact if exact is not None else self._by_id.get(model_id)


def attach_configs(rows: list[dict[str, Any]], index: BundleIndex,
                   warn: Callable[[str], None]) -> None:
    """Fill MODEL_FIELDS of each row in place (None where no bundle knows the model)."""
    unmatched: set[str] = set()
    missing: list[str] = []
    for row in rows:
        digest, model_id = row[Extra.BUNDLE_SHA256], row[Extra.MODEL_ID]
        model = index.lookup(digest, model_id) if index.bundles else None
        for key in MODEL_FIELDS:
            row[key] = model.get(key) if model else None
        if index.bundles and digest not in index.known_hashes():
            unmatched.add(str(digest))
        if index.bundles and model is None:
            missing.append(f"{model_id} ({row[Extra.DEVICE_LABEL]})")
    for digest in sorted(unmatched):
        warn(f"warning: results measured on bundle {digest[:12]} match none of the --bundle "
             "manifests; configurations taken by model id")
    if missing:
        warn(f"warning: no --bundle lists {len(missing)} ranked model(s), their configuration "
             f"is unknown: {', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}")
