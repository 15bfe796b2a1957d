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
