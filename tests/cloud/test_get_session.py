"""GET /weightlifting/sessions/{id}/: access rules, status while not done, demo."""

from __future__ import annotations

import json
import time

import pytest

from shared import demo
from shared.adapters.repository import Repository, client
from shared.adapters.storage import Storage
from tests.cloud.fixtures import forged_token, new_session


@pytest.fixture
def queued(people) -> str:
    client().collection("sessions").document("q1").set(
        {
            **new_session("lifter", "processing"),
            "progress": 42.5,
            "stage": "measuring",
            "video": {"path": "videos/lifter/q1/original.mp4"},
        }
    )
    return "q1"


@pytest.mark.parametrize(
    "caller, status",
    [
        ("lifter", 200),  # the owner
        ("admin", 200),
        ("coach", 200),  # sub_admin of the owner's org
        ("rival-coach", 403),  # sub_admin of another org
        ("teammate", 403),  # another user, same org
        ("outsider", 403),
    ],
)
def test_who_may_read_a_session(api, people, queued, caller, status):
    r = api.session(queued, people.token(caller))
    assert r.status_code == status, r.text
    if status == 403:
        assert r.json() == {"error": "you may not read this session"}


def test_a_session_in_progress_shows_status_and_progress(api, people, queued):
    details = api.session(queued, people.token("lifter")).json()
    assert details["status"] == "processing" and details["progress"] == 42.5 and details["stage"] == "measuring"
    assert details["analyzed_video_url"] is None and details["metrics"] == {} and details["all_timestamps"] == []
    assert details["video_url"].startswith("http://127.0.0.1:")


def test_a_failed_session_shows_its_error(api, people):
    client().collection("sessions").document("f1").set(
        {**new_session("lifter", "failed"), "error": {"code": "no_lifter_found", "message": "No person was found"}}
    )
    details = api.session("f1", people.token("lifter")).json()
    assert details["status"] == "failed" and details["error"]["code"] == "no_lifter_found"


def test_unknown_sessions_and_other_activities_are_404(api, people):
    client().collection("sessions").document("run1").set({**new_session("lifter", "done"), "activity": "Running"})
    for session_id in ("does-not-exist", "run1"):
        r = api.session(session_id, people.token("admin"))
        assert r.status_code == 404 and r.json()["error"] == f"session {session_id} not found"


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer garbage"])
def test_reading_needs_a_valid_token(api, people, queued, header):
    headers = {} if header is None else {"Authorization": header}
    r = api.request("GET", f"/weightlifting/sessions/{queued}/", headers=headers)
    assert r.status_code == 401 and r.json()["error"]


def test_an_expired_token_cannot_read(api, people, queued):
    r = api.session(queued, forged_token(people.token("lifter"), exp=int(time.time()) - 1))
    assert r.status_code == 401 and r.json()["error"] == "token expired"


def test_demo_true_serves_the_demo_session_made_by_the_pipeline(api, people):
    demo.install(Repository(), Storage())
    r = api.session("anything", people.token("outsider"), demo="true")
    assert r.status_code == 200, r.text
    details = r.json()
    result = json.loads((demo.DEMO_DIR / "result.json").read_text())
    assert details["session_id"] == "demo-snatch" and details["status"] == "done"
    assert details["metrics"]["max_bar_speed"] == result["metrics"]["max_bar_speed"]
    assert details["all_timestamps"] == result["timestamps_s"]
    assert details["analyzed_video_url"] and details["video_url"]


def test_demo_without_the_demo_installed_is_404_and_a_bad_flag_is_400(api, people):
    assert api.session("x", people.token("lifter"), demo="true").status_code == 404
    r = api.session("x", people.token("lifter"), demo="maybe")
    assert r.status_code == 400 and r.json() == {"error": "demo must be true or false"}
