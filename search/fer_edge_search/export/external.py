"""`import_external`: wrap a Keras classifier trained elsewhere into a bundle, same exports and
checks as a stage-1 model.

The file is untrusted: it is loaded in Keras safe mode, so no Lambda (Python) code runs, and
refused with the reason when it cannot be loaded that way. Any single-input Keras classifier
loads: Sequential or functional, a .keras file or a Keras 2-era HDF5 file (what tf-keras and
Keras 2 wrote, the format most published FER models ship in); what Keras cannot load or rebuild
is refused in one line. Its input may be any HxWx1: the
test images are resized to it. Its classes are given in its output order; test labels are
remapped from the dataset's class names to that order. Images of dataset classes the model
does not know are DROPPED from the test set and from calibration (listed in the manifest as
`dropped_classes`); model classes the dataset lacks are kept (they simply have no test images;
listed as `classes_without_images`). No shared class at all is an error.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fer_edge_core.errors import UserInputError
from fer_edge_core.paths import refuse_overlap
from fer_edge_harness import manifest_schema
from fer_edge_harness.bundle import sha256_file
from fer_edge_harness.inputs import InputScaling
from fer_edge_harness.manifest_schema import Dataset, Manifest
from fer_edge_search.export import assemble
from fer_edge_search.export.registry import plan_formats

SUFFIXES = (".keras", ".h5", ".hdf5")


def load_untrusted(path: Path):
    """The model, loaded with safe_mode=True (no deserialized Python code runs)."""
    import keras

    if not path.is_file():
        raise UserInputError(path, "no such file")
    if path.suffix.lower() not in SUFFIXES:
        raise UserInputError(path, f"not a Keras model file ({', '.join(SUFFIXES)})")
    try:
        return single_tensor_io(keras.models.load_model(path, compile=False, safe_mode=True))
    except Exception as exc:
        raise UserInputError(path, f"Keras {keras.__version__} cannot load it (in safe mode, "
                             f"which runs no code from the file): {_first_line(exc)}") from exc


def single_tensor_io(model):
    """A functional model read from a Keras 2 HDF5 file keeps its one input (and output) as a
    one-element list, which clone_model and every call then trip over; the same layers, with
    plain tensors at both ends. Other models are returned as they are."""
    import keras

    if not isinstance(model, keras.Sequential) and isinstance(model.input, list) \
            and len(model.inputs) == 1 and len(model.outputs) == 1:
        return keras.Model(model.inputs[0], model.outputs[0], name=model.name)
    return model


def batch1_or_refuse(model, path: Path):
    """The model rebuilt on a batch-1 input (assemble.batch1_model), or one line saying why a
    model that loaded cannot be rebuilt (a layer Keras cannot clone, say)."""
    try:
        return assemble.batch1_model(model)
    except Exception as exc:
        raise UserInputError(path, f"cannot be rebuilt with a batch of 1 for the converters: "
                             f"{_first_line(exc)}") from exc


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def model_shape(model, path: Path, classes: list[str]) -> tuple[int, int]:
    """(H, W) of a grayscale classifier whose output has one unit per given class."""
    shape = tuple(model.input_shape) if not isinstance(model.input_shape, list) else None
    if shape is None or len(shape) != 4 or shape[3] != 1 or None in shape[1:]:
        raise UserInputError(path, f"input shape {model.input_shape} is not (batch, H, W, 1): "
                             "one grayscale image input of fixed size is needed")
    outputs = model.output_shape
    if isinstance(outputs, list) or len(outputs) != 2:
        raise UserInputError(path, f"output shape {outputs} is not (batch, classes)")
    if outputs[1] != len(classes):
        raise UserInputError("--classes", f"{len(classes)} names given, the model has "
                             f"{outputs[1]} outputs")
    return int(shape[1]), int(shape[2])


def parse_classes(text: str) -> list[str]:
    """`--classes a,b,c` in the model's output order; names unique and non-empty."""
    names = [name.strip() for name in text.split(",")]
    if not all(names) or len(set(names)) != len(names):
        raise UserInputError("--classes", f"need distinct non-empty names, got {text!r}")
    return names


def remap_labels(dataset_classes: list[str], model_classes: list[str]) -> np.ndarray:
    """For each dataset label, the model's index of that class, or -1 (dropped)."""
    index = {name: i for i, name in enumerate(model_classes)}
    mapping = np.array([index.get(name, -1) for name in dataset_classes], dtype=np.int64)
    if (mapping < 0).all():
        raise UserInputError("--classes", f"no class in common with the dataset's "
                             f"{', '.join(dataset_classes)}")
    return mapping


def resize(images: np.ndarray, hw: tuple[int, int]) -> np.ndarray:
    """uint8 (n, h, w) images resized (bilinear) to (n, H, W)."""
    from PIL import Image

    if images.shape[1:] == hw:
        return images
    size = (hw[1], hw[0])  # PIL takes (width, height)
    return np.stack([np.asarray(Image.fromarray(img).resize(size, Image.BILINEAR))
                     for img in images]).astype(np.uint8)


def _part(split, name: str, mapping: np.ndarray, hw: tuple[int, int]):
    """One split part with labels in the model's order, dropped classes removed, resized."""
    images, labels = split.part(name)
    mapped = mapping[labels]
    keep = mapped >= 0
    return resize(images[keep], hw), mapped[keep]


def _dataset_record(split, spec: str, classes: list[str], mapping: np.ndarray,
                    counts: dict) -> dict:
    """The manifest's `dataset` field: class names are the MODEL's, in its output order."""
    names = list(split.dataset.class_names)
    imported = (names, [n for n, m in zip(names, mapping, strict=True) if m < 0],
                [c for c in classes if c not in names])
    return manifest_schema.dataset_record(split.dataset.name, spec, classes,
                                          split.spec.as_dict(), counts, imported=imported)


def import_external(model_path, classes: list[str], data_spec: str, out_dir,
                    formats: list[str] | None = None, *, force: bool = False,
                    log: assemble.Log = assemble._quiet) -> Path:
    """Bundle one external Keras classifier with `data_spec`'s test split (default SplitSpec)."""
    from fer_edge_search.datasets import SplitSpec, load_dataset, split_dataset
    from fer_edge_search.model import count_params_flops

    path, out_dir = Path(model_path), Path(out_dir)
    refuse_overlap("--out", out_dir, [path])
    model = load_untrusted(path)
    hw = model_shape(model, path, classes)
    model_b1 = batch1_or_refuse(model, path)
    plan = plan_formats(formats)
    split = split_dataset(load_dataset(data_spec), SplitSpec())
    mapping = remap_labels(list(split.dataset.class_names), classes)
    test_images, test_labels = _part(split, "test", mapping, hw)
    train_images, _ = _part(split, "train", mapping, hw)
    counts = manifest_schema.counts_record(
        len(train_images), int((mapping[split.part("val")[1]] >= 0).sum()), len(test_labels))
    with assemble.staged(out_dir, force) as stage:
        test_set = assemble.write_test_set(stage, test_images, test_labels)
        scaling = InputScaling()  # an external model's own scaling is unknown: uint8 / 255
        calibration = assemble.calibration_set(train_images, 0, scaling)
        model_id = "ext-" + assemble.safe_id(path.stem)
        record = _dataset_record(split, data_spec, classes, mapping, counts)
        for key, what in ((Dataset.DROPPED_CLASSES,
                           "dataset classes the model lacks (images dropped)"),
                          (Dataset.CLASSES_WITHOUT_IMAGES, "model classes the dataset lacks")):
            if record[key]:
                log(f"note: {what}: {', '.join(record[key])}")
        log(f"{model_id} ({path.name}, input {hw[0]}x{hw[1]}): {', '.join(plan)}")
        artifacts = assemble.export_model(stage, model_id, model, plan, calibration,
                                          test_images, scaling, log, model_b1=model_b1)
        params, flops = count_params_flops(model)
        config = manifest_schema.external_config(path.name, sha256_file(path), (*hw, 1), classes)
        manifest = assemble.manifest_head(out_dir.name, record, (*hw, 1), test_set, scaling)
        manifest[Manifest.MODELS] = [manifest_schema.model_record(
            model_id, config, params, flops, None, artifacts, searched=False)]
        return assemble.finish(stage, out_dir, manifest)
