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

A session that passes the schema can also be applied: every kept run has the
series the run list and its outcome table need (``day``, ``platelets``,
``platelets_rel``, at least one row, finite days and counts; its outcomes are
computed on load), a lesson is named by a built-in lesson id only (never a
path), seeds are in the scenario's range. Files are read with a size cap, and
only regular files are read (studies never block on a pipe or read /dev/zero).

Autosave: each window owns an :class:`AutosaveSlot` (its own file in the
``autosave`` folder of the user data folder, claimed with an operating-system
lock for as long as the window lives); :class:`AutosaveTimer` tells when a save
is due (about once a minute). At start-up :func:`find_recoverable_autosave`
offers only an autosave whose window is gone (its lock is free): a second window
never takes the first one's autosave for a crash, and never deletes it.
"""
from __future__ import annotations

import json
import logging
import math
import os
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError, field_validator, model_validator

from engine.errors import InputError
from engine.errors import from_validation_error as translate_validation_error
from engine.files import check_depth, decode_text, number_error_text, parse_toml_text, read_user_bytes
from engine.observables import atomic_write_text
from engine.scenario import MAX_DAYS, SEED_MAX

from .runs import RunRecord

log = logging.getLogger("nichelab.session")

FORMAT = "nichelab-session"
VERSION = 1
SUFFIX = ".nichelab.json"
FILE_FILTER = "NicheLab session (*.nichelab.json *.json)"
AUTOSAVE_NAME = "autosave.json"          # the single autosave of NicheLab 0.1.0 (still recovered)
AUTOSAVE_FOLDER = "autosave"
AUTOSAVE_INTERVAL_S = 60.0
#: a 0.1.0-style autosave.json is taken for a crash's only when not written for this long
LEGACY_AUTOSAVE_IDLE_S = 10 * AUTOSAVE_INTERVAL_S
#: largest session file read or written (bytes): parsing takes several times this in memory
MAX_FILE_BYTES = 128 * 1024 * 1024
#: most rows of one kept run (ten years sampled hourly) and most columns
MAX_ROWS = 100_000
MAX_COLUMNS = 200
REQUIRED_COLUMNS = ("day", "platelets", "platelets_rel")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class RunData(_Strict):
    run_id: str = Field(min_length=1, max_length=64)
    label: str = Field(max_length=500)
    seed: int = Field(ge=0, le=SEED_MAX)
    created: str = Field("", max_length=100)
    scenario_toml: str
    treatment_summary: str = Field("", max_length=5000)
    columns: list[str] = Field(max_length=MAX_COLUMNS)
    units: dict[str, str] = Field(default_factory=dict, max_length=MAX_COLUMNS)
    rows: list[list[float | None]] = Field(min_length=1, max_length=MAX_ROWS)
    metadata: dict[str, str] = Field(default_factory=dict, max_length=200)

    @field_validator("columns")
    @classmethod
    def _columns(cls, v: list[str]) -> list[str]:
        missing = [c for c in REQUIRED_COLUMNS if c not in v]
        if missing:
            raise ValueError("must include " + ", ".join(f"'{c}'" for c in REQUIRED_COLUMNS)
                             + f" (missing {', '.join(repr(c) for c in missing)})")
        if len(set(v)) != len(v):
            raise ValueError("column names must be unique")
        return v

    @model_validator(mode="after")
    def _rows_match(self) -> "RunData":
        n = len(self.columns)
        need = [self.columns.index(c) for c in ("day", "platelets")]
        last_day = -math.inf
        for i, r in enumerate(self.rows):
            if len(r) != n:
                raise ValueError(f"row {i} has {len(r)} values for {n} columns")
            if any(v is not None and not math.isfinite(v) for v in r):
                raise ValueError(f"row {i} holds a non-finite number")
            if any(r[j] is None for j in need):
                raise ValueError(f"row {i} has no day or no platelet count")
            if r[need[0]] < last_day:
                raise ValueError(f"row {i}: days must not decrease")
            last_day = r[need[0]]
        return self

    def check_applicable(self) -> None:
        """ValueError when the run cannot be shown (its outcomes cannot be computed)."""
        try:
            RunRecord.from_dict(self.model_dump()).outcomes()
        except (ValueError, InputError, KeyError, IndexError) as exc:
            raise ValueError(f"the run cannot be shown: {exc}") from None

    @field_validator("scenario_toml")
    @classmethod
    def _scenario(cls, v: str) -> str:
        _check_scenario_text(v)
        return v


class LessonState(_Strict):
    lesson_id: str = Field(max_length=100)
    step: int = Field(0, ge=0, le=1000)
    answers: dict[str, str] = Field(default_factory=dict, max_length=1000)   # step index -> option letter

    @field_validator("lesson_id")
    @classmethod
    def _known_lesson(cls, v: str) -> str:
        from .lessons import builtin_lesson_ids, is_builtin_lesson_id

        if v and not is_builtin_lesson_id(v):
            raise ValueError("not a built-in lesson id (expected one of: " + ", ".join(builtin_lesson_ids()) + ")")
        return v

    @field_validator("answers")
    @classmethod
    def _answers(cls, v: dict[str, str]) -> dict[str, str]:
        for k, a in v.items():
            if not k.isdigit() or len(k) > 4 or a not in ("A", "B", "C", "D", "E", "F"):
                raise ValueError("answers map a step number to an option letter A-F")
        return v


class Session(_Strict):
    format: Literal["nichelab-session"] = FORMAT
    version: int = VERSION
    app_version: str = ""
    saved_at: str = ""
    scenario_toml: str
    seed: int | None = Field(None, ge=0, le=SEED_MAX)
    #: simulated day the live run had reached (the GUI may re-run to it: same seed, same numbers)
    current_day: float = Field(0.0, ge=0.0, le=MAX_DAYS)
    runs: list[RunData] = Field(default_factory=list, max_length=200)
    view: dict[str, JsonValue] = Field(default_factory=dict, max_length=200)
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
        try:
            return cls(scenario_toml=scenario_toml, seed=seed, current_day=current_day,
                       runs=[RunData.model_validate(r.to_dict()) for r in runs], view=dict(view or {}),
                       lesson=lesson)
        except ValidationError as err:
            raise translate_validation_error(err, "<session>") from None

    def run_records(self) -> list[RunRecord]:
        return [RunRecord.from_dict(r.model_dump()) for r in self.runs]

    def scenario(self):
        from engine import parse_scenario

        return parse_scenario(parse_toml_text(self.scenario_toml, "<session scenario>"), "<session scenario>")

    def prepare(self, file: str | None = None) -> None:
        """Read everything applying the session needs (scenario, kept runs, lesson), so that one that
        cannot be applied fails here, before a window changes (InputError naming ``file``)."""
        self.check_applicable(file)
        self.scenario()
        self.run_records()

    def check_applicable(self, file: str | None = None) -> None:
        """InputError (naming the field) when the session passes the schema but could not be
        applied: a kept run whose outcomes cannot be computed, a lesson that does not load or has
        fewer steps. The scenario, seeds, days and lesson id are checked by the schema itself."""
        for i, run in enumerate(self.runs):
            try:
                run.check_applicable()
            except ValueError as exc:
                raise InputError(str(exc), file=file, field=f"runs[{i}]") from None
        if self.lesson is not None and self.lesson.lesson_id:
            from .lessons import load_lesson

            try:
                lesson = load_lesson(self.lesson.lesson_id)
            except InputError as exc:
                raise InputError(f"the lesson does not load: {exc}", file=file, field="lesson.lesson_id") from None
            if self.lesson.step >= len(lesson.steps):
                raise InputError("the lesson has fewer steps", file=file, field="lesson.step",
                                 expected=f"0..{len(lesson.steps) - 1}", found=self.lesson.step)


def _check_scenario_text(text: str) -> None:
    from engine import parse_scenario

    try:
        data = parse_toml_text(text, None)
    except InputError as exc:
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
    """Write the session atomically (temporary file + rename); returns the path. A session too large
    to be read back (MAX_FILE_BYTES) is refused."""
    path = Path(path)
    text = session_to_json(session)
    size = len(text.encode("utf-8"))
    if size > MAX_FILE_BYTES:
        raise InputError("session too large to save (remove some kept runs)", file=str(path),
                         expected=f"at most {MAX_FILE_BYTES} bytes", found=size)
    try:
        atomic_write_text(path, text)
    except (OSError, UnicodeError) as exc:
        raise InputError(f"cannot write session: {getattr(exc, 'strerror', None) or exc}", file=str(path)) from None
    return path


def load_session(path: str | Path) -> Session:
    """Read and validate a session file; InputError naming the file and field if it is bad, or if it
    could not be applied (Session.check_applicable)."""
    path = Path(path)
    file = str(path)
    text = decode_text(read_user_bytes(path, "session file", MAX_FILE_BYTES), file)
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise InputError(f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}", file=file) from None
    except RecursionError:
        raise InputError("objects or lists nested too deeply", file=file) from None
    except ValueError as exc:         # NaN/Infinity, integers beyond Python's digit limit
        raise InputError(f"malformed JSON: {number_error_text(exc)}", file=file) from None
    check_depth(data, file)
    if not isinstance(data, dict):
        raise InputError("not a NicheLab session file", file=file, expected="a JSON object",
                         found=type(data).__name__)
    if data.get("format") != FORMAT:
        found = data.get("format")
        raise InputError("not a NicheLab session file", file=file, field="format", expected=repr(FORMAT),
                         found=found if isinstance(found, (str, int, float)) else type(found).__name__)
    try:
        session = Session.model_validate(data)
    except ValidationError as err:
        raise translate_validation_error(err, file) from None
    except RecursionError:
        raise InputError("objects or lists nested too deeply", file=file) from None
    session.check_applicable(file)
    return session


def _reject_constant(name: str) -> float:
    raise ValueError(f"non-standard JSON number {name}")


# ------------------------------------------------------------------ autosave

def autosave_dir() -> Path:
    """engine.runtime.user_dir('data') / 'autosave': one file per open window."""
    from engine.runtime import user_dir

    return user_dir("data") / AUTOSAVE_FOLDER


def legacy_autosave_path() -> Path:
    """Where NicheLab 0.1.0 kept its single autosave."""
    from engine.runtime import user_dir

    return user_dir("data") / AUTOSAVE_NAME


class _Lock:
    """An exclusive, non-blocking operating-system lock on a small file, released when closed or
    when the process ends (however it ends)."""

    def __init__(self, fh):
        self._fh = fh

    @classmethod
    def try_acquire(cls, path: Path) -> "_Lock | None":
        try:
            fh = open(path, "a+b")  # noqa: SIM115 - kept open while the lock is held
        except OSError:
            return None
        try:
            if os.name == "nt":
                import msvcrt

                fh.seek(0)
                msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            return None
        return cls(fh)

    def release(self) -> None:
        if self._fh is None:
            return
        try:
            if os.name == "nt":
                import msvcrt

                self._fh.seek(0)
                msvcrt.locking(self._fh.fileno(), msvcrt.LK_UNLCK, 1)
            else:
                import fcntl

                fcntl.flock(self._fh.fileno(), fcntl.LOCK_UN)
        except OSError:
            pass
        self._fh.close()
        self._fh = None


def _lock_path(autosave: Path) -> Path:
    return autosave.with_suffix(".lock")


class AutosaveSlot:
    """The autosave file of one window, claimed (locked) for as long as the window lives.

        slot = AutosaveSlot()          # at start-up
        slot.write(session)            # about once a minute after a change
        slot.close()                   # clean exit: the file and its lock go
    """

    def __init__(self, folder: str | Path | None = None):
        self.folder = Path(folder) if folder is not None else autosave_dir()
        self.folder.mkdir(parents=True, exist_ok=True)
        self.path = self.folder / f"autosave-{os.getpid()}-{uuid.uuid4().hex[:8]}.json"
        self._lock = _Lock.try_acquire(_lock_path(self.path))
        if self._lock is None:
            log.warning("cannot lock the autosave %s; another window may take it for a crash's", self.path)

    def write(self, session: Session) -> Path:
        return save_session(self.path, session)

    def clear(self) -> None:
        """Remove the autosave file (after an explicit save); the slot stays claimed."""
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass

    def adopt(self, found: "RecoverableAutosave") -> None:
        """Take over a recovered autosave: it becomes this window's (until the next write)."""
        try:
            os.replace(found.path, self.path)
        except OSError:
            pass
        found.release(remove=True)

    def close(self) -> None:
        """Clean exit: remove the autosave and release the claim."""
        self.clear()
        if self._lock is not None:
            self._lock.release()
            self._lock = None
        try:
            _lock_path(self.path).unlink()
        except OSError:
            pass


@dataclass
class RecoverableAutosave:
    """An autosave whose window is gone, held (locked) by the caller until released."""

    path: Path
    saved_at: str
    scenario_name: str
    n_runs: int
    age_seconds: float
    _lock: _Lock | None = field(default=None, repr=False)

    def release(self, remove: bool = False) -> None:
        """Give the claim back; with ``remove``, delete the autosave (declined or taken over)."""
        if remove:
            try:
                self.path.unlink()
            except FileNotFoundError:
                pass
            except OSError as exc:
                log.warning("cannot remove the autosave %s: %s", self.path, exc)
        if self._lock is not None:
            self._lock.release()
            self._lock = None
        if remove:
            try:
                _lock_path(self.path).unlink()
            except OSError:
                pass


def _orphans(folder: Path) -> list[Path]:
    try:
        found = sorted(folder.glob("autosave-*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    except OSError:
        return []
    return found


def find_recoverable_autosave(folder: str | Path | None = None,
                              legacy: str | Path | None = None) -> RecoverableAutosave | None:
    """The newest autosave left by a window that is gone (it did not exit cleanly), claimed for the
    caller (release it, or adopt it with AutosaveSlot.adopt), or None.

    The autosave of a window still open is locked by it and never offered. A corrupt autosave is
    not offered (it is logged and left in place for inspection). A 0.1.0-style ``autosave.json`` is
    offered when it has not been written for LEGACY_AUTOSAVE_IDLE_S."""
    if legacy is None and folder is None:
        legacy = legacy_autosave_path()
    folder = Path(folder) if folder is not None else autosave_dir()
    candidates = [(p, _lock_path(p)) for p in _orphans(folder)]
    legacy_path = Path(legacy) if legacy is not None else None
    for path, lock_path in candidates:
        lock = _Lock.try_acquire(lock_path)
        if lock is None:              # its window is still open
            continue
        found = _describe(path, lock)
        if found is not None:
            return found
        lock.release()
    if legacy_path is not None and legacy_path.is_file():
        try:
            idle = time.time() - legacy_path.stat().st_mtime
        except OSError:
            return None
        if idle >= LEGACY_AUTOSAVE_IDLE_S:
            return _describe(legacy_path, None)
    return None


def _describe(path: Path, lock: _Lock | None) -> RecoverableAutosave | None:
    try:
        s = load_session(path)
        name = s.scenario().name
        age = max(0.0, time.time() - path.stat().st_mtime)
    except (InputError, OSError) as exc:
        log.warning("autosave %s cannot be recovered: %s", path, exc)
        return None
    return RecoverableAutosave(path=path, saved_at=s.saved_at, scenario_name=name, n_runs=len(s.runs),
                               age_seconds=age, _lock=lock)


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
