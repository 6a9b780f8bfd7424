"""Export, analysis and summary: values from the engine's result, access and plan rules,
404/409, demo, and every response checked against the OpenAPI document."""

from __future__ import annotations

import csv
import io
import json
import shutil
from datetime import UTC, datetime, timedelta, timezone

import pytest
import requests

from shared import demo
from shared.adapters.repository import Repository, client
from shared.adapters.storage import Storage
from shared.formatters.payloads import is_number
from tests.cloud.contract import check
from tests.cloud.fixtures import RESULT, new_session
from tests.unit.test_numbers_only import gappy

PATHS = {
    "export": "/weightlifting/sessions/{session_id}/export/",
    "analysis": "/weightlifting/sessions/{session_id}/analysis/",
    "summary": "/weightlifting/sessions/{session_id}/summary/",
    "details": "/weightlifting/sessions/{session_id}/",
}


def get(api, kind: str, session_id: str, token: str, **params) -> requests.Response:
    path = PATHS[kind]
    return check(api.request("GET", path.format(session_id=session_id), token, params=params), "GET", path)


def window(values: list) -> list:
    phases = RESULT["phases"]
    return values[phases[0]["start_frame"] : phases[-1]["end_frame"] + 1]


def present(values: list) -> list:
    return [v for v in values if v is not None]


def spanned(values: list) -> list:
    """A series cut to its measured span, as the payloads cut it (the demo's first frames
    read from a guessed hip are null)."""
    at = [i for i, v in enumerate(values) if v is not None]
    return values[at[0] : at[-1] + 1] if at else []


def matches(got: list, engine: list, digits: int | None = None) -> bool:
    """A payload's series against the engine's, cut to its span: the same where the engine
    measured (rounded to `digits`), and a number where it left a short gap, which the payloads
    fill (the demo's hip and torso lines are null for the frames the plate passes the
    shoulder in the turnover)."""
    want = spanned(engine)
    return len(got) == len(want) and all(
        is_number(g) if w is None else g == (w if digits is None else round(w, digits)) for g, w in zip(got, want)
    )


def measured(columns: dict) -> dict:
    """The series the engine measured at all (the others are left out of the payloads), cut
    to their span."""
    return {k: spanned(v) for k, v in columns.items() if present(v)}


# ---- export
def test_export_carries_the_engines_series_and_metrics(api, people, lift):
    body = get(api, "export", lift, people.token("lifter")).json()
    assert body["keypoints"] == measured(RESULT["keypoints"]) and "lknev" in body["keypoints"]
    assert set(body["angles"]) == set(measured(RESULT["angles"])) and body["all_timestamps"] == RESULT["timestamps_s"]
    assert all(matches(body["angles"][k], RESULT["angles"][k]) for k in body["angles"])
    gappy_angles = {k for k, v in measured(RESULT["angles"]).items() if None in v}
    assert gappy_angles and {f"angles.{k}" for k in gappy_angles} <= set(body["quality"]["gaps"])
    unmeasured = {f"{g}.{k}" for g in ("keypoints", "angles") for k, v in RESULT[g].items() if not present(v)}
    assert unmeasured and set(body["quality"]["unmeasured"]) == unmeasured
    assert body["metrics"]["max_bar_speed"] == RESULT["metrics"]["max_bar_speed"]
    assert body["metrics"]["max_GRF"] == RESULT["metrics"]["max_GRF"]
    assert "bar_path_type" not in body["metrics"]  # numbers only
    assert body["activity"] == "Weightlifting"


def test_export_body_joint_angles_selects_the_angles(api, people, lift):
    body = get(api, "export", lift, people.token("lifter"), body_joint_angles="knee,elbow").json()
    asked = {"lkne_angle", "rkne_angle", "lelb_angle", "relb_angle"}
    assert set(body["angles"]) == asked & set(measured(RESULT["angles"]))
    r = get(api, "export", lift, people.token("lifter"), body_joint_angles="tail")
    assert r.status_code == 400 and "body_joint_angles" in r.json()["error"]


def test_export_as_csv_has_one_row_per_frame_and_one_column_per_series(api, people, lift):
    r = get(api, "export", lift, people.token("lifter"), format="csv")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
    assert r.headers["Content-Disposition"] == 'attachment; filename="lift1.csv"'
    rows = list(csv.reader(io.StringIO(r.text)))
    header, data = rows[0], rows[1:]
    assert len(data) == len(RESULT["timestamps_s"])
    expected = 1 + sum(len(measured(RESULT[g])) for g in ("bar", "keypoints", "angles", "body"))
    assert len(header) == expected and header[0] == "t_s" and {"bar_x_m", "lknev", "lkne_angle", "grf_N"} <= set(header)
    speed = header.index("bar_speed_mps")
    assert [float(row[speed]) if row[speed] else None for row in data] == RESULT["bar"]["speed_mps"]
    assert get(api, "export", lift, people.token("lifter"), format="xml").status_code == 400


# ---- analysis
def test_analysis_values_come_from_the_engine_in_the_specs_units(api, people, lift):
    body = get(api, "analysis", lift, people.token("lifter")).json()
    velocity = body["key_metrics"]["barbell_velocity"]
    assert max(present(velocity)) == RESULT["metrics"]["max_bar_speed"]
    assert max(present(body["key_metrics"]["power_output"])) == pytest.approx(RESULT["metrics"]["max_power"], abs=0.1)
    assert max(present(body["key_metrics"]["ground_reaction_force"])) == pytest.approx(
        RESULT["metrics"]["max_GRF"], abs=0.1
    )
    assert body["barbell_positioning"]["bar_height"] == [round(v * 1000) for v in window(RESULT["bar"]["height_m"])]
    assert body["barbell_positioning"]["barbell_trajectory"][0] == round(window(RESULT["bar"]["x_m"])[0] * 1000)
    side = RESULT["quality"]["near_side"]
    assert body["joint_angles"]["knee_angle"] == spanned(window(RESULT["angles"][f"{side}kne_angle"]))
    assert matches(body["body_positioning"]["torso_angle"], window(RESULT["body"]["torso_angle"]), digits=1)
    assert len(body["timestamps_ms"]) == len(velocity)


def test_analysis_phases_match_the_engines(api, people, lift):
    body = get(api, "analysis", lift, people.token("lifter")).json()
    assert body["chart_data"] == {
        p["name"]: {"start": round(p["start_s"] * 1000), "end": round(p["end_s"] * 1000)} for p in RESULT["phases"]
    }
    assert set(body["phase_data"]) == {p["name"] for p in RESULT["phases"]}
    image = requests.get(body["phase_data"]["second_pull"]["image_url"], timeout=30)
    assert image.status_code == 200 and image.content[:2] == b"\xff\xd8"  # a JPEG
    assert body["faults"] == RESULT["faults"] and body["quality"]["warnings"] == RESULT["quality"]["warnings"]
    assert body["quality"]["calibration"] == "plate"


def test_analysis_carries_the_user_and_the_date_and_no_comments_yet(api, people, lift):
    body = get(api, "analysis", lift, people.token("lifter")).json()
    assert body["user_information"] == {"display_name": "Lena Lifter", "age": 26, "weight": 80.0, "height": 175.0}
    created = client().collection("sessions").document(lift).get().get("created_at")
    tokyo = created.astimezone(timezone(timedelta(hours=9)))
    assert body["session_date"] == tokyo.strftime("%d/%m/%Y") and body["comments"] == {}


# ---- summary
def test_summary_values_come_from_the_engine_in_metres(api, people, lift):
    body = get(api, "summary", lift, people.token("lifter")).json()
    assert body["exercise_type"] == "Snatch"
    velocity = body["velocity"]["bar_velocity"]
    assert velocity["max"] == RESULT["metrics"]["max_bar_speed"] == max(present(velocity["values"]))
    assert velocity["min"] == min(present(velocity["values"]))
    assert body["power"]["power"]["max"] == pytest.approx(RESULT["metrics"]["max_power"], abs=0.1)
    assert body["power"]["ground_reaction_force"]["max"] == pytest.approx(RESULT["metrics"]["max_GRF"], abs=0.1)
    stability = body["stability"]
    assert stability["total_time"] == RESULT["metrics"]["lift_duration_s"]
    assert stability["bar_height"]["max"] == max(present(window(RESULT["bar"]["height_m"])))  # standing, overhead
    assert stability["bar_trajectory"]["yAxis"] == window(RESULT["bar"]["height_m"])
    assert stability["bar_trajectory"]["xAxis"] == window(RESULT["bar"]["x_m"])
    assert "summary_text" not in body


# ---- rules
@pytest.mark.parametrize("kind", ["export", "analysis", "summary"])
@pytest.mark.parametrize(
    "caller, status",
    [("lifter", 200), ("admin", 200), ("coach", 200), ("rival-coach", 403), ("teammate", 403), ("outsider", 403)],
)
def test_who_may_read_the_payloads(api, people, lift, kind, caller, status):
    r = get(api, kind, lift, people.token(caller))
    assert r.status_code == status, r.text


@pytest.mark.parametrize("kind, status", [("analysis", 403), ("summary", 403), ("export", 200), ("details", 200)])
def test_analysis_and_summary_need_the_owners_active_plan(api, people, lift, kind, status):
    client().collection("users").document("lifter").update({"plan.active_until": datetime.now(UTC) - timedelta(days=1)})
    r = get(api, kind, lift, people.token("lifter"))
    assert r.status_code == status, r.text
    if status == 403:
        assert r.json() == {"error": "an active plan is required"}
    assert get(api, kind, lift, people.token("admin")).status_code == 200  # admins need no plan


@pytest.mark.parametrize("kind", ["export", "analysis", "summary"])
def test_unknown_sessions_and_other_activities_are_404(api, people, kind):
    client().collection("sessions").document("run1").set({**new_session("lifter", "done"), "activity": "Running"})
    for session_id in ("nope", "run1"):
        r = get(api, kind, session_id, people.token("admin"))
        assert r.status_code == 404 and r.json() == {"error": f"session {session_id} not found"}


@pytest.mark.parametrize("kind", ["export", "analysis", "summary"])
def test_a_failed_session_is_409_with_why_it_failed_not_a_promise(api, people, kind):
    client().collection("sessions").document("f1").set(
        {**new_session("lifter", "failed"), "error": {"code": "not_side_view", "message": "Film from the side."}}
    )
    r = get(api, kind, "f1", people.token("lifter"))
    assert r.status_code == 409
    assert r.json() == {"error": "analysis failed: Film from the side.", "status": "failed", "code": "not_side_view"}
    details = api.session("f1", people.token("lifter")).json()
    assert details["status"] == "failed" and details["error"] == {
        "code": "not_side_view",
        "message": "Film from the side.",
    }


@pytest.mark.parametrize("kind", ["export", "analysis", "summary"])
def test_a_session_not_yet_done_is_409_with_its_progress(api, people, kind):
    client().collection("sessions").document("p1").set({**new_session("lifter", "processing"), "progress": 37.5})
    r = get(api, kind, "p1", people.token("lifter"))
    assert r.status_code == 409
    assert r.json() == {"error": "the session is not analysed yet", "status": "processing", "progress": 37.5}


@pytest.mark.parametrize("kind", ["export", "analysis", "summary", "details"])
def test_demo_true_serves_the_demo_on_every_get(api, people, kind):
    demo.install(Repository(), Storage())
    client().collection("users").document("outsider").update({"plan": None})  # no plan needed for the demo
    r = get(api, kind, "whatever", people.token("outsider"), demo="true")
    assert r.status_code == 200, r.text
    if kind == "export":
        assert r.json()["all_timestamps"] == RESULT["timestamps_s"]


@pytest.mark.parametrize("kind", ["export", "analysis", "summary"])
def test_the_payloads_need_a_token(api, people, lift, kind):
    r = get(api, kind, lift, None)
    assert r.status_code == 401


@pytest.mark.parametrize("outcome", ["complete", "missed", "no_lift"])
def test_details_analysis_and_summary_say_how_the_lift_ended(api, people, lift, outcome):
    """A no_lift or missed session is told apart from a good one in every payload, not only
    inside the analysis' quality."""
    client().collection("sessions").document(lift).update({"metrics.outcome": outcome})
    token = people.token("lifter")
    for kind in ("details", "analysis", "summary"):
        assert get(api, kind, lift, token).json()["outcome"] == outcome, kind
    assert RESULT["metrics"]["outcome"] == "complete"  # the engine's own word on the demo lift


def test_a_running_session_has_no_outcome_yet(api, people):
    client().collection("sessions").document("p2").set({**new_session("lifter", "processing"), "progress": 10})
    assert get(api, "details", "p2", people.token("lifter")).json()["outcome"] is None


def test_the_demo_carries_coaching_text_in_both_unit_systems(api, people):
    demo.install(Repository(), Storage())
    token = people.token("outsider")
    texts = {
        system: get(api, "summary", "x", token, demo="true", measurement_system=system).json()["summary_text"]
        for system in ("metric", "imperial")
    }
    assert set(texts["metric"]) == set(texts["imperial"]) == {"velocity", "power", "stability", "final_summary"}
    assert "m/s" in texts["metric"]["velocity"] and "ft/s" in texts["imperial"]["velocity"]
    comments = get(api, "analysis", "x", token, demo="true", measurement_system="imperial").json()["comments"]
    assert len(comments) == 12 and "ft/s" in comments["barbell_velocity"]


# ---- numbers only
@pytest.fixture
def gappy_lift(people, tmp_path) -> tuple[str, dict]:
    """A finished snatch whose bar lost 5 frames (filled), near hip angle 20 (cut short) and
    near knee angle all of them (left out), stored through the job's publish step."""
    result = gappy()
    shutil.copytree(demo.DEMO_DIR, tmp_path / "run")
    (tmp_path / "run" / "result.json").write_text(json.dumps(result))
    session = {k: v for k, v in new_session("lifter").items() if k not in ("status", "progress", "video")}
    assert demo.store_finished(Repository(), Storage(), "gappy1", session, tmp_path / "run")
    return "gappy1", result


def test_every_payload_of_a_lift_with_gaps_holds_numbers_only(api, people, gappy_lift):
    """Each response is checked against the OpenAPI document, whose series allow no null."""
    session_id, result = gappy_lift
    token, side = people.token("lifter"), result["quality"]["near_side"]
    ms = [round(v * 1000) for v in result["timestamps_s"]]
    bodies = {kind: get(api, kind, session_id, token).json() for kind in PATHS}
    assert bodies["analysis"]["quality"]["gaps"]["key_metrics.barbell_velocity"] == [[ms[30], ms[34]]]
    # (the series read from the demo's guessed first frames are cut where they start)
    start = ms[result["quality"]["unmeasured_angles"][f"{side}kne_angle"][0]["end_frame"] + 1]
    cut = dict(bodies["analysis"]["quality"]["cut"])
    assert cut.pop("joint_angles.hip_angle") == [ms[0], ms[59]]
    assert {span[0] for span in cut.values()} <= {start}
    assert "joint_angles.knee_angle" in bodies["analysis"]["quality"]["unmeasured"]
    assert bodies["summary"]["quality"]["gaps"] == {
        f"{name}": [[ms[30], ms[34]]]
        for name in ("stability.bar_height", "velocity.bar_velocity", "power.power", "stability.bar_trajectory.xAxis")
    }
    assert f"angles.{side}kne_angle" in bodies["details"]["quality"]["unmeasured"]
    cut = dict(bodies["export"]["quality"]["cut"])
    assert cut.pop(f"angles.{side}hip_angle") == [ms[0], ms[59]]
    assert {span[0] for span in cut.values()} <= {start}
    assert len(bodies["details"]["report_metrics"]["barbell_velocity"]) == len(ms)
    rows = list(csv.reader(io.StringIO(get(api, "export", session_id, token, format="csv").text)))
    assert f"{side}kne_angle" not in rows[0] and all(row[rows[0].index("bar_speed_mps")] for row in rows[1:])
