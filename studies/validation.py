"""Turn pydantic validation errors into InputError messages that name the file and the field."""
from __future__ import annotations

from pydantic import ValidationError

from engine.errors import InputError


def _loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(file)"


def translate_validation_error(err: ValidationError, file: str) -> InputError:
    """The first pydantic error as an InputError naming the file and the field (e.g. runs[2].rows)."""
    e = err.errors()[0]
    field = _loc(tuple(p for p in e["loc"] if not (isinstance(p, str) and p.startswith("function-"))))
    kind = e["type"]
    found = e.get("input")
    if kind == "extra_forbidden":
        return InputError("unknown key", file=file, field=field, expected="one of the documented keys",
                          found=field.split(".")[-1])
    if kind == "missing":
        return InputError("required key missing", file=file, field=field, expected="a value")
    if kind == "literal_error":
        return InputError("not an allowed value",
                          file=file, field=field, expected=e["ctx"]["expected"],
                          found=found if isinstance(found, (str, int, float)) else type(found).__name__)
    msg = e["msg"].removeprefix("Value error, ")
    if kind == "value_error":
        return InputError(msg, file=file, field=field)
    if isinstance(found, (dict, list)):
        return InputError(f"{msg} (found a {'table' if isinstance(found, dict) else 'list'})", file=file,
                          field=field)
    short = repr(found)
    if len(short) > 60:
        short = short[:57] + "..."
    return InputError(f"{msg} (found {short})", file=file, field=field)
