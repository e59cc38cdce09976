"""Make the next stage's bundle for each board: its top-N models of a ranking, verified.

Stage 2 keeps the top 10 per board by accuracy/latency, stage 3 the best by accuracy/PDP (the
paper's Fig. 1). Each board gets OUT/<device_label>/: the chosen models' artifact files and the
test set copied from the parent bundle under the same relative paths, and a manifest that records
its parent ({"bundle_sha256", "path"}, the path relative to the new bundle) and the selection
({"by", "top", "ranking", "device_label", "models"}), hashed and then verified like any bundle.
"""

from __future__ import annotations

import copy
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fer_edge_core.errors import UserInputError
from fer_edge_core.files import make_stage, replace_folder, write_json
from fer_edge_core.paths import refuse_overlap
from fer_edge_harness import manifest_schema
from fer_edge_harness.bundle import MANIFEST_NAME, manifest_hash, verify_bundle
from fer_edge_harness.manifest_schema import (
    Artifact,
    Manifest,
    Model,
    Selection,
    TestSet,
)
from fer_edge_harness.results_schema import Extra
from fer_edge_merge.decision import is_baseline
from fer_edge_merge.fitness import FITNESS_TITLES, FITNESSES
from fer_edge_merge.ranking import OUTPUT_NAMES, RANKING_JSON, read_ranking, warn_stderr


def board_folder_name(device_label: str) -> str:
    """A device label as a folder name: anything but letters, digits, '.', '_', '-' becomes '_'."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", device_label).strip(".") or "board"


def choose_models(rows: list[dict[str, Any]], by: str, top: int,
                  baselines: bool = True) -> dict[str, list[dict]]:
    """Per board, its best `top` distinct searched models by rank_<by> (ties: model id order),
    then, with `baselines`, every baseline ranked there (decision.is_baseline): baselines never
    take one of the `top` places, but go on to the next stage with the models they are compared
    with (the paper's Table 4 measures them on the final board, power included).

    A model ranked under two backends on one label counts once, at its better rank.
    """
    boards: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        boards.setdefault(row[Extra.DEVICE_LABEL], [])
        if row.get(f"rank_{by}") is not None:
            boards[row[Extra.DEVICE_LABEL]].append(row)
    chosen = {}
    for label, board_rows in boards.items():
        board_rows.sort(key=lambda r: (r[f"rank_{by}"], r[Extra.MODEL_ID], r[Extra.BACKEND]))
        picked: dict[str, dict[str, Any]] = {}
        for row in board_rows:
            if len(picked) < top and not is_baseline(row):
                picked.setdefault(row[Extra.MODEL_ID], row)
        if baselines:
            for row in board_rows:
                if is_baseline(row):
                    picked.setdefault(row[Extra.MODEL_ID], row)
        chosen[label] = list(picked.values())
    return chosen


def _with_configs(rows: list[dict[str, Any]], parent: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows, each row merged without --bundle given its configuration from the parent
    bundle (by model id), so that baselines are told apart whichever way the ranking was made."""
    configs = {m.get(Model.ID): m.get(Model.CONFIG) for m in parent.get(Manifest.MODELS, [])}
    return [row if row.get(Model.CONFIG) is not None else {**row, Model.CONFIG: configs.get(
        row[Extra.MODEL_ID])} for row in rows]


def _check_choice(chosen: dict[str, list[dict]], by: str, ranking_path: Path,
                  parent: dict[str, Any], bundle_dir: Path) -> None:
    """Refuse boards with nothing ranked under `by`, and models the parent bundle lacks."""
    empty = sorted(label for label, rows in chosen.items() if not rows)
    if empty:
        hint = " (no power measured there: select --by latency)" if by == "pdp" else ""
        raise UserInputError(ranking_path, f"no model is ranked by {FITNESS_TITLES[by]} on "
                             f"{', '.join(empty)}{hint}")
    known = {m.get(Model.ID) for m in parent.get(Manifest.MODELS, [])}
    for label, rows in chosen.items():
        absent = [r[Extra.MODEL_ID] for r in rows if r[Extra.MODEL_ID] not in known]
        if absent:
            raise UserInputError(bundle_dir / MANIFEST_NAME,
                                 f"model(s) {', '.join(absent)} ranked on {label} are not in "
                                 "this bundle: give the bundle these results were measured on")


def _files_of(manifest: dict[str, Any]) -> list[str]:
    """Relative paths of the test set and every artifact file (OpenVINO's .bin included)."""
    paths = [manifest[Manifest.TEST_SET][TestSet.PATH]]
    for model in manifest[Manifest.MODELS]:
        for artifact in model.get(Model.ARTIFACTS, {}).values():
            paths += [rec[Artifact.PATH] for rec in (artifact, artifact.get(Artifact.WEIGHTS) or {})
                      if rec.get(Artifact.PATH)]
    return paths


def _child_manifest(parent: dict[str, Any], parent_dir: Path, final_dir: Path,
                    selection: dict[str, Any], rows: list[dict]) -> dict[str, Any]:
    """The new manifest: the parent's, with only the chosen models (in rank order)."""
    by_id = {m[Model.ID]: m for m in parent[Manifest.MODELS]}
    by = selection[Selection.BY]
    child = copy.deepcopy(parent)
    child[Manifest.NAME] = "{}-{}-{}-top{}".format(parent.get(Manifest.NAME, "bundle"),
                                                   final_dir.name, by, selection[Selection.TOP])
    child[Manifest.CREATED] = manifest_schema.created_now()
    child[Manifest.PARENT] = manifest_schema.parent_record(
        parent[Manifest.BUNDLE_SHA256],
        os.path.relpath(parent_dir.resolve(), final_dir.resolve()))
    child[Manifest.SELECTION] = dict(selection, **{Selection.MODELS: [
        manifest_schema.selected_model(r[Extra.MODEL_ID], r[Extra.BACKEND], r[f"rank_{by}"],
                                       r[f"fit_{by}"])
        for r in rows]})
    child[Manifest.MODELS] = [copy.deepcopy(by_id[r[Extra.MODEL_ID]]) for r in rows]
    child[Manifest.BUNDLE_SHA256] = manifest_hash(child)
    return child


def _link_or_copy(source: Path, target: Path) -> None:
    """A hard link where the file system allows one, else a copy: a board's bundle repeats
    its parent's files (a baseline's formats weigh about 100 MB), and bundle files are only
    ever replaced whole (atomic writes), never changed in place, so a link is safe to share."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def write_child_bundle(parent_dir: Path, parent: dict[str, Any], final_dir: Path,
                       selection: dict[str, Any], rows: list[dict]) -> Path:
    """Copy files into a temporary folder beside `final_dir`, verify, then move it in place."""
    if final_dir.exists() and any(final_dir.iterdir()) and \
            not (final_dir / MANIFEST_NAME).is_file():
        raise UserInputError(final_dir, "exists and is not a bundle: will not overwrite it")
    staging = make_stage(final_dir)
    try:
        child = _child_manifest(parent, parent_dir, final_dir, selection, rows)
        for relative in _files_of(child):
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            _link_or_copy(parent_dir / relative, target)
        write_json(staging / MANIFEST_NAME, child)
        verify_bundle(staging)
        replace_folder(staging, final_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    verify_bundle(final_dir)
    return final_dir


def _warn_other_bundle(chosen: dict[str, list[dict]], parent_hash: str,
                       warn: Callable[[str], None]) -> None:
    """Results measured on another bundle (e.g. a per-board child) are matched by model id."""
    for label, rows in chosen.items():
        others = sorted({str(r.get(Extra.BUNDLE_SHA256))[:12] for r in rows}
                        - {parent_hash[:12]})
        if others:
            warn(f"warning: {label} was measured on bundle {', '.join(others)}, not on this "
                 f"bundle ({parent_hash[:12]}); models are taken from it by id")


def select_models(ranking_dir: str | Path, by: str, top: int, bundle_dir: str | Path,
                  out_dir: str | Path, warn: Callable[[str], None] | None = None,
                  baselines: bool = True) -> dict[str, Path]:
    """Write one verified next-stage bundle per board (its top `top` searched models, then its
    baselines unless `baselines` is False); return {device_label: bundle folder}."""
    if by not in FITNESSES:
        raise UserInputError("--by", f"must be one of {', '.join(FITNESSES)}, not {by!r}")
    if top < 1:
        raise UserInputError("--top", f"must be at least 1, not {top}")
    merged = read_ranking(ranking_dir)
    ranking_path = merged.directory / RANKING_JSON
    bundle_dir, out_dir = Path(bundle_dir), Path(out_dir)
    parent = verify_bundle(bundle_dir)
    chosen = choose_models(_with_configs(merged.rows, parent), by, top, baselines)
    _check_choice(chosen, by, ranking_path, parent, bundle_dir)
    _warn_other_bundle(chosen, parent[Manifest.BUNDLE_SHA256], warn or warn_stderr)
    folders = {label: out_dir / board_folder_name(label) for label in chosen}
    if len(set(folders.values())) < len(folders):
        raise UserInputError(ranking_path, "two device labels give the same folder name")
    read = [bundle_dir, *(merged.directory / name for name in OUTPUT_NAMES)]
    for folder in folders.values():  # each is replaced whole: never the parent or the ranking
        refuse_overlap("--out", folder, read)
    written = {}
    for label, rows in sorted(chosen.items()):
        selection = manifest_schema.selection_record(
            by, top, label, os.path.relpath(ranking_path.resolve(), folders[label].resolve()))
        written[label] = write_child_bundle(bundle_dir, parent, folders[label], selection, rows)
    return written
