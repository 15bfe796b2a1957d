"""engine/schedule.py: events keep ids; edits mean what they say; the past cannot be rewritten."""
import pytest

from engine import AddEvent, EditEvent, Event, InputError, RemoveEvent, Scenario, Simulation
from engine.schedule import Schedule
from tests.conftest import SMALL_TILE

H = 24.0


def schedule():
    return Schedule([Event(kind="fu5", start_day=5.0), Event(kind="sdf1", start_day=1.0, duration_days=10.0),
                     Event(kind="il6", start_day=8.0, duration_days=3.0)])


def test_events_get_ids_in_order_and_statuses_follow_time():
    sch = schedule()
    items = sch.items(3 * H)
    assert [i.id for i in items] == [1, 2, 3]
    assert [i.status for i in items] == ["planned", "running", "planned"]
    assert sch.due(5 * H, 1.0)[0].kind == "fu5"
    assert [i.status for i in sch.items(12 * H)] == ["given", "over", "over"]


def test_editing_a_planned_event_replaces_it_in_place():
    sch = schedule()
    sch.edit(3, Event(kind="il11", start_day=9.0, duration_days=2.0, dose=2.0), now_hours=3 * H)
    ev = sch.items(3 * H)[2]
    assert ev.id == 3 and ev.event.kind == "il11" and ev.event.dose == 2.0
    assert [e.kind for e in sch.planned_events()] == ["fu5", "sdf1", "il11"]
    assert sch.edit_log and "edited #3" in sch.edit_log[-1]


def test_a_running_treatment_keeps_its_start_and_changes_from_now_on():
    sch = schedule()
    sch.edit(2, Event(kind="sdf1", start_day=1.0, duration_days=4.0, dose=3.0), now_hours=3 * H)
    assert sch.targets(3.5 * H)["sdf1"] == 3.0 and sch.targets(5.5 * H)["sdf1"] == 0.0
    with pytest.raises(InputError, match="start cannot move"):
        sch.edit(2, Event(kind="sdf1", start_day=2.0, duration_days=4.0), now_hours=3 * H)
    with pytest.raises(InputError, match="kind cannot change"):
        sch.edit(2, Event(kind="fgf4", start_day=1.0, duration_days=4.0), now_hours=3 * H)
    with pytest.raises(InputError, match="ended before now"):
        sch.edit(2, Event(kind="sdf1", start_day=1.0, duration_days=1.0), now_hours=3 * H)
    sch.edit(2, Event(kind="sdf1", start_day=1.0, duration_days=1.0), now_hours=3 * H, past="start_now")
    assert sch.items(3 * H)[1].event.duration_days == pytest.approx(2.0)   # ends now


def test_given_and_finished_events_cannot_change_in_the_run():
    sch = schedule()
    sch.due(5 * H, 1.0)
    with pytest.raises(InputError, match="was given on day 5"):
        sch.edit(1, Event(kind="fu5", start_day=5.0, dose=2.0), now_hours=6 * H)
    with pytest.raises(InputError, match="was given on day 5"):
        sch.remove(1, now_hours=6 * H)
    with pytest.raises(InputError, match="ended on day 11"):
        sch.remove(2, now_hours=12 * H)


def test_remove_withdraws_planned_events_and_ends_running_ones():
    sch = schedule()
    sch.remove(3, now_hours=3 * H)
    sch.remove(2, now_hours=3 * H)
    assert [i.id for i in sch.items(3 * H)] == [1, 2]
    assert sch.events[1].duration_days == pytest.approx(2.0)
    with pytest.raises(InputError, match="no such event"):
        sch.remove(3, now_hours=3 * H)


def test_planned_edit_into_the_past_is_refused_unless_started_now():
    sch = schedule()
    with pytest.raises(InputError, match="before now"):
        sch.edit(3, Event(kind="il6", start_day=2.0, duration_days=3.0), now_hours=3 * H)
    sch.edit(3, Event(kind="il6", start_day=2.0, duration_days=3.0), now_hours=3 * H, past="start_now")
    assert sch.events[2].start_day == pytest.approx(3.0)


def test_simulation_commands_change_its_schedule_and_metadata():
    sim = Simulation.from_scenario(Scenario(days=2, parameters=dict(SMALL_TILE),
                                            events=[Event(kind="fgf4", start_day=0.0, duration_days=4.0)]))
    sim.advance(24)
    new_id = sim.apply(AddEvent(Event(kind="il6", start_day=1.5, duration_days=2.0)))
    sim.apply(EditEvent(1, Event(kind="fgf4", start_day=0.0, duration_days=2.0, dose=2.0)))
    sim.apply(RemoveEvent(new_id))
    assert [(i.id, i.event.kind, i.status) for i in sim.schedule.items(sim.time_hours)] == [(1, "fgf4", "running")]
    assert "edited #1" in sim.metadata()["edits_during_run"]
