"""Errors raised for bad user input. They carry the file, field, expectation and finding."""
from __future__ import annotations


class InputError(Exception):
    """Bad user input: a scenario file, a parameter override, a command.

    The message always names where the problem is and what was expected, so the
    CLI can print it as is and the GUI can show it in a dialog.
    """

    def __init__(self, message: str, *, file: str | None = None, field: str | None = None,
                 expected: str | None = None, found: object = None):
        self.file = file
        self.field = field
        self.expected = expected
        self.found = found
        parts = []
        if file:
            parts.append(str(file))
        if field:
            parts.append(f"field '{field}'")
        where = ": ".join(parts)
        text = f"{where}: {message}" if where else message
        if expected is not None:
            text += f" (expected {expected}"
            text += f", found {found!r})" if found is not None else ")"
        super().__init__(text)


def _format_loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not (isinstance(part, str) and part.startswith("function-")):
            out += ("." if out else "") + str(part)
    return out or "(file)"


_TYPE_EXPECTED = {"float_type": "a number", "float_parsing": "a number", "int_type": "an integer",
                  "int_parsing": "an integer", "int_from_float": "an integer", "string_type": "a string",
                  "list_type": "a list", "dict_type": "a table", "model_type": "a table",
                  "bool_type": "true or false", "bool_parsing": "true or false"}
_BOUND_SYMBOL = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<", "less_than_equal": "<="}


def from_validation_error(err, file: str | None) -> InputError:
    """The first error of a pydantic ValidationError as an InputError naming the file and field
    (e.g. ``events[0].dose``). Used by every schema-checked file: scenarios, claims, lessons,
    sessions, the glossary."""
    e = err.errors()[0]
    field = _format_loc(tuple(e["loc"]))
    kind = e["type"]
    found = e.get("input")
    if kind == "extra_forbidden":
        return InputError("unknown key", file=file, field=field,
                          expected="one of the documented keys", found=field.split(".")[-1])
    if kind == "missing":
        return InputError("required key missing", file=file, field=field, expected="a value")
    if kind == "literal_error":
        shown = found if isinstance(found, (str, int, float)) else type(found).__name__
        return InputError("not an allowed value", file=file, field=field, expected=e["ctx"]["expected"],
                          found=shown)
    if kind in _TYPE_EXPECTED:
        shown = found if isinstance(found, (str, int, float, bool)) else type(found).__name__
        return InputError("wrong type", file=file, field=field, expected=_TYPE_EXPECTED[kind],
                          found=f"{shown!r} ({type(found).__name__})")
    if kind in _BOUND_SYMBOL:
        bound = next(iter(e["ctx"].values()))
        return InputError("value out of range", file=file, field=field,
                          expected=f"{_BOUND_SYMBOL[kind]} {bound}", found=found)
    msg = e["msg"].removeprefix("Value error, ")
    if kind == "value_error" or found is None or isinstance(found, (dict, list)):
        return InputError(msg, file=file, field=field)
    short = repr(found)
    return InputError(f"{msg} (found {short[:57] + '...' if len(short) > 60 else short})", file=file,
                      field=field)

