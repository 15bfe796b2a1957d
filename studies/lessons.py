"""Classroom lessons: TOML files under resources/lessons/, a strict schema and a loader.

    for info in list_lessons(): print(info.id, info.title)
    lesson = load_lesson("01_vascular_niche")        # or a path to a teacher's own .toml
    step = lesson.steps[0]
    step.text (Markdown), lesson.image_path(0), step.scenario (built-in scenario id),
    step.question.prompt / .options / .answer ('A'..) / .explanation, step.look_for

A lesson file
-------------
Top level: ``format = "nichelab-lesson"``, ``version = 1``, ``id`` (the file name
without .toml), ``order`` (position in the lesson list), ``title``, ``audience``,
``minutes``, ``summary``, ``objectives`` (list), ``[[sources]]`` (``key``,
``citation``, optional ``doi``/``url``) and ``[[steps]]``.

A step: ``title``, ``text`` (Markdown, for an undergraduate), optional ``image``
(path relative to the lesson file, .svg or .png, inside its folder) with
``image_alt``, ``cite`` (keys of [[sources]]), optional ``scenario`` (a built-in
scenario id, or a .toml path relative to the lesson) with optional ``run_days``
and ``overlay`` (ids of earlier steps' scenarios whose runs should stay on the
plots for comparison), ``look_for`` (what to watch after running: required when a
scenario is given), and an optional ``[steps.question]`` to answer *before*
running: ``prompt``, ``options`` (2-6), ``answer`` (letter A-F) and ``explanation``.

Any problem raises :class:`engine.errors.InputError` naming the file and the field
(e.g. ``steps[2].question.answer``).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from engine.errors import InputError, from_validation_error
from engine.files import path_exists, read_toml


FORMAT = "nichelab-lesson"
VERSION = 1
LETTERS = "ABCDEF"
IMAGE_SUFFIXES = (".svg", ".png")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    key: str = Field(pattern=r"^[a-z0-9_]+$", max_length=40)
    citation: str = Field(min_length=20)
    doi: str | None = Field(None, pattern=r"^10\.\d{4,9}/\S+$")
    url: str | None = Field(None, pattern=r"^https?://\S+$")


class Question(_Strict):
    prompt: str = Field(min_length=10)
    options: list[str] = Field(min_length=2, max_length=6)
    answer: str = Field(pattern=r"^[A-F]$")
    explanation: str = Field(min_length=20)

    @model_validator(mode="after")
    def _answer_in_range(self) -> "Question":
        if LETTERS.index(self.answer) >= len(self.options):
            raise ValueError(f"answer '{self.answer}' but only {len(self.options)} options "
                             f"(A-{LETTERS[len(self.options) - 1]})")
        if any(not o.strip() for o in self.options):
            raise ValueError("options must not be empty")
        if len(set(self.options)) != len(self.options):
            raise ValueError("options must differ")
        return self

    @property
    def correct_index(self) -> int:
        return LETTERS.index(self.answer)

    def is_correct(self, choice: str | int) -> bool:
        """Check a student's choice given as a letter ('B') or a 0-based index."""
        idx = LETTERS.index(choice.upper()) if isinstance(choice, str) else int(choice)
        return idx == self.correct_index

    def lettered_options(self) -> list[str]:
        return [f"{LETTERS[i]}. {o}" for i, o in enumerate(self.options)]


class Step(_Strict):
    title: str = Field(min_length=1, max_length=120)
    text: str = Field(min_length=20)
    image: str | None = None
    image_alt: str | None = None
    cite: list[str] = Field(default_factory=list)
    scenario: str | None = None
    run_days: float | None = Field(None, gt=0, le=365)
    overlay: list[str] = Field(default_factory=list)
    question: Question | None = None
    look_for: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> "Step":
        if self.image and not self.image_alt:
            raise ValueError("a step with an image needs image_alt (text for screen readers)")
        if self.scenario and not self.look_for:
            raise ValueError("a step that runs a scenario needs look_for (what to watch afterwards)")
        if self.overlay and not self.scenario:
            raise ValueError("overlay needs a scenario in the same step")
        return self


class LessonFile(_Strict):
    format: Literal["nichelab-lesson"]
    version: int = Field(ge=1)
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_]*$", max_length=60)
    order: int = Field(0, ge=0, le=1000)
    title: str = Field(min_length=3, max_length=120)
    audience: str = "undergraduate"
    minutes: int = Field(30, ge=1, le=600)
    summary: str = Field(min_length=20)
    objectives: list[str] = Field(min_length=1)
    sources: list[Source] = Field(min_length=1)
    steps: list[Step] = Field(min_length=1)

    @field_validator("version")
    @classmethod
    def _version(cls, v: int) -> int:
        if v > VERSION:
            raise ValueError(f"made by a newer NicheLab (lesson format {v}; this version reads up to {VERSION})")
        return v


@dataclass(frozen=True)
class Lesson:
    """A validated lesson. ``folder`` is where its images and relative scenarios are."""
    data: LessonFile
    path: Path

    @property
    def id(self) -> str:
        return self.data.id

    @property
    def title(self) -> str:
        return self.data.title

    @property
    def steps(self) -> list[Step]:
        return self.data.steps

    @property
    def sources(self) -> list[Source]:
        return self.data.sources

    @property
    def folder(self) -> Path:
        return self.path.parent

    def image_path(self, step_index: int) -> Path | None:
        img = self.steps[step_index].image
        return (self.folder / img).resolve() if img else None

    def scenario_ref(self, step_index: int) -> str | None:
        """What to pass to ``engine.load_scenario`` for this step (built-in id or absolute path)."""
        ref = self.steps[step_index].scenario
        if ref is None:
            return None
        return str((self.folder / ref).resolve()) if ref.endswith(".toml") else ref

    def source(self, key: str) -> Source:
        for s in self.sources:
            if s.key == key:
                return s
        raise KeyError(key)

    def references_markdown(self, step_index: int | None = None) -> str:
        """Numbered reference list (of one step's citations, or of the whole lesson)."""
        keys = self.steps[step_index].cite if step_index is not None else [s.key for s in self.sources]
        lines = []
        for i, k in enumerate(keys, 1):
            s = self.source(k)
            tail = f" doi:{s.doi}" if s.doi else (f" {s.url}" if s.url else "")
            lines.append(f"{i}. {s.citation}{tail}")
        return "\n".join(lines)

    def questions(self) -> list[tuple[int, Question]]:
        return [(i, s.question) for i, s in enumerate(self.steps) if s.question]


def lessons_dir() -> Path:
    from engine.runtime import resource_dir

    return resource_dir() / "lessons"


def parse_lesson(data: dict, path: Path) -> Lesson:
    """Validate a parsed lesson (dict from TOML) that came from ``path``."""
    file = str(path)
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise InputError("not a NicheLab lesson file", file=file, field="format", expected=repr(FORMAT),
                         found=data.get("format") if isinstance(data, dict) else None)
    try:
        doc = LessonFile.model_validate(data)
    except ValidationError as err:
        raise from_validation_error(err, file) from None
    if doc.id != path.stem:
        raise InputError("lesson id must match the file name", file=file, field="id", expected=path.stem,
                         found=doc.id)
    keys = [s.key for s in doc.sources]
    if len(set(keys)) != len(keys):
        raise InputError("duplicate source key", file=file, field="sources.key")
    folder = path.parent.resolve()
    from engine import builtin_scenarios, load_scenario

    builtins = builtin_scenarios()
    seen_scenarios: list[str] = []
    for i, st in enumerate(doc.steps):
        where = f"steps[{i}]"
        for k in st.cite:
            if k not in keys:
                raise InputError("cites an unknown source", file=file, field=f"{where}.cite",
                                 expected="a key of [[sources]]: " + ", ".join(keys), found=k)
        if st.image:
            img = (folder / st.image).resolve()
            if folder not in img.parents:
                raise InputError("image must be inside the lesson's folder", file=file, field=f"{where}.image",
                                 found=st.image)
            if img.suffix.lower() not in IMAGE_SUFFIXES:
                raise InputError("unsupported image type", file=file, field=f"{where}.image",
                                 expected=" or ".join(IMAGE_SUFFIXES), found=img.suffix)
            if not img.is_file():
                raise InputError("image file not found", file=file, field=f"{where}.image", found=st.image)
        if st.scenario:
            ref = st.scenario
            if ref.endswith(".toml"):
                target = (folder / ref).resolve()
                if not target.is_file():
                    raise InputError("scenario file not found", file=file, field=f"{where}.scenario", found=ref)
                ref = str(target)
            elif ref not in builtins:
                raise InputError("unknown scenario", file=file, field=f"{where}.scenario",
                                 expected="a built-in scenario id (python main.py scenarios) or a .toml path",
                                 found=ref)
            try:
                load_scenario(ref)
            except InputError as exc:
                raise InputError(f"scenario does not load: {exc}", file=file, field=f"{where}.scenario") from None
            for o in st.overlay:
                if o not in seen_scenarios:
                    raise InputError("overlay must name a scenario of an earlier step", file=file,
                                     field=f"{where}.overlay", expected=", ".join(seen_scenarios) or "none yet",
                                     found=o)
            seen_scenarios.append(st.scenario)
    return Lesson(doc, path.resolve())


#: largest lesson file read (bytes)
MAX_LESSON_BYTES = 1024 * 1024


def builtin_lesson_ids() -> list[str]:
    """Ids (file stems) of the built-in lessons, sorted."""
    return [p.stem for p in sorted(lessons_dir().glob("*.toml"))]


def is_builtin_lesson_id(text: object) -> bool:
    """True for the id of a built-in lesson: a plain name (no path) of a file in resources/lessons/.
    Ids that come from other files (sessions) must pass this before they are used."""
    return (isinstance(text, str) and 0 < len(text) <= 100 and text.replace("_", "").replace("-", "").isalnum()
            and text.isascii() and text in builtin_lesson_ids())


def load_lesson(id_or_path: str | Path) -> Lesson:
    """A built-in lesson by id (file stem under resources/lessons/) or a lesson file by path."""
    text = str(id_or_path)
    if is_builtin_lesson_id(text):
        path = lessons_dir() / f"{text}.toml"
    else:
        path = Path(text)
        if not path.suffix and not path_exists(path):
            raise InputError("unknown lesson", field="lesson", expected="one of: " + ", ".join(builtin_lesson_ids()),
                             found=text)
    data = read_toml(path, "lesson file", MAX_LESSON_BYTES)
    return parse_lesson(data, path)


def list_lessons(errors: list[InputError] | None = None) -> list[Lesson]:
    """The built-in lessons, in their ``order``.

    A broken lesson file raises InputError naming it; with an ``errors`` list it is
    skipped instead and its error appended (so one bad file does not hide the others).
    """
    lessons = []
    for p in sorted(lessons_dir().glob("*.toml")):
        try:
            lessons.append(load_lesson(p))
        except InputError as exc:
            if errors is None:
                raise
            errors.append(exc)
    return sorted(lessons, key=lambda lesson: (lesson.data.order, lesson.id))
