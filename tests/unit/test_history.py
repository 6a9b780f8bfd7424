"""History and progress rules (shared.domain.history, shared.domain.progress) on hand-made
lift summaries with known answers: records, the load–velocity line and estimate, trends,
the list's filters and page tokens, and the comparison of two lifts."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from werkzeug.datastructures import MultiDict

from shared.coach.facts import FT_PER_M, LB_PER_KG
from shared.domain import history, progress
from shared.domain.errors import BadRequest
from shared.domain.model import Session, User

UTC = UTC
DAY0 = datetime(2026, 11, 2, 10, tzinfo=UTC)  # a Monday: ISO week 2026-W45


def lift(
    n: int,
    kg: float,
    speed: float,
    *,
    outcome="complete",
    height=1.3,
    power=2000.0,
    faults=(),
    day=0,
    exercise="snatch",
) -> dict:
    return {
        "session_id": f"s{n}",
        "user_id": "u",
        "exercise": exercise,
        "created_at": DAY0 + timedelta(days=day),
        "barbell_mass_kg": kg,
        "outcome": outcome,
        "lifts": 1,
        "max_bar_speed": speed,
        "peak_bar_height": height,
        "max_power": power,
        "faults": list(faults),
    }


# Speeds fall 0.01 m/s per kg from 2.5 m/s at 0 kg, with ±0.01 m/s of scatter.
LIFTS = [
    lift(1, 80, 1.71),
    lift(2, 80, 1.69, day=1, faults=["early_arm_bend"]),
    lift(3, 90, 1.60, day=7),
    lift(4, 100, 1.51, day=8, power=2500),
    lift(5, 100, 1.49, day=14, faults=["early_arm_bend", "hips_rise_first"]),
    lift(6, 120, 1.0, outcome="missed", day=15),
    lift(7, 100, 1.52, exercise="clean", day=2),
]


def test_the_line_is_the_least_squares_fit_by_hand():
    xs, ys = [80, 80, 90, 100, 100], [1.71, 1.69, 1.60, 1.51, 1.49]
    # By hand: mean x 90, mean y 1.6; Sxx = 100+100+0+100+100 = 400;
    # Sxy = (-10)(.11)+(-10)(.09)+0+(10)(-.09)+(10)(-.11) = -4.0; slope -0.01; intercept 2.5.
    # Residuals: .01, -.01, 0, .01, -.01: SSE 4e-4; Syy = .0121+.0081+0+.0081+.0121 = .0404.
    line = progress.fit_line(xs, ys)
    assert line["slope"] == pytest.approx(-0.01)
    assert line["intercept"] == pytest.approx(2.5)
    assert line["r2"] == pytest.approx(1 - 4e-4 / 0.0404)
    assert line["residual_sd"] == pytest.approx((4e-4 / 3) ** 0.5)


def test_the_estimated_max_is_where_the_line_reaches_the_threshold():
    lv = progress.progress(LIFTS, "snatch")["load_velocity"]
    assert lv["status"] == "ok" and lv["line"]["n"] == 5 and lv["line"]["loads"] == 3
    assert lv["mvt"]["value"] == progress.MVT_MPS["snatch"] == 1.5
    # 2.5 - 0.01 x = 1.5  ->  x = 100 kg; one residual SD (0.01155) either way: 98.8 and 101.2 kg
    assert lv["estimated_max"]["barbell_mass"] == pytest.approx(100.0)
    assert lv["estimated_max"]["low"] == pytest.approx(98.8) and lv["estimated_max"]["high"] == pytest.approx(101.2)
    assert lv["estimated_max"]["extrapolated_pct"] == 0.0
    assert {p["session_id"] for p in lv["points"]} == {"s1", "s2", "s3", "s4", "s5"}  # made snatches only


def test_the_threshold_can_be_given_and_the_units_changed():
    lv = progress.progress(LIFTS, "snatch", mvt_mps=1.3)["load_velocity"]
    assert lv["estimated_max"]["barbell_mass"] == pytest.approx(120.0) and lv["mvt"]["source"] == "query"
    assert lv["estimated_max"]["extrapolated_pct"] == 20.0
    imperial = progress.progress(LIFTS, "snatch", imperial=True)
    assert imperial["units"]["mass"] == "lb" and imperial["units"]["speed"] == "ft/s"
    assert imperial["load_velocity"]["estimated_max"]["barbell_mass"] == pytest.approx(100 * LB_PER_KG, abs=0.1)
    assert imperial["load_velocity"]["mvt"]["value"] == pytest.approx(1.5 * FT_PER_M, abs=1e-3)


def test_fewer_than_three_loads_is_not_enough_data():
    lv = progress.progress(LIFTS[:3] + [lift(9, 90, 1.61)], "snatch")["load_velocity"]
    assert lv["status"] == "not_enough_data" and "2 so far" in lv["message"] and "line" not in lv


def test_no_estimate_when_the_bar_is_not_slower_at_heavier_loads():
    lv = progress.progress([lift(1, 80, 1.5), lift(2, 90, 1.6), lift(3, 100, 1.7)], "snatch")["load_velocity"]
    assert lv["status"] == "no_estimate" and "estimated_max" not in lv


def test_records_link_to_their_sessions():
    records = progress.progress(LIFTS, "snatch")["records"]
    assert records["heaviest_made"] == {"barbell_mass": 100, "session_id": "s5", "date": "2026-11-16"}  # not the miss
    assert records["highest_power"]["session_id"] == "s4" and records["highest_power"]["max_power"] == 2500
    assert records["fastest_at_load"] == [
        {"barbell_mass": 80, "max_bar_speed": 1.71, "session_id": "s1", "date": "2026-11-02"},
        {"barbell_mass": 90, "max_bar_speed": 1.60, "session_id": "s3", "date": "2026-11-09"},
        {"barbell_mass": 100, "max_bar_speed": 1.51, "session_id": "s4", "date": "2026-11-10"},
    ]


def test_trends_are_weekly_at_the_most_used_load_and_faults_count_sessions():
    trends = progress.progress(LIFTS, "snatch")["trends"]
    assert trends["barbell_mass"] == 100  # 80 and 100 kg twice each: the heavier wins the tie
    assert trends["weeks"] == [
        {
            "week": "2026-W46",
            "lifts": 1,
            "max_bar_speed": {"best": 1.51, "median": 1.51},
            "peak_bar_height": {"best": 1.3, "median": 1.3},
        },
        {
            "week": "2026-W47",
            "lifts": 1,
            "max_bar_speed": {"best": 1.49, "median": 1.49},
            "peak_bar_height": {"best": 1.3, "median": 1.3},
        },
    ]
    assert trends["recurring_faults"][0] == {
        "code": "early_arm_bend",
        "sessions": 2,
        "last": {"session_id": "s5", "date": "2026-11-16"},
    }


def test_a_lifter_with_no_lifts_gets_empty_progress_not_an_error():
    out = progress.progress([], "clean")
    assert out["records"] == {"heaviest_made": None, "fastest_at_load": [], "highest_power": None}
    assert out["load_velocity"]["status"] == "not_enough_data" and out["trends"]["weeks"] == []


# ---- the list's filters
def query(**args) -> history.ListQuery:
    return history.ListQuery(MultiDict(args), UTC)


def test_list_filters_are_parsed_and_days_include_the_last():
    q = query(exercise="clean", status="done", **{"from": "2026-11-01", "to": "2026-11-30"}, limit="5")
    assert (q.exercise, q.status, q.limit) == ("clean", "done", 5)
    assert q.start == datetime(2026, 11, 1, tzinfo=UTC) and q.end == datetime(2026, 12, 1, tzinfo=UTC)
    assert query().limit == history.DEFAULT_LIMIT and query().cursor is None


def test_every_bad_filter_is_named_at_once():
    with pytest.raises(BadRequest) as caught:
        query(
            exercise="deadlift", status="gone", **{"from": "2026-13-01", "to": "tomorrow"}, limit="0", page_token="!!"
        )
    assert set(caught.value.extra["fields"]) == {"exercise", "status", "from", "to", "limit", "page_token"}
    with pytest.raises(BadRequest, match="to must not be before from"):
        query(**{"from": "2026-11-02", "to": "2026-11-01"})
    for limit in ("101", "x", "2.5"):
        with pytest.raises(BadRequest, match="limit"):
            query(limit=limit)


def test_a_page_token_belongs_to_its_filters():
    q = query(exercise="snatch")
    last = Session("abc", "u", "snatch", created_at=datetime(2026, 11, 3, 12, 0, 0, 123456, tzinfo=UTC))
    token = q.page_token(last)
    assert query(exercise="snatch", page_token=token).cursor == (last.created_at, "abc")
    with pytest.raises(BadRequest, match="page_token"):
        query(exercise="clean", page_token=token)


def test_a_list_item_shows_the_headline_in_the_owners_units_and_zone():
    session = Session(
        "s1",
        "u",
        "clean_and_jerk",
        title="Heavy",
        barbell_mass_kg=100.0,
        status="done",
        progress_pct=100,
        created_at=datetime(2026, 11, 3, 23, 30, tzinfo=UTC),
        metrics={
            "outcome": "complete",
            "max_bar_speed": 1.6,
            "peak_bar_height": 1.1,
            "max_power": 3000.0,
            "bar_path_type": "S",
        },
    )
    item = history.list_item(session, User("u", units="imperial", timezone="Asia/Tokyo"), "https://thumb")
    assert item["barbell_mass"] == {"value": 220.5, "unit": "lb"} and item["exercise_name"] == "Clean & Jerk"
    assert item["created_at"] == {"date": "04/11/2026", "time": "08:30 AM"}
    assert (item["max_bar_speed"], item["peak_bar_height"], item["max_power"]) == (1.6, 1.1, 3000.0)
    assert item["outcome"] == "complete" and item["lifts"] == 1 and item["thumbnail_url"] == "https://thumb"
    running = history.list_item(replace(session, status="processing", metrics={}), None, None)
    assert running["lifts"] == 0 and running["max_bar_speed"] is None and running["barbell_mass"]["unit"] == "kg"


def test_the_thumbnail_is_the_catch_where_there_is_one():
    def images(found: dict) -> Session:
        return Session("s", "u", "snatch", phase_images=found)

    assert history.thumbnail_path(images({"setup": "a", "catch": "b"})) == "b"
    assert history.thumbnail_path(images({"jerk_drive": "c"})) == "c"
    assert history.thumbnail_path(images({})) is None


# ---- compare
def session(sid: str, *, liftoff: int, heights: list, faults=(), durations=None) -> tuple[Session, dict]:
    n = len(heights)
    doc = Session(
        sid,
        "u",
        "snatch",
        barbell_mass_kg=100.0,
        status="done",
        metrics={"outcome": "complete", "max_bar_speed": 1.8, "phase_durations_s": durations or {"setup": 0.5}},
        phases=[{"name": "setup", "start_frame": 0, "end_frame": n - 1}],
        landmarks={"liftoff": liftoff},
        faults=[{"code": c} for c in faults],
    )
    series = {
        "timestamps_s": [i / 10 for i in range(n)],
        "bar": {"x_m": [0.01 * i for i in range(n)], "height_m": heights},
    }
    return doc, series


def test_compare_aligns_both_paths_at_liftoff():
    a, sa = session("a", liftoff=2, heights=[0.2, 0.2, 0.2, 0.3, 0.5])
    b, sb = session(
        "b", liftoff=1, heights=[0.2, 0.2, 0.25, float("nan"), 0.6], faults=["early_arm_bend"], durations={"setup": 0.7}
    )
    out = history.compare(a, b, history.bar_path(a, sa), history.bar_path(b, sb))
    assert out["a"]["bar_path"] == {"t_s": [0.0, 0.1, 0.2], "x_m": [0.02, 0.03, 0.04], "height_m": [0.2, 0.3, 0.5]}
    # b's unmeasured frame is left out, the times say which frames remain
    assert out["b"]["bar_path"] == {"t_s": [0.0, 0.1, 0.3], "x_m": [0.01, 0.02, 0.04], "height_m": [0.2, 0.25, 0.6]}
    assert out["phase_durations_s"] == [{"phase": "setup", "a": 0.5, "b": 0.7, "difference": 0.2}]
    assert out["metrics"]["max_bar_speed"] == {"a": 1.8, "b": 1.8, "difference": 0.0}
    assert out["metrics"]["max_power"] == {"a": None, "b": None, "difference": None}
    assert out["faults"] == {"only_a": [], "only_b": ["early_arm_bend"], "both": []}


def test_the_lift_summary_is_what_progress_reads():
    done = Session(
        "s1",
        "u",
        "snatch",
        org_id="o",
        created_at=DAY0,
        status="done",
        barbell_mass_kg=90.0,
        metrics={"outcome": "no_lift", "max_bar_speed": float("nan")},
        faults=[{"code": "x"}, {"code": "x"}],
    )
    summary = progress.lift_summary(done)
    assert summary == {
        "session_id": "s1",
        "user_id": "u",
        "org_id": "o",
        "exercise": "snatch",
        "created_at": DAY0,
        "barbell_mass_kg": 90.0,
        "outcome": "no_lift",
        "lifts": 0,
        "max_bar_speed": None,
        "peak_bar_height": None,
        "max_power": None,
        "faults": ["x"],
    }


def test_the_roll_up_holds_every_summary_once_and_the_latest_of_each():
    rollup = None
    for summary in LIFTS[:5]:
        rollup = progress.rolled_up(rollup, summary)
    again = {**LIFTS[2], "max_bar_speed": 1.65, "faults": ["x"], "outcome": None}
    rollup = progress.rolled_up(rollup, again)  # the job ran again on s3
    back = progress.unrolled(rollup, "snatch")
    assert [s["session_id"] for s in back] == ["s1", "s2", "s3", "s4", "s5"]
    assert back[2]["max_bar_speed"] == 1.65 and back[2]["faults"] == ["x"] and back[2]["outcome"] is None
    assert back[1]["faults"] == ["early_arm_bend"] and back[0]["faults"] == []
    assert all(abs((b["created_at"] - s["created_at"]).total_seconds()) < 1e-5 for b, s in zip(back, LIFTS))
    assert progress.progress(back[:2] + back[3:], "snatch") == progress.progress(LIFTS[:2] + LIFTS[3:5], "snatch")
    assert progress.unrolled(None, "snatch") == []
