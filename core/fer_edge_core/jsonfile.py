"""Read a JSON file someone else may have written, and check its shape with a pydantic model.

Every host-side reader of a user's JSON file (results, ranking, top.json, run.json) goes through
`read_json_file` + `validate`, so a wrong type, a missing field or a non-finite number ends as
one line `error: FILE: FIELD: PROBLEM`, never a traceback further down. Python's json module
accepts NaN and Infinity, which no fer-edge file ever holds: they are refused here, by field.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

from fer_edge_core.errors import UserInputError

Model = TypeVar("Model")


def field_name(location: tuple[Any, ...] | list[Any]) -> str:
    """('benchmarks', 2, 'extra_info', 'latency_ms') -> 'benchmarks[2].extra_info.latency_ms'."""
    name = ""
    for part in location:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name or "(the whole file)"


def non_finite_field(value: Any, location: tuple[Any, ...] = ()) -> str | None:
    """The first field holding NaN or +-Infinity ('FIELD is NaN'), or None when every number
    is finite."""
    if isinstance(value, float) and not math.isfinite(value):
        spelt = "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
        return f"{field_name(location)} is {spelt}"
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        found = non_finite_field(item, (*location, key))
        if found is not None:
            return found
    return None


def read_json_file(path: str | Path, what: str) -> Any:
    """The parsed file; UserInputError when it is missing, unreadable, not JSON, or holds a
    non-finite number. `what` says what the file should be, for the message."""
    path = Path(path)
    if path.is_dir():
        raise UserInputError(path, f"is a folder: expected {what}")
    if not path.is_file():
        raise UserInputError(path, "no such file")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise UserInputError(path, f"cannot read it ({exc})") from None
    except json.JSONDecodeError as exc:
        raise UserInputError(path, f"not JSON ({exc}): expected {what}") from None
    bad = non_finite_field(data)
    if bad is not None:
        raise UserInputError(path, f"{bad}: only finite numbers are accepted")
    return data


def validate(schema: type[Model] | Any, data: Any, path: str | Path) -> Model:
    """`data` checked against a pydantic model (or any type pydantic takes); the first problem
    as a UserInputError naming the file and the field."""
    try:
        if isinstance(schema, type) and issubclass(schema, BaseModel):
            return schema.model_validate(data)
        return TypeAdapter(schema).validate_python(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        first = errors[0]
        more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
        raise UserInputError(path, f"{field_name(first['loc'])}: {_problem(first)}{more}") \
            from None


def _problem(error: dict[str, Any]) -> str:
    """pydantic's message, with the value it got when that value is short."""
    message = str(error["msg"])
    if error["type"] == "missing":
        return "required field is missing"
    value = error.get("input")
    shown = json.dumps(value) if isinstance(value, str | int | float | bool) or value is None \
        else type(value).__name__.replace("dict", "object").replace("list", "array")
    if len(shown) > 40:
        shown = shown[:37] + "..."
    return f"{message[0].lower()}{message[1:]} (got {shown})"
