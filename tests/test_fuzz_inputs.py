"""Fuzz suite: hostile scenario files, sessions, lesson files and references, claims files and
command lines (tests/fuzz_corpus.py, run by tests/fuzz_driver.py in a child process under an
address-space limit and a per-input timer), plus property tests (hypothesis) of the schema, the
TOML writer, the argument types and the error messages.

Every input must end in a clean one-line error naming the file and field (exit status 2 / an
InputError) or a clean accept; no traceback, hang, crash, changed file or dangerous accept.
``python tests/fuzz_driver.py [--slow]`` prints the table.
"""
from __future__ import annotations

import argparse
import json
import math
import tomllib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import InputError, parse_scenario
from engine.errors import MAX_MESSAGE
from engine.scenario import MAX_DAYS, SEED_MAX, Scenario

PROPERTY = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])
BAD = ("tracebacks", "hangs", "crashes", "dangerous-accepted", "unclear errors")


def _check_corpus(slow: bool) -> None:
    from tests.fuzz_driver import format_table, run_corpus, table

    results = run_corpus(slow=slow)
    counts = table(results)
    text = format_table(counts)
    print("\n" + text)
    problems = [f"{r['outcome']}: {r['id']}: {r['detail'][:200]}" for r in results
                if r["outcome"] not in ("clean_error", "clean_accept")]
    assert all(counts[c] == 0 for c in BAD), text + "\n" + "\n".join(problems[:20])
    assert counts["clean errors"] > 0.8 * counts["inputs tried"] or slow
    assert counts["inputs tried"] == len(results) and len(results) > 300


def test_hostile_corpus_gives_only_clean_errors_and_accepts():
    _check_corpus(slow=False)


@pytest.mark.slow
def test_random_mutations_of_every_builtin_scenario_give_only_clean_outcomes():
    _check_corpus(slow=True)


# ------------------------------------------------------------------ properties

def _one_clean_line(exc: InputError) -> None:
    text = str(exc)
    assert "\n" not in text and "\r" not in text and len(text) <= MAX_MESSAGE


anything = st.one_of(st.none(), st.booleans(), st.integers(min_value=-2 ** 70, max_value=2 ** 70),
                     st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30),
                     st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(),
                                                                          max_size=2))
event = st.fixed_dictionaries({"kind": st.sampled_from(["il6", "fu5", "irradiation", "msc", "transplant", "x"])},
                              optional={"dose": anything, "start_day": anything, "duration_days": anything,
                                        "msc_coinfusion": anything})
scenario_doc = st.fixed_dictionaries({}, optional={
    "name": anything, "days": anything, "seed": anything, "species": anything, "genotype": anything,
    "description": anything, "parameters": st.dictionaries(st.sampled_from(["dt_hours", "tile_x_um", "nope"]),
                                                           anything, max_size=2),
    "events": st.lists(event, max_size=3)})


@PROPERTY
@given(scenario_doc)
def test_scenario_schema_is_strict_and_every_error_is_one_line(doc):
    try:
        scn = parse_scenario(doc, "fuzz.toml")
    except InputError as exc:
        _one_clean_line(exc)
        assert str(exc).startswith("fuzz.toml")
        return
    # accepted: every value has exactly the type and range the model needs
    assert type(scn.days) is float and 0 < scn.days <= MAX_DAYS
    assert type(scn.seed) is int and 0 <= scn.seed <= SEED_MAX
    for key in ("days", "seed"):
        if key in doc:
            assert not isinstance(doc[key], (bool, str))
    for ev in scn.events:
        assert type(ev.dose) is float and math.isfinite(ev.dose) and math.isfinite(ev.start_day)
    for value in scn.parameters.values():
        assert type(value) is float and math.isfinite(value)


texts = st.text(alphabet=st.characters(codec="utf-8"), max_size=40)


@PROPERTY
@given(name=texts, description=texts, group=texts)
def test_every_accepted_text_is_saved_as_toml_that_reads_back_the_same(name, description, group):
    try:
        scn = parse_scenario({"name": name, "description": description, "group": group}, "t.toml")
    except InputError as exc:
        _one_clean_line(exc)
        assert any(f"field '{f}'" in str(exc) for f in ("name", "description", "group"))
        return
    again = parse_scenario(tomllib.loads(scn.to_toml()), "again.toml")
    assert (again.name, again.description, again.group) == (name, description, group)


@PROPERTY
@given(st.text(max_size=60) | st.integers().map(str) | st.floats().map(repr))
def test_number_arguments_give_a_value_in_range_or_a_type_error(text):
    from cli.common import MAX_TIMEOUT_S, count_value, day_value, days_value, seconds_value, seed_value

    checks = [(seed_value, lambda v: type(v) is int and 0 <= v <= SEED_MAX),
              (days_value, lambda v: math.isfinite(v) and 0 < v <= MAX_DAYS),
              (day_value, lambda v: math.isfinite(v) and 0 <= v <= MAX_DAYS),
              (seconds_value, lambda v: math.isfinite(v) and 0 < v <= MAX_TIMEOUT_S),
              (count_value(1000), lambda v: type(v) is int and 1 <= v <= 1000)]
    for parse, ok in checks:
        try:
            value = parse(text)
        except argparse.ArgumentTypeError as exc:
            assert "\n" not in str(exc) and len(str(exc)) < 200
            continue
        assert ok(value), (parse, text, value)


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                                       max_size=3), max_leaves=12)


@pytest.fixture(scope="module")
def good_session_doc():
    from tests.fuzz_corpus import _good_session

    return _good_session()


@PROPERTY
@given(path=st.lists(st.sampled_from(["runs", 0, "rows", 1, "lesson", "lesson_id", "step", "seed", "current_day",
                                      "columns", "scenario_toml", "view", "answers", "label"]), min_size=1, max_size=4),
       value=json_values)
def test_session_documents_load_cleanly_or_give_one_line(tmp_path_factory, good_session_doc, path, value):
    from studies.session import load_session

    doc = json.loads(json.dumps(good_session_doc))
    node = doc
    for key in path[:-1]:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            break
    try:
        node[path[-1]] = value
    except (IndexError, TypeError):
        pass
    p = tmp_path_factory.mktemp("session") / "s.nichelab.json"
    p.write_text(json.dumps(doc), encoding="utf-8")
    try:
        load_session(p).prepare(str(p))
    except InputError as exc:
        _one_clean_line(exc)
        assert str(p) in str(exc)


@PROPERTY
@given(st.text(max_size=2000) | st.binary(max_size=200) | anything)
def test_error_messages_are_one_bounded_line_whatever_they_echo(found):
    exc = InputError("bad value", file="f.toml", field="x\ny", expected="something", found=found)
    _one_clean_line(exc)
    assert str(exc).startswith("f.toml: field 'x\\ny': bad value")


def test_a_5mb_value_is_echoed_in_a_short_message():
    exc = InputError("not an allowed value", field="events[0].kind", expected="il6", found="k" * 5_000_000)
    assert len(str(exc)) < 300 and "..." in str(exc)
    huge = int("9" * 4000)
    assert "digits" in str(InputError("x", expected="a seed", found=huge * huge))


def test_the_schema_the_command_line_and_the_seed_box_share_one_seed_range():
    from cli.common import seed_value

    le = [m.le for m in Scenario.model_fields["seed"].metadata if hasattr(m, "le")]
    assert le == [SEED_MAX] == [2 ** 31 - 1]
    assert seed_value(str(SEED_MAX)) == SEED_MAX
    with pytest.raises(argparse.ArgumentTypeError):
        seed_value(str(SEED_MAX + 1))
    with pytest.raises(InputError, match="out of range"):
        parse_scenario({"seed": SEED_MAX + 1}, "s.toml")
    from studies.session import RunData, Session

    for model in (RunData, Session):
        le = [m.le for m in model.model_fields["seed"].metadata if hasattr(m, "le")]
        assert le == [SEED_MAX]
