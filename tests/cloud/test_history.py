"""History on the local stack: the session list, progress and compare, with a lifter seeded
with 9 real analysed snatches at 4 loads (the demo history and the demo lift, engine runs
stored through the job's publish step). Every response is checked against the OpenAPI
document."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pytest

from shared import demo
from shared.adapters.repository import Repository, client
from shared.adapters.storage import Storage
from tests.cloud.contract import check
from tests.cloud.fixtures import new_session

LIST = "/weightlifting/sessions/"
PROGRESS = "/weightlifting/users/{user_id}/progress/"
COMPARE = "/weightlifting/sessions/compare/"
NOW = datetime.now(UTC).replace(microsecond=0)


def get(api, path: str, token: str | None, template: str | None = None, **params):
    return check(api.request("GET", path, token, params=params), "GET", template or path)


def runs() -> list[tuple[str, object]]:
    """(session id, result folder): the 8 history lifts and the demo lift (100 kg)."""
    return [(sid, demo.HISTORY_DIR / sid) for sid, *_ in demo.HISTORY] + [("lifter-demo", demo.DEMO_DIR)]


def result_of(folder) -> dict:
    return json.loads((folder / "result.json").read_text())


@pytest.fixture
def seeded(people) -> dict:
    """The lifter's 9 sessions, a day apart (two share a moment, to test the tie), a teammate's
    running session and one of the outsider's. Returns {session_id: result}."""
    out = {}
    for i, (sid, folder) in enumerate(runs()):
        result = result_of(folder)
        created = NOW - timedelta(days=len(runs()) - i) if i != 1 else NOW - timedelta(days=len(runs()))
        session = {
            **{k: v for k, v in new_session("lifter").items() if k not in ("status", "progress", "video")},
            "org_id": "club-a",
            "barbell_mass_kg": result["bar_mass_kg"],
            "title": sid,
        }
        assert demo.store_finished(Repository(), Storage(), sid, session, folder, video=None, created=created)
        out[sid] = result
    client().collection("sessions").document("team-run").set(
        {**new_session("teammate", "processing"), "org_id": "club-a", "progress": 40.0}
    )
    client().collection("sessions").document("out-1").set({**new_session("outsider", "queued")})
    client().collection("sessions").document("run-1").set({**new_session("lifter", "done"), "activity": "Running"})
    return out


def newest_first(seeded: dict) -> list[str]:
    docs = [client().collection("sessions").document(sid).get() for sid in seeded]
    return [d.id for d in sorted(docs, key=lambda d: (d.get("created_at"), d.id), reverse=True)]


# ---- list
def test_the_list_paginates_without_repeats_or_gaps(api, people, seeded):
    token, seen, page_token, pages = people.token("lifter"), [], None, 0
    while True:
        params = {"limit": 2, **({"page_token": page_token} if page_token else {})}
        body = get(api, LIST, token, **params).json()
        assert len(body["sessions"]) <= 2
        seen += [s["session_id"] for s in body["sessions"]]
        page_token, pages = body["next_page_token"], pages + 1
        if page_token is None:
            break
    assert seen == newest_first(seeded) and pages == 5  # 9 sessions, 2 a page, the tie kept apart


def test_a_list_item_carries_the_headline_and_a_thumbnail(api, people, seeded):
    body = get(api, LIST, people.token("lifter"), limit=1).json()
    item = body["sessions"][0]
    result = seeded[item["session_id"]]
    assert item["max_bar_speed"] == result["metrics"]["max_bar_speed"]
    assert item["peak_bar_height"] == result["metrics"]["peak_bar_height"]
    assert item["max_power"] == result["metrics"]["max_power"]
    assert item["barbell_mass"] == {"value": result["bar_mass_kg"], "unit": "kg"}
    assert (item["status"], item["outcome"], item["lifts"], item["exercise_name"]) == ("done", "complete", 1, "Snatch")
    import requests

    image = requests.get(item["thumbnail_url"], timeout=30)
    assert image.status_code == 200 and image.content[:2] == b"\xff\xd8"


def test_the_list_filters(api, people, seeded):
    token = people.token("lifter")
    assert get(api, LIST, token, exercise="clean").json()["sessions"] == []
    assert len(get(api, LIST, token, status="done").json()["sessions"]) == 9
    day = (NOW - timedelta(days=3)).astimezone(timezone(timedelta(hours=9))).date().isoformat()  # Tokyo days
    one_day = get(api, LIST, token, **{"from": day, "to": day}).json()["sessions"]
    assert [s["session_id"] for s in one_day] == [newest_first(seeded)[2]]
    r = get(api, LIST, token, exercise="deadlift", limit="0", page_token="garbage")
    assert r.status_code == 400 and set(r.json()["fields"]) == {"exercise", "limit", "page_token"}


@pytest.mark.parametrize(
    "caller, user_id, status, count",
    [
        ("lifter", "lifter", 200, 9),
        ("lifter", None, 200, 9),
        ("teammate", "lifter", 403, 0),
        ("coach", "lifter", 200, 9),
        ("coach", None, 200, 10),
        ("rival-coach", "lifter", 403, 0),
        ("rival-coach", None, 200, 0),
        ("admin", "lifter", 200, 9),
        ("admin", None, 200, 11),
        ("outsider", None, 200, 1),
    ],
)
def test_who_may_list_whose_sessions(api, people, seeded, caller, user_id, status, count):
    params = {"limit": 100, **({"user_id": user_id} if user_id else {})}
    r = get(api, LIST, people.token(caller), **params)
    assert r.status_code == status, r.text
    if status == 200:
        assert len(r.json()["sessions"]) == count
    else:
        assert r.json() == {"error": "you may not list this user's sessions"}


def test_the_list_needs_a_token_and_an_existing_user(api, people, seeded):
    assert get(api, LIST, None).status_code == 401
    r = get(api, LIST, people.token("admin"), user_id="nobody")
    assert r.status_code == 404 and r.json() == {"error": "user nobody not found"}
    assert get(api, LIST, people.token("coach"), user_id="nobody").status_code == 403  # no existence leak


# ---- progress
def progress(api, token, user_id="lifter", **params):
    return get(api, PROGRESS.format(user_id=user_id), token, PROGRESS, **params)


def test_the_profile_matches_a_hand_computation(api, people, seeded):
    body = progress(api, people.token("lifter"), exercise="snatch").json()
    points = [(r["bar_mass_kg"], r["metrics"]["max_bar_speed"]) for r in seeded.values()]
    slope, intercept = np.polyfit([p[0] for p in points], [p[1] for p in points], 1)
    lv = body["load_velocity"]
    assert lv["status"] == "ok" and lv["line"]["n"] == 9 and lv["line"]["loads"] == 4
    assert lv["line"]["slope"] == pytest.approx(slope) and lv["line"]["intercept"] == pytest.approx(intercept)
    assert slope < 0
    assert lv["estimated_max"]["barbell_mass"] == pytest.approx((1.5 - intercept) / slope, abs=0.05)
    assert lv["estimated_max"]["low"] <= lv["estimated_max"]["barbell_mass"] <= lv["estimated_max"]["high"]
    assert sorted((p["barbell_mass"], p["max_bar_speed"]) for p in lv["points"]) == sorted(points)


def test_the_records_link_to_the_right_sessions(api, people, seeded):
    records = progress(api, people.token("lifter"), exercise="snatch").json()["records"]
    heaviest = max(r["bar_mass_kg"] for r in seeded.values())
    latest_heaviest = [sid for sid in newest_first(seeded) if seeded[sid]["bar_mass_kg"] == heaviest][0]
    assert records["heaviest_made"]["session_id"] == latest_heaviest
    assert records["heaviest_made"]["barbell_mass"] == heaviest
    for record in records["fastest_at_load"]:
        at_load = {sid: r for sid, r in seeded.items() if r["bar_mass_kg"] == record["barbell_mass"]}
        best = max(at_load, key=lambda sid: at_load[sid]["metrics"]["max_bar_speed"])
        assert record["session_id"] == best
    best_power = max(seeded, key=lambda sid: seeded[sid]["metrics"]["max_power"])
    assert records["highest_power"]["session_id"] == best_power


def test_progress_in_imperial_and_with_the_lifters_own_threshold(api, people, seeded):
    metric = progress(api, people.token("lifter"), exercise="snatch", mvt="1.6").json()["load_velocity"]
    imperial = progress(
        api, people.token("lifter"), exercise="snatch", measurement_system="imperial", mvt=str(1.6 * 3.28084)
    ).json()["load_velocity"]
    assert metric["mvt"]["source"] == "query"
    assert imperial["estimated_max"]["barbell_mass"] == pytest.approx(
        metric["estimated_max"]["barbell_mass"] * 2.20462, abs=0.2
    )


def test_progress_rejects_a_bad_request(api, people, seeded):
    token = people.token("lifter")
    assert progress(api, token).status_code == 400  # exercise is required
    assert progress(api, token, exercise="deadlift").status_code == 400
    assert progress(api, token, exercise="snatch", mvt="fast").status_code == 400
    assert progress(api, token, exercise="snatch", measurement_system="cubits").status_code == 400
    assert progress(api, None, exercise="snatch").status_code == 401
    assert progress(api, people.token("admin"), user_id="nobody", exercise="snatch").status_code == 404


@pytest.mark.parametrize(
    "caller, status", [("lifter", 200), ("teammate", 403), ("coach", 200), ("rival-coach", 403), ("admin", 200)]
)
def test_who_may_read_progress(api, people, seeded, caller, status):
    r = progress(api, people.token(caller), exercise="snatch")
    assert r.status_code == status, r.text


def test_a_lifter_without_lifts_has_not_enough_data(api, people, seeded):
    body = progress(api, people.token("teammate"), user_id="teammate", exercise="snatch").json()
    assert body["load_velocity"]["status"] == "not_enough_data" and body["made_lifts"] == 0


# ---- compare
def test_compare_aligns_both_paths_at_liftoff(api, people, seeded):
    a, b = "demo-history-1", "demo-history-8"
    body = get(api, COMPARE, people.token("lifter"), a=a, b=b).json()
    for side, sid in (("a", a), ("b", b)):
        result, path = seeded[sid], body[side]["bar_path"]
        liftoff = result["landmarks"]["liftoff"]
        assert path["t_s"][0] == 0.0 and path["height_m"][0] == pytest.approx(
            result["bar"]["height_m"][liftoff], abs=1e-4
        )
        assert path["x_m"][0] == pytest.approx(result["bar"]["x_m"][liftoff], abs=1e-4)
        t, peak = result["timestamps_s"], result["landmarks"]["peak_bar_height"]
        at_peak = path["t_s"].index(round(t[peak] - t[liftoff], 4))
        assert path["height_m"][at_peak] == pytest.approx(result["metrics"]["peak_bar_height"], abs=0.001)
        assert len(path["t_s"]) == len(path["x_m"]) == len(path["height_m"])
    ma, mb = seeded[a]["metrics"], seeded[b]["metrics"]
    assert body["metrics"]["max_bar_speed"]["difference"] == pytest.approx(mb["max_bar_speed"] - ma["max_bar_speed"])
    assert {p["phase"] for p in body["phase_durations_s"]} == set(ma["phase_durations_s"])


def test_compare_refuses_what_it_cannot_compare(api, people, seeded):
    token = people.token("lifter")
    assert get(api, COMPARE, token, a="demo-history-1").status_code == 400
    assert get(api, COMPARE, token, a="demo-history-1", b="nope").status_code == 404
    assert get(api, COMPARE, token, a="demo-history-1", b="demo-history-2", lift="1").status_code == 404
    assert get(api, COMPARE, token, a="demo-history-1", b="demo-history-2", lift="x").status_code == 400
    client().collection("sessions").document("own-run").set({**new_session("lifter", "processing"), "progress": 5.0})
    r = get(api, COMPARE, token, a="demo-history-1", b="own-run")
    assert r.status_code == 409 and r.json()["status"] == "processing"
    assert get(api, COMPARE, None, a="demo-history-1", b="demo-history-2").status_code == 401


@pytest.mark.parametrize(
    "caller, b, status",
    [
        ("lifter", "demo-history-2", 200),
        ("teammate", "demo-history-2", 403),
        ("coach", "demo-history-2", 200),
        ("rival-coach", "demo-history-2", 403),
        ("admin", "demo-history-2", 200),
        ("lifter", "out-1", 403),
    ],
)
def test_the_caller_must_be_allowed_to_read_both(api, people, seeded, caller, b, status):
    r = get(api, COMPARE, people.token(caller), a="demo-history-1", b=b)
    assert r.status_code == status, r.text


# ---- the demo history
def test_demo_true_shows_the_demo_lifters_real_profile(api, people):
    demo.install(Repository(), Storage())
    token = people.token("outsider")
    listed = get(api, LIST, token, demo="true", limit=100).json()["sessions"]
    assert len(listed) == len(demo.HISTORY) + 1
    body = progress(api, token, user_id="anyone", exercise="snatch", demo="true").json()
    assert body["load_velocity"]["status"] == "ok" and body["load_velocity"]["line"]["loads"] == 4
