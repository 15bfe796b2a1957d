"""Lessons (studies.lessons, resources/lessons/): the shipped lessons, the schema, the images."""
import re
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from engine import InputError, builtin_scenarios, load_scenario
from studies import make_lesson_images
from studies.lessons import lessons_dir, list_lessons, load_lesson, parse_lesson

REQUIRED_TOPICS = {
    "01_vascular_niche": ("avecilla2004", ["lesson_niche_disruption"]),
    "02_thpo_knockout": ("avecilla2004", ["lesson_thpo_ko", "lesson_thpo_ko_il6", "lesson_thpo_ko_sdf1",
                                          "lesson_thpo_ko_fgf4"]),
    "03_5fu_recovery": ("avecilla2004", ["lesson_5fu", "lesson_5fu_fgf4"]),
    "04_transplant_msc": ("he2025", ["lesson_hsct", "lesson_hsct_msc"]),
}


@pytest.fixture(scope="module")
def lessons():
    return list_lessons()


def test_four_lessons_in_order_each_citing_its_seed_paper(lessons):
    assert [lesson.id for lesson in lessons] == list(REQUIRED_TOPICS)
    for lesson in lessons:
        seed_key, scenarios = REQUIRED_TOPICS[lesson.id]
        assert seed_key in [s.key for s in lesson.sources]
        assert any(seed_key in st.cite for st in lesson.steps)
        used = [st.scenario for st in lesson.steps if st.scenario]
        assert set(scenarios) <= set(used)
        assert len(lesson.questions()) >= 3
        assert lesson.image_path(0) is not None and lesson.image_path(0).is_file()
        assert "doi:10.1038/nm973" in lesson.references_markdown() or seed_key == "he2025"


def test_every_step_is_well_formed(lessons):
    builtins = builtin_scenarios()
    for lesson in lessons:
        for i, st in enumerate(lesson.steps):
            assert st.cite, f"{lesson.id} step {i} cites nothing"
            if st.scenario:
                assert st.scenario.startswith("lesson_") and st.scenario in builtins
                assert lesson.scenario_ref(i) == st.scenario
                assert st.look_for
            if st.question:
                q = st.question
                assert q.is_correct(q.answer) and q.is_correct(q.correct_index)
                assert sum(q.is_correct(k) for k in range(len(q.options))) == 1
                assert q.lettered_options()[0].startswith("A. ")


def test_lesson_scenarios_follow_the_paper_design():
    """The scenario files the lessons run: genotype, and which treatments and when."""
    def kinds(sid):
        return sorted(e.kind for e in load_scenario(sid).events)

    assert load_scenario("lesson_thpo_ko").genotype == "thpo_ko" and kinds("lesson_thpo_ko") == []
    assert load_scenario("lesson_mpl_ko").genotype == "mpl_ko"
    for k in ("il6", "il11", "sdf1", "fgf4"):
        s = load_scenario(f"lesson_thpo_ko_{k}")
        assert s.genotype == "thpo_ko" and kinds(f"lesson_thpo_ko_{k}") == [k]
    assert kinds("lesson_5fu_fgf4") == ["fgf4", "fu5"] and kinds("lesson_5fu_niche_disruption") == [
        "fu5", "niche_disruption"]
    hsct = load_scenario("lesson_hsct").events
    msc = load_scenario("lesson_hsct_msc").events
    assert [(e.kind, e.dose) for e in hsct] == [(e.kind, e.dose) for e in msc]
    assert msc[1].msc_coinfusion > 0 and hsct[1].msc_coinfusion == 0
    assert load_scenario("lesson_hsct_human").species == "human"
    for p in builtin_scenarios().values():
        if p.stem.startswith("lesson_"):
            assert load_scenario(p.stem).group == "Lessons"


def test_images_are_small_valid_svg_made_by_the_script(tmp_path):
    made = make_lesson_images.main(tmp_path)
    for p in made:
        shipped = lessons_dir() / "images" / p.name
        assert shipped.read_bytes() == p.read_bytes(), f"{p.name}: rerun python -m studies.make_lesson_images"
        assert p.stat().st_size < 20_000
        root = ET.parse(p).getroot()
        assert root.tag == "{http://www.w3.org/2000/svg}svg" and root.find("{http://www.w3.org/2000/svg}title") is not None


# ------------------------------------------------------------------ bad lesson files

GOOD = """
format = "nichelab-lesson"
version = 1
id = "my_lesson"
title = "A lesson"
summary = "A summary long enough to pass."
objectives = ["learn"]

[[sources]]
key = "avecilla2004"
citation = "Avecilla ST et al. Nat Med 2004;10:64-71."

[[steps]]
title = "Step one"
text = "Some text for the student to read."
cite = ["avecilla2004"]
scenario = "lesson_5fu"
look_for = "the nadir"

[steps.question]
prompt = "When is the nadir?"
options = ["day 1", "day 7"]
answer = "B"
explanation = "Platelets live for days in the blood."
"""


def check_bad(tmp_path, replace, field, words, name="my_lesson.toml"):
    p = tmp_path / name
    p.write_text(GOOD.replace(*replace) if replace else GOOD)
    with pytest.raises(InputError) as exc:
        load_lesson(p)
    msg = str(exc.value)
    assert str(p) in msg and words in msg
    if field:
        assert f"field '{field}'" in msg


def test_good_teacher_lesson_loads(tmp_path):
    p = tmp_path / "my_lesson.toml"
    p.write_text(GOOD)
    lesson = load_lesson(p)
    assert lesson.steps[0].question.correct_index == 1


@pytest.mark.parametrize("replace, field, words", [
    (('answer = "B"', 'answer = "C"'), "steps[0].question", "only 2 options"),
    (('answer = "B"', 'answer = 2'), "steps[0].question.answer", "string"),
    (('scenario = "lesson_5fu"', 'scenario = "lesson_nope"'), "steps[0].scenario", "unknown scenario"),
    (('look_for = "the nadir"', ''), "steps[0]", "needs look_for"),
    (('cite = ["avecilla2004"]', 'cite = ["smith1999"]'), "steps[0].cite", "unknown source"),
    (('title = "Step one"', 'title = "Step one"\nimage = "../../etc/passwd.svg"\nimage_alt = "x"'),
     "steps[0].image", "inside the lesson's folder"),
    (('title = "Step one"', 'title = "Step one"\nimage = "missing.svg"\nimage_alt = "x"'),
     "steps[0].image", "image file not found"),
    (('title = "Step one"', 'title = "Step one"\nimage = "x.svg"'), "steps[0]", "image_alt"),
    (('version = 1', 'version = 3'), "version", "newer NicheLab"),
    (('id = "my_lesson"', 'id = "other"'), "id", "match the file name"),
    (('title = "A lesson"', 'title = "A lesson"\ncolour = "red"'), "colour", "unknown key"),
    (('format = "nichelab-lesson"', 'format = "scenario"'), "format", "not a NicheLab lesson"),
    (('options = ["day 1", "day 7"]', 'options = ["day 7", "day 7"]'), "steps[0].question", "must differ"),
])
def test_bad_lesson_errors_name_file_and_field(tmp_path, replace, field, words):
    check_bad(tmp_path, replace, field, words)


def test_malformed_toml_and_missing_file(tmp_path):
    check_bad(tmp_path, ('title = "A lesson"', 'title = "A lesson'), None, "malformed TOML")
    with pytest.raises(InputError, match="unknown lesson"):
        load_lesson("no_such_lesson")


def test_one_broken_lesson_does_not_hide_the_others(monkeypatch, tmp_path):
    import shutil

    for p in lessons_dir().glob("*.toml"):
        shutil.copy(p, tmp_path / p.name)
    shutil.copytree(lessons_dir() / "images", tmp_path / "images")
    (tmp_path / "zz_broken.toml").write_text("format = 'nichelab-lesson'\n")
    monkeypatch.setattr("studies.lessons.lessons_dir", lambda: tmp_path)
    errors = []
    good = list_lessons(errors)
    assert len(good) == 4 and len(errors) == 1 and "zz_broken.toml" in str(errors[0])
    with pytest.raises(InputError):
        list_lessons()


def test_lesson_text_mentions_only_cited_authors(lessons):
    """Every 'Author (et al.) YEAR' citation in a lesson's text is in its source list, with that year."""
    pattern = re.compile(r"([A-Z][A-Za-z]+)(?: et al\.| & [A-Z][A-Za-z]+)? \(?((?:19|20)\d\d)\b")
    for lesson in lessons:
        found = 0
        for st in lesson.steps:
            blob = " ".join([st.text, st.look_for or "", st.question.explanation if st.question else ""])
            for surname, year in pattern.findall(blob):
                found += 1
                assert any(surname in s.citation and year in s.citation for s in lesson.sources), \
                    f"{lesson.id}: '{surname} {year}' is not in [[sources]]"
        assert found >= 3


def test_parse_lesson_requires_the_format_tag():
    with pytest.raises(InputError, match="not a NicheLab lesson"):
        parse_lesson({"title": "x"}, Path("x.toml"))
    assert tomllib.loads(GOOD)["format"] == "nichelab-lesson"
