"""TensorRT engines for the `tensorrt` backend: which ONNX opset a TensorRT reads, building an
engine, the cache key an engine is valid for, and which precision its layers really run in.
"""

import hashlib
import json
import re

WORKSPACE_BYTES = 1 << 28

# The newest ONNX opset each TensorRT's ONNX parser reads, from onnx-tensorrt's operator tables
# (docs/operators.md of each release branch): "TensorRT 8.2 supports operators up to Opset 13"
# (https://github.com/onnx/onnx-tensorrt/blob/release/8.2-GA/docs/operators.md), 8.5: 17, 9.2:
# 19. 8.4's table was not read: it is held to 8.2's. Pairs: (first version that reads more,
# the newest opset every version below it reads); 10.x and later: no limit known here.
_OPSET_LIMITS = (((8, 5), 13), ((9, 0), 17), ((10, 0), 19))


def version_tuple(text):
    """"8.2.1.8" -> (8, 2, 1, 8); unparsable parts end the tuple."""
    numbers = []
    for part in str(text).split("."):
        match = re.match(r"\d+", part)
        if not match:
            break
        numbers.append(int(match.group(0)))
    return tuple(numbers)


def max_onnx_opset(trt_version):
    """The newest opset this TensorRT's parser reads, or None where no limit is known here."""
    version = version_tuple(trt_version)
    for first_newer, limit in _OPSET_LIMITS:
        if version < first_newer:
            return limit
    return None


def check_opset(trt_version, opset):
    """Refuse, before parsing, an ONNX file newer than this TensorRT reads (its parser would
    fail with a less clear message, or not at all until an op it does not know)."""
    limit = max_onnx_opset(trt_version)
    if opset is not None and limit is not None and int(opset) > limit:
        raise RuntimeError("the bundle's ONNX file is opset {}, TensorRT {} reads opsets up to "
                           "{} (onnx-tensorrt operators.md): re-export the bundle with a "
                           "fer-edge that writes opset <= {}".format(opset, trt_version, limit,
                                                                    limit))


def build_engine(trt, logger, onnx_path, input_shape, fp16):
    """Serialized engine for the ONNX file with a static batch-1 input, FP16 where asked, with
    the detailed layer information the precision check reads (TensorRT >= 8.2)."""
    builder = trt.Builder(logger)
    flag = getattr(trt.NetworkDefinitionCreationFlag, "EXPLICIT_BATCH", None)
    network = builder.create_network(0 if flag is None else 1 << int(flag))
    parser = trt.OnnxParser(network, logger)
    with open(str(onnx_path), "rb") as handle:
        if not parser.parse(handle.read()):
            errors = [str(parser.get_error(i)) for i in range(parser.num_errors)]
            raise RuntimeError("TensorRT could not parse the ONNX file: " + "; ".join(errors))
    network.get_input(0).shape = [1] + list(input_shape)  # tf2onnx may leave the batch dynamic
    config = builder.create_builder_config()
    if hasattr(config, "set_memory_pool_limit"):
        config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, WORKSPACE_BYTES)
    else:  # TensorRT 8.2
        config.max_workspace_size = WORKSPACE_BYTES
    verbosity = getattr(trt, "ProfilingVerbosity", None)
    if verbosity is not None and hasattr(verbosity, "DETAILED"):
        config.profiling_verbosity = verbosity.DETAILED
    if fp16:
        config.set_flag(trt.BuilderFlag.FP16)
    data = builder.build_serialized_network(network, config)
    if data is None:
        raise RuntimeError("TensorRT could not build an engine (see its log above)")
    return bytes(data)


def cache_key(facts):
    """Short hash of everything an engine is specific to (see engine_facts)."""
    text = json.dumps(facts, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def engine_facts(options, trt_version, gpu, hardware, cuda_versions, precision):
    """What makes an engine valid: the ONNX file, TensorRT, the GPU by compute capability and SM
    count (every Orin module calls itself "Orin"; AGX, NX and Nano differ in SMs), the board's
    device-tree model and L4T release, the CUDA runtime, and the precision asked for. An engine
    copied with a bundle to another board then misses the cache instead of being loaded."""
    l4t = (hardware or {}).get("l4t") or {}
    return {"model_id": options.model_id, "onnx_sha256": options.artifact_sha256,
            "tensorrt": str(trt_version), "gpu": gpu.get("name"),
            "compute_capability": gpu.get("compute_capability"), "sm_count": gpu.get("sm_count"),
            "board": (hardware or {}).get("board"), "l4t": l4t.get("release"),
            "cuda_runtime": cuda_versions.get("cuda_runtime"), "precision": precision}


def engine_file_name(facts):
    """<model>-<onnx sha256 head>-trt<version>-sm<cc>x<SMs>-<key>-<precision>.engine."""
    return "{}-{}-trt{}-sm{}x{}-{}-{}.engine".format(
        facts["model_id"], str(facts["onnx_sha256"])[:16], facts["tensorrt"],
        str(facts["compute_capability"]).replace(".", ""), facts["sm_count"], cache_key(facts),
        facts["precision"])


_DATATYPES = (("int8", ("INT8",)), ("fp16", ("FP16", "HALF")), ("bf16", ("BF16",)),
              ("fp32", ("FP32", "FLOAT")))


def _datatype(text):
    upper = str(text).upper()
    for name, marks in _DATATYPES:
        if any(mark in upper for mark in marks):
            return name
    return None


def layer_precisions(engine_information):
    """{precision: layers} from the engine inspector's JSON (TensorRT >= 8.2, built with
    ProfilingVerbosity.DETAILED): each computing layer counted by its outputs' "Format/Datatype"
    ("Row major linear FP32", "Half", ...); reformat and no-op layers left out. None when the
    information has no datatypes (an engine built without detailed verbosity)."""
    try:
        layers = json.loads(engine_information).get("Layers", [])
    except (TypeError, ValueError, AttributeError):
        return None
    counts = {}
    for layer in layers:
        if not isinstance(layer, dict) or layer.get("LayerType") in ("Reformat", "NoOp"):
            continue
        kinds = set(_datatype(o.get("Format/Datatype")) for o in layer.get("Outputs", [])
                    if isinstance(o, dict))
        kinds.discard(None)
        for kind in kinds:
            counts[kind] = counts.get(kind, 0) + 1
    return counts or None


def precision_label(requested, counts):
    """What a result says the engine ran in: the one precision its layers used, or e.g.
    "fp16+fp32" when TensorRT kept some layers in FP32; the request where nothing could be read."""
    if not counts:
        return requested
    order = ("int8", "fp16", "bf16", "fp32")
    return "+".join(name for name in order if counts.get(name))
