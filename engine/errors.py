"""Errors raised for bad user input. They carry the file, field, expectation and finding.

Every message is one line of bounded length: values echoed from the input are shortened
(:func:`shorten`), so a 5 MB string in a file gives a short message, never a frozen dialog.
"""
from __future__ import annotations

#: longest echo of a found value, of a field name and of a whole message (characters)
MAX_ECHO = 80
MAX_FIELD = 120
MAX_MESSAGE = 600


def shorten(value: object, limit: int = MAX_ECHO) -> str:
    """``repr``-like text of ``value`` on one line, cut to ``limit`` characters ('...' marks a cut).

    Huge values are cut before they are formatted (a 5,000-digit int or a 5 MB string costs
    nothing)."""
    if isinstance(value, str):
        text = repr(value[: limit + 1])
        if len(value) > limit:
            text = text[:limit] + "...'"
        return text
    if isinstance(value, int) and not isinstance(value, bool):
        if value.bit_length() > 4 * limit:            # str() of a huge int is slow (and limited)
            return f"<an integer of about {int(value.bit_length() * 0.30103) + 1} digits>"
        text = str(value)
    elif isinstance(value, (bytes, bytearray)):
        text = repr(bytes(value[: limit + 1]))
    elif isinstance(value, (list, tuple, dict, set)) and len(value) > limit:
        text = f"<a {type(value).__name__} of {len(value)} items>"
    else:
        try:
            text = repr(value)
        except Exception:  # noqa: BLE001 - a broken __repr__ must not hide the real error
            text = f"<{type(value).__name__}>"
    return one_line(text, limit)


def one_line(text: str, limit: int = MAX_MESSAGE) -> str:
    """``text`` with line breaks and other control characters escaped, cut to ``limit``."""
    text = str(text)
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        text = "".join(c if ord(c) >= 32 and ord(c) != 127 else repr(c)[1:-1] for c in text)
        if len(text) > limit:
            text = text[: limit - 3] + "..."
    return text


class InputError(Exception):
    """Bad user input: a scenario file, a parameter override, a command.

    The message always names where the problem is and what was expected, so the
    CLI can print it as is and the GUI can show it in a dialog. It is one line.
    """

    def __init__(self, message: str, *, file: str | None = None, field: str | None = None,
                 expected: str | None = None, found: object = None):
        self.file = file
        self.field = field
        self.expected = expected
        self.found = found
        parts = []
        if file:
            parts.append(one_line(str(file), 300))
        if field:
            parts.append(f"field '{one_line(str(field), MAX_FIELD)}'")
        where = ": ".join(parts)
        text = f"{where}: {message}" if where else str(message)
        if expected is not None:
            text += f" (expected {one_line(str(expected), 300)}"
            if found is not None:
                text += f", found {found if isinstance(found, _Shown) else shorten(found)})"
            else:
                text += ")"
        super().__init__(one_line(text))


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
_LENGTH = {"too_long": "at most", "too_short": "at least", "string_too_long": "at most",
           "string_too_short": "at least"}


def _type_name(found: object) -> str:
    return {bool: "true/false", int: "integer", float: "number", str: "text", list: "list",
            dict: "table"}.get(type(found), type(found).__name__)


def from_validation_error(err, file: str | None) -> InputError:
    """The first error of a pydantic ValidationError as an InputError naming the file and field
    (e.g. ``events[0].dose``). Used by every schema-checked file: scenarios, claims, lessons,
    sessions, the glossary. A validator names a field below its own by starting its message with
    ``@path: `` (e.g. ``@events[2].dose: ...``)."""
    e = err.errors(include_url=False)[0]
    field = _format_loc(tuple(e["loc"]))
    kind = e["type"]
    found = e.get("input")
    msg = str(e["msg"]).removeprefix("Value error, ")
    if kind == "value_error" and msg.startswith("@") and ": " in msg:
        sub, msg = msg[1:].split(": ", 1)
        field = sub if field == "(file)" else f"{field}.{sub}"
        return InputError(one_line(msg, 400), file=file, field=field)
    if kind == "extra_forbidden":
        return InputError("unknown key", file=file, field=field,
                          expected="one of the documented keys", found=field.split(".")[-1])
    if kind == "missing":
        return InputError("required key missing", file=file, field=field, expected="a value")
    if kind == "literal_error":
        shown = found if isinstance(found, (str, int, float)) else type(found).__name__
        return InputError("not an allowed value", file=file, field=field, expected=e["ctx"]["expected"],
                          found=shown)
    if kind == "finite_number":
        return InputError("not a finite number", file=file, field=field, expected="a finite number",
                          found=found)
    if kind in _TYPE_EXPECTED:
        if isinstance(found, (str, int, float, bool)):
            shown = f"{shorten(found)} ({_type_name(found)})"
        else:
            shown = _type_name(found)
        return InputError("wrong type", file=file, field=field, expected=_TYPE_EXPECTED[kind],
                          found=_Shown(shown))
    if kind in _BOUND_SYMBOL:
        bound = next(iter(e["ctx"].values()))
        return InputError("value out of range", file=file, field=field,
                          expected=f"{_BOUND_SYMBOL[kind]} {bound}", found=found)
    if kind in _LENGTH:
        what = "characters" if isinstance(found, str) else "items"
        limit = e.get("ctx", {}).get("max_length" if "long" in kind else "min_length")
        size = len(found) if hasattr(found, "__len__") else None
        return InputError("wrong length", file=file, field=field, expected=f"{_LENGTH[kind]} {limit} {what}",
                          found=_Shown(f"{size} {what}" if size is not None else _type_name(found)))
    msg = one_line(msg, 400)
    if kind == "value_error" or found is None or isinstance(found, (dict, list)):
        return InputError(msg, file=file, field=field)
    return InputError(f"{msg} (found {shorten(found)})", file=file, field=field)


class _Shown(str):
    """Text already formatted for the message (echoed without quotes)."""

    def __repr__(self) -> str:
        return str(self)
