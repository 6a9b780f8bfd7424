"""`lifts` in the analysis and export payloads: every lift of a set, and one lift for a
session analysed before engine 2.2; both decode with the OpenAPI document's schemas."""

from __future__ import annotations

import copy
from dataclasses import replace

from shared.domain import history
from shared.formatters import payloads
from tests.unit.test_numbers_only import DEMO, decode, every_payload, session_of


def two_lifts() -> dict:
    """The demo's result as engine 2.2 gives a set: a missed lift, then the demo's made one."""
    result = copy.deepcopy(DEMO)
    made = {
        "index": 1,
        "start_frame": result["landmarks"]["liftoff"],
        "end_frame": result["phases"][-1]["end_frame"],
        "start_s": result["phases"][1]["start_s"],
        "end_s": result["phases"][-1]["end_s"],
        "outcome": "complete",
        "phases": result["phases"],
        "landmarks": result["landmarks"],
        "metrics": result["metrics"],
        "faults": result["faults"],
    }
    missed = {
        **made,
        "index": 0,
        "start_frame": 2,
        "end_frame": 8,
        "start_s": 0.067,
        "end_s": 0.267,
        "outcome": "missed",
        "phases": result["phases"][:2],
        "landmarks": {"liftoff": 2},
        "metrics": {"outcome": "missed", "max_bar_speed": 1.1, "max_GRF": None},
        "faults": [],
    }
    result["lifts"] = [missed, made]
    return result


def test_a_set_shows_every_lift_in_analysis_and_export():
    session, series = session_of(two_lifts())
    shown = every_payload(session, series)
    for name in ("Analysis", "Export"):
        decode(name, shown[name])
        assert [lift["outcome"] for lift in shown[name]["lifts"]] == ["missed", "complete"]
        assert shown[name]["lifts"][1]["metrics"]["max_bar_speed"] == DEMO["metrics"]["max_bar_speed"]
    assert history.lift_count(session) == 2


def before_2_2() -> dict:
    """The demo's result as engine 2.1 gave it: no `lifts`."""
    result = copy.deepcopy(DEMO)
    del result["lifts"], result["quality"]["lifts"]
    return result


def test_the_demo_shows_its_one_lift_as_the_engine_found_it():
    session, series = session_of(DEMO)
    (lift,) = payloads.export(session, series)["lifts"]
    assert lift == DEMO["lifts"][0] and lift["outcome"] == "complete"
    assert DEMO["quality"]["lifts"] == {"found": 1, "primary": 0, "primary_is": "the first made lift"}


def test_a_session_from_before_engine_2_2_shows_its_one_lift():
    session, series = session_of(before_2_2())
    assert session.lifts is None
    (lift,) = payloads.export(session, series)["lifts"]
    assert lift["outcome"] == DEMO["metrics"]["outcome"]
    assert lift["start_frame"] == DEMO["landmarks"]["liftoff"]
    assert lift["phases"] == DEMO["phases"] and lift["faults"] == DEMO["faults"]
    decode("Export", payloads.export(session, series))
    assert history.lift_count(session) == 1


def test_a_running_session_has_no_lifts():
    session, _ = session_of(before_2_2())
    running = replace(session, status="processing", phases=[], metrics={})
    assert payloads.lifts(running) == [] and history.lift_count(running) == 0
    assert payloads.lifts(replace(session, lifts=[])) == []
