"""POST /weightlifting/sessions/: every documented status, against the real emulators."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from infra.local.accounts import create_user
from shared.adapters.repository import client
from shared.adapters.storage import Storage
from tests.cloud.fixtures import SAMPLE, forged_token


def stored_sessions() -> list:
    return list(client().collection("sessions").stream())


def stored_videos() -> list:
    return [b.name for b in Storage().bucket.list_blobs(prefix="videos/")]


def test_admin_creates_a_session_for_a_lifter_and_the_video_lands_in_storage(api, people):
    r = api.upload(
        people.token("admin"),
        user_id="lifter",
        session_name="Heavy single",
        barbell_mass="102.5",
        body_joint_angles="knee, hip",
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"session_id", "title"} and body["title"] == "Heavy single"
    doc = client().collection("sessions").document(body["session_id"]).get().to_dict()
    assert doc["user_id"] == "lifter" and doc["created_by"] == "admin" and doc["activity"] == "Weightlifting"
    assert doc["barbell_mass_kg"] == 102.5 and doc["joints"] == ["knee", "hip"] and doc["exercise"] == "snatch"
    assert doc["video"]["path"] == f"videos/lifter/{body['session_id']}/original.mp4"
    assert doc["video"]["duration_s"] == pytest.approx(3.33, abs=0.01) and doc["video"]["width"] == 1280
    assert doc["video"]["path"] in stored_videos()


def test_defaults_title_bar_mass_and_joints(api, people):
    r = api.upload(people.token("lifter"), user_id="lifter", exercise_name="clean_and_jerk")
    assert r.status_code == 200, r.text
    doc = client().collection("sessions").document(r.json()["session_id"]).get().to_dict()
    assert r.json()["title"].startswith("Clean & Jerk · ")
    assert doc["barbell_mass_kg"] == 100.0 and doc["joints"] == ["all"]


def test_imperial_users_give_the_bar_in_pounds(api, people):
    client().collection("users").document("lifter").update({"units": "imperial"})
    default = api.upload(people.token("lifter"), user_id="lifter").json()["session_id"]
    given = api.upload(people.token("lifter"), user_id="lifter", barbell_mass="225").json()["session_id"]
    sessions = client().collection("sessions")
    assert sessions.document(default).get().get("barbell_mass_kg") == pytest.approx(99.79, abs=0.01)  # 220 lb
    assert sessions.document(given).get().get("barbell_mass_kg") == pytest.approx(102.06, abs=0.01)


def test_a_retried_post_with_the_same_idempotency_key_creates_one_session(api, people):
    headers = {"Idempotency-Key": "upload-42"}
    first = api.request(
        "POST",
        "/weightlifting/sessions/",
        people.token("lifter"),
        headers=dict(headers),
        data={"user_id": "lifter", "exercise_name": "snatch"},
        files={"video": ("a.mp4", SAMPLE.read_bytes(), "video/mp4")},
    )
    again = api.request(
        "POST",
        "/weightlifting/sessions/",
        people.token("lifter"),
        headers=dict(headers),
        data={"user_id": "lifter", "exercise_name": "snatch"},
        files={"video": ("a.mp4", SAMPLE.read_bytes(), "video/mp4")},
    )
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert len(stored_sessions()) == 1


@pytest.mark.parametrize(
    "fields, video, message",
    [
        ({"user_id": None}, SAMPLE, "user_id is required"),
        ({"user_id": "../etc"}, SAMPLE, "user_id is not a valid user id"),
        ({"user_id": "lifter", "exercise_name": None}, SAMPLE, "exercise_name is required"),
        ({"user_id": "lifter", "exercise_name": "deadlift"}, SAMPLE, "exercise_name must be one of"),
        ({"user_id": "lifter", "barbell_mass": "heavy"}, SAMPLE, "barbell_mass must be a number"),
        ({"user_id": "lifter", "barbell_mass": "-20"}, SAMPLE, "barbell_mass must be between"),
        ({"user_id": "lifter", "barbell_mass": "nan"}, SAMPLE, "barbell_mass must be between"),
        ({"user_id": "lifter", "body_joint_angles": "knee,wrist"}, SAMPLE, "body_joint_angles: unknown joint(s) wrist"),
        ({"user_id": "lifter", "session_name": "x" * 121}, SAMPLE, "session_name is longer than 120"),
        ({"user_id": "lifter"}, None, "video is required"),
        ({"user_id": "lifter"}, b"", "video is empty"),
        ({"user_id": "lifter"}, b"\x89PNG\r\n\x1a\n" + b"\0" * 200, "video: not an MP4 or QuickTime video"),
        ({"user_id": "lifter"}, SAMPLE.read_bytes()[:40000], "video: the file is damaged or truncated"),
        ({"user_id": "nobody-here"}, SAMPLE, "user_id: no such user"),
    ],
)
def test_invalid_fields_answer_400_naming_the_field_and_store_nothing(api, people, fields, video, message):
    r = api.upload(people.token("admin"), video=video, **fields)
    assert r.status_code == 400, r.text
    assert message in r.json()["error"]
    assert stored_sessions() == [] and stored_videos() == []


def test_a_video_over_the_size_limit_is_refused_with_a_pointer_to_the_upload_url(api, people, monkeypatch):
    monkeypatch.setenv("LIFTLAB_MAX_UPLOAD_BYTES", str(100_000))
    r = api.upload(people.token("lifter"), user_id="lifter")
    assert r.status_code == 400 and "upload-url" in r.json()["error"]
    assert stored_sessions() == []


def test_a_video_over_the_duration_limit_is_refused(api, people, monkeypatch):
    monkeypatch.setenv("LIFTLAB_MAX_VIDEO_DURATION_S", "2")
    r = api.upload(people.token("lifter"), user_id="lifter")
    assert r.status_code == 400 and "longer than the 2 s limit" in r.json()["error"]


def test_multipart_without_a_boundary_is_a_400(api, people):
    r = api.request(
        "POST",
        "/weightlifting/sessions/",
        people.token("lifter"),
        headers={"Content-Type": "multipart/form-data"},
        data=b"user_id=lifter",
    )
    assert r.status_code == 400 and "error" in r.json()


@pytest.mark.parametrize("header", [None, "", "Bearer", "Basic abc", "Bearer not-a-jwt", "Bearer a.b.c"])
def test_missing_or_malformed_tokens_are_401(api, people, header):
    headers = {} if header is None else {"Authorization": header}
    r = api.request("POST", "/weightlifting/sessions/", headers=headers, data={"user_id": "lifter"})
    assert r.status_code == 401 and r.json()["error"]
    assert stored_sessions() == []


def test_an_expired_token_is_401(api, people):
    expired = forged_token(people.token("admin"), exp=int(time.time()) - 60)
    r = api.upload(expired, user_id="lifter")
    assert r.status_code == 401 and r.json()["error"] == "token expired"


def test_a_token_for_another_project_is_401(api, people):
    r = api.upload(forged_token(people.token("admin"), aud="someone-elses-project"), user_id="lifter")
    assert r.status_code == 401 and r.json()["error"] == "invalid token"


def test_a_revoked_token_is_401(api, people):
    from firebase_admin import auth as firebase_auth

    from shared.adapters.auth import app

    token = people.token("outsider")
    time.sleep(1.1)  # revocation has one-second granularity
    firebase_auth.revoke_refresh_tokens("outsider", app=app())
    r = api.upload(token, user_id="outsider")
    assert r.status_code == 401 and r.json()["error"] == "token revoked"


@pytest.mark.parametrize(
    "caller, user_id, status",
    [
        ("admin", "lifter", 200),
        ("admin", "outsider", 200),
        ("coach", "lifter", 200),  # sub_admin inside its org
        ("coach", "outsider", 403),  # sub_admin outside its org
        ("rival-coach", "lifter", 403),
        ("lifter", "lifter", 200),  # anyone for themself
        ("teammate", "lifter", 403),  # a plain user for someone else
        ("outsider", "lifter", 403),
    ],
)
def test_who_may_create_sessions_for_whom(api, people, caller, user_id, status):
    r = api.upload(people.token(caller), user_id=user_id)
    assert r.status_code == status, r.text
    if status == 403:
        assert r.json()["error"] and stored_sessions() == []


@pytest.mark.parametrize("caller", ["teammate", "rival-coach", "outsider"])
@pytest.mark.parametrize("video", [SAMPLE, SAMPLE.read_bytes()[:40000], b"\x89PNG\r\n\x1a\n" + b"\0" * 200])
def test_a_refused_caller_is_refused_before_the_video_is_read(api, people, caller, video):
    """A damaged video answers 403 like a good one: access is checked before the video is
    probed (which would answer 400), and nothing reaches Storage."""
    r = api.upload(people.token(caller), user_id="lifter", video=video, barbell_mass="heavy")
    assert r.status_code == 403, r.text
    assert stored_sessions() == [] and stored_videos() == []


def test_every_bad_field_is_named_at_once_and_the_video_is_read_only_after(api, people):
    damaged = SAMPLE.read_bytes()[:40000]  # would answer "the file is damaged" if it were probed
    r = api.upload(
        people.token("lifter"),
        user_id="lifter",
        exercise_name="deadlift",
        barbell_mass="heavy",
        session_name="x" * 121,
        video=damaged,
    )
    assert r.status_code == 400
    body = r.json()
    assert set(body["fields"]) == {"exercise_name", "barbell_mass", "session_name"}
    assert "damaged" not in body["error"] and all(m in body["error"] for m in body["fields"].values())
    assert stored_sessions() == [] and stored_videos() == []


def test_a_profile_limit_of_zero_allows_no_sessions(api, people):
    create_user("no-sessions", profile={"max_sessions_per_month": 0})
    r = api.upload(people.token("admin"), user_id="no-sessions")
    assert r.status_code == 404 and r.json() == {"error": "session limit reached", "limit": 0}
    assert stored_sessions() == [] and stored_videos() == []


def test_the_monthly_session_limit_answers_404(api, people):
    create_user("capped", profile={"max_sessions_per_month": 1})
    assert api.upload(people.token("admin"), user_id="capped").status_code == 200
    r = api.upload(people.token("admin"), user_id="capped")
    assert r.status_code == 404
    assert r.json() == {"error": "session limit reached", "limit": 1}
    assert len(stored_sessions()) == 1


def test_the_limit_holds_exactly_under_concurrent_uploads(api, people):
    """12 of 20 simultaneous uploads for a user allowed 12: one quota slot each, none over."""
    create_user("burst", profile={"max_sessions_per_month": 12})
    token = people.token("admin")
    with ThreadPoolExecutor(20) as pool:
        codes = sorted(pool.map(lambda _: api.upload(token, user_id="burst").status_code, range(20)))
    assert codes == [200] * 12 + [404] * 8
    assert len(stored_sessions()) == 12


def test_other_methods_and_paths_are_json_errors(api, people):
    r = api.request("PUT", "/weightlifting/sessions/", people.token("admin"))
    assert r.status_code == 405 and "error" in r.json()
    r = api.request("GET", "/weightlifting/nothing-here/", people.token("admin"))
    assert r.status_code == 404 and "error" in r.json()
