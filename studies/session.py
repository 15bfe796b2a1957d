"""Workspace (session) files and autosave.

A session is one JSON file: the current scenario (TOML text), the run list with
each run's time series, the view settings, and (optionally) where the user is in
a lesson. It has a ``format`` tag and a ``version`` and is validated strictly
(pydantic) on load; a corrupt or foreign file gives an :class:`InputError` that
names the file and the field, and nothing is loaded. Saves are atomic.

    s = Session.create(scenario_toml=scn.to_toml(), runs=run_list, view={"camera_distance": 900.0})
    save_session("lab.nichelab.json", s)
    s = load_session("lab.nichelab.json")           # InputError on a bad file
    runs = s.run_records()

Autosave: :func:`write_autosave` (the GUI calls it about once a minute, from a
timer; :class:`AutosaveTimer` tells when one is due), :func:`find_recoverable_autosave`
at start-up, :func:`clear_autosave` on a clean exit or after an explicit save.
"""
from __future__ import annotations

import json
import logging
import math
import time
import tomllib
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError, field_validator, model_validator

from engine.errors import InputError
from engine.observables import atomic_write_text

from .runs import RunRecord
from engine.errors import from_validation_error as translate_validation_error

log = logging.getLogger("nichelab.session")

FORMAT = "nichelab-session"
VERSION = 1
SUFFIX = ".nichelab.json"
FILE_FILTER = "NicheLab session (*.nichelab.json *.json)"
AUTOSAVE_NAME = "autosave.json"
AUTOSAVE_INTERVAL_S = 60.0
MAX_FILE_BYTES = 512 * 1024 * 1024


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RunData(_Strict):
    run_id: str = Field(min_length=1, max_length=64)
    label: str = Field(max_length=500)
    seed: int = Field(ge=0, lt=2 ** 63)
    created: str = ""
    scenario_toml: str
    treatment_summary: str = ""
    columns: list[str] = Field(min_length=2)
    units: dict[str, str] = Field(default_factory=dict)
    rows: list[list[float | None]]
    metadata: dict[str, str] = Field(default_factory=dict)

    @field_validator("columns")
    @classmethod
    def _columns(cls, v: list[str]) -> list[str]:
        if "day" not in v or "platelets" not in v:
            raise ValueError("must include 'day' and 'platelets'")
        if len(set(v)) != len(v):
            raise ValueError("column names must be unique")
        return v

    @model_validator(mode="after")
    def _rows_match(self) -> "RunData":
        n = len(self.columns)
        for i, r in enumerate(self.rows):
            if len(r) != n:
                raise ValueError(f"row {i} has {len(r)} values for {n} columns")
            if any(v is not None and not math.isfinite(v) for v in r):
                raise ValueError(f"row {i} holds a non-finite number")
        return self

    @field_validator("scenario_toml")
    @classmethod
    def _scenario(cls, v: str) -> str:
        _check_scenario_text(v)
        return v


class LessonState(_Strict):
    lesson_id: str
    step: int = Field(0, ge=0)
    answers: dict[str, str] = Field(default_factory=dict)   # step index -> chosen option letter


class Session(_Strict):
    format: Literal["nichelab-session"] = FORMAT
    version: int = VERSION
    app_version: str = ""
    saved_at: str = ""
    scenario_toml: str
    seed: int | None = Field(None, ge=0, lt=2 ** 63)
    #: simulated day the live run had reached (the GUI may re-run to it: same seed, same numbers)
    current_day: float = Field(0.0, ge=0.0, le=3650.0)
    runs: list[RunData] = Field(default_factory=list)
    view: dict[str, JsonValue] = Field(default_factory=dict)
    lesson: LessonState | None = None

    @field_validator("version")
    @classmethod
    def _version(cls, v: int) -> int:
        if v > VERSION:
            raise ValueError(f"made by a newer NicheLab (session format {v}; this version reads up to "
                             f"{VERSION})")
        if v < 1:
            raise ValueError("must be >= 1")
        return v

    @field_validator("scenario_toml")
    @classmethod
    def _scenario(cls, v: str) -> str:
        _check_scenario_text(v)
        return v

    # ------------------------------------------------------------ helpers
    @classmethod
    def create(cls, *, scenario_toml: str, runs: Iterable[RunRecord] = (), view: dict[str, Any] | None = None,
               seed: int | None = None, current_day: float = 0.0, lesson: LessonState | None = None) -> "Session":
        return cls(scenario_toml=scenario_toml, seed=seed, current_day=current_day,
                   runs=[RunData.model_validate(r.to_dict()) for r in runs], view=dict(view or {}), lesson=lesson)

    def run_records(self) -> list[RunRecord]:
        return [RunRecord.from_dict(r.model_dump()) for r in self.runs]

    def scenario(self):
        from engine import parse_scenario

        return parse_scenario(tomllib.loads(self.scenario_toml), "<session scenario>")


def _check_scenario_text(text: str) -> None:
    from engine import parse_scenario

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"scenario is not valid TOML: {exc}") from None
    try:
        parse_scenario(data, "scenario")
    except InputError as exc:
        raise ValueError(f"invalid scenario: {exc}") from None


# ------------------------------------------------------------------ save / load

def session_to_json(session: Session) -> str:
    from engine.runtime import app_version

    doc = session.model_copy(update={"app_version": app_version(), "format": FORMAT, "version": VERSION,
                                     "saved_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat()})
    return json.dumps(doc.model_dump(mode="json"), indent=1, allow_nan=False) + "\n"


def save_session(path: str | Path, session: Session) -> Path:
    """Write the session atomically (temporary file + rename); returns the path."""
    path = Path(path)
    text = session_to_json(session)
    try:
        atomic_write_text(path, text)
    except OSError as exc:
        raise InputError(f"cannot write session: {exc.strerror or exc}", file=str(path)) from None
    return path


def load_session(path: str | Path) -> Session:
    """Read and validate a session file; InputError naming the file and field if it is bad."""
    path = Path(path)
    file = str(path)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise InputError("file too large for a session", file=file, expected=f"<= {MAX_FILE_BYTES} bytes")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError("file not found", file=file) from None
    except IsADirectoryError:
        raise InputError("is a folder, not a session file", file=file) from None
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", file=file) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("not a text (UTF-8) file", file=file) from None
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise InputError(f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}", file=file) from None
    except ValueError as exc:
        raise InputError(str(exc), file=file) from None
    if not isinstance(data, dict):
        raise InputError("not a NicheLab session file", file=file, expected="a JSON object",
                         found=type(data).__name__)
    if data.get("format") != FORMAT:
        raise InputError("not a NicheLab session file", file=file, field="format", expected=repr(FORMAT),
                         found=data.get("format"))
    try:
        return Session.model_validate(data)
    except ValidationError as err:
        raise translate_validation_error(err, file) from None


def _reject_constant(name: str) -> float:
    raise ValueError(f"non-standard JSON number {name}")


# ------------------------------------------------------------------ autosave

def autosave_path() -> Path:
    """engine.runtime.user_dir('data') / 'autosave.json'."""
    from engine.runtime import user_dir

    return user_dir("data") / AUTOSAVE_NAME


def write_autosave(session: Session, path: str | Path | None = None) -> Path:
    """Save the workspace to the autosave file (atomically)."""
    return save_session(path or autosave_path(), session)


def clear_autosave(path: str | Path | None = None) -> None:
    """Remove the autosave (clean exit, or after the user saved explicitly)."""
    try:
        Path(path or autosave_path()).unlink()
    except FileNotFoundError:
        pass


class RecoverableAutosave(BaseModel):
    path: Path
    saved_at: str
    scenario_name: str
    n_runs: int
    age_seconds: float


def find_recoverable_autosave(path: str | Path | None = None) -> RecoverableAutosave | None:
    """An autosave left by a session that did not exit cleanly, or None.

    A corrupt autosave is not offered (it is logged and left in place for inspection).
    """
    p = Path(path or autosave_path())
    if not p.exists():
        return None
    try:
        s = load_session(p)
        name = s.scenario().name
    except InputError as exc:
        log.warning("autosave %s cannot be recovered: %s", p, exc)
        return None
    age = max(0.0, time.time() - p.stat().st_mtime)
    return RecoverableAutosave(path=p, saved_at=s.saved_at, scenario_name=name, n_runs=len(s.runs),
                               age_seconds=age)


class AutosaveTimer:
    """Tells when an autosave is due: at most ``interval_s`` after the first unsaved change."""

    def __init__(self, interval_s: float = AUTOSAVE_INTERVAL_S, clock=time.monotonic):
        self.interval_s = interval_s
        self.clock = clock
        self._dirty_since: float | None = None

    def mark_dirty(self) -> None:
        if self._dirty_since is None:
            self._dirty_since = self.clock()

    def due(self) -> bool:
        return self._dirty_since is not None and self.clock() - self._dirty_since >= self.interval_s

    def saved(self) -> None:
        self._dirty_since = None
