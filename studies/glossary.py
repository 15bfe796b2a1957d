"""The glossary behind tooltips and the Help menu (resources/glossary.toml).

    g = load_glossary()
    g.lookup("cxcr4").short         # tooltip text (case-insensitive; ids, terms and aliases)
    g.tooltip("VCAM-1")             # "VCAM-1: ..." or "" when unknown
    for t in g.terms: ...           # sorted by term, for a Help > Glossary page

File format: an array of tables ``[[term]]`` with keys ``id`` (lower-case
identifier), ``term`` (as shown), ``aliases`` (other spellings), ``short``
(one-sentence tooltip), ``long`` (a paragraph, Markdown allowed), ``source``
(where the definition comes from) and optional ``see_also`` (ids).
"""
from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from engine.errors import InputError

from engine.errors import from_validation_error as _translate_validation


class Term(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_]*$", max_length=40)
    term: str = Field(min_length=1, max_length=80)
    aliases: list[str] = Field(default_factory=list)
    short: str = Field(min_length=10, max_length=300)
    long: str = Field(min_length=20)
    source: str = Field(min_length=5)
    see_also: list[str] = Field(default_factory=list)


class GlossaryFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    term: list[Term] = Field(min_length=1)


def _norm(text: str) -> str:
    text = text.lower().replace("−", "-").replace("–", "-")
    return re.sub(r"[\s_]+", " ", text).strip()


class Glossary:
    def __init__(self, terms: list[Term]):
        self.terms = sorted(terms, key=lambda t: t.term.lower())
        self._index: dict[str, Term] = {}
        for t in terms:
            for key in [t.id, t.term, *t.aliases]:
                self._index.setdefault(_norm(key), t)

    def __len__(self) -> int:
        return len(self.terms)

    def __contains__(self, name: str) -> bool:
        return _norm(name) in self._index

    def lookup(self, name: str) -> Term:
        """The entry for an id, term or alias (case-insensitive); KeyError if absent."""
        try:
            return self._index[_norm(name)]
        except KeyError:
            raise KeyError(name) from None

    def get(self, name: str) -> Term | None:
        return self._index.get(_norm(name))

    def tooltip(self, name: str) -> str:
        t = self.get(name)
        return f"{t.term}: {t.short}" if t else ""

    def by_id(self, term_id: str) -> Term:
        for t in self.terms:
            if t.id == term_id:
                return t
        raise KeyError(term_id)


def glossary_file() -> Path:
    from engine.runtime import resource_dir

    return resource_dir() / "glossary.toml"


def parse_glossary(data: dict, source: str = "<glossary>") -> Glossary:
    try:
        doc = GlossaryFile.model_validate(data)
    except ValidationError as err:
        raise _translate_validation(err, source) from None
    ids = [t.id for t in doc.term]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise InputError("duplicate term id", file=source, field="term.id", found=dup[0])
    seen: dict[str, str] = {}
    for i, t in enumerate(doc.term):
        for key in [t.term, *t.aliases]:
            k = _norm(key)
            if k in seen and seen[k] != t.id:
                raise InputError(f"name already used by term '{seen[k]}'", file=source,
                                 field=f"term[{i}].aliases", found=key)
            seen[k] = t.id
        for other in t.see_also:
            if other not in ids:
                raise InputError("see_also names an unknown term id", file=source, field=f"term[{i}].see_also",
                                 expected="an id defined in this file", found=other)
    return Glossary(list(doc.term))


def load_glossary(path: str | Path | None = None) -> Glossary:
    """Load and check the glossary (the built-in one by default; cached)."""
    return _load(str(path or glossary_file()))


@lru_cache(maxsize=4)
def _load(path: str) -> Glossary:
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise InputError("file not found", file=path) from None
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror}", file=path) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"malformed TOML: {exc}", file=path) from None
    except UnicodeDecodeError:
        raise InputError("not a text (UTF-8) file", file=path) from None
    return parse_glossary(data, path)
