"""The cloud path end to end: upload -> storage event -> job -> done, and how it fails."""

from __future__ import annotations

import json
import os
import signal
import time
import urllib.request

import requests

from shared.adapters.repository import client
from shared.adapters.storage import Storage
from shared.formatters import results
from tests.cloud.fixtures import SAMPLE, deliver, new_session


def task(stack, session_id: str) -> dict:
    with urllib.request.urlopen(f"{stack.dispatcher.url}/tasks/analyze-{session_id}", timeout=5) as r:
        return json.loads(r.read())


def series_documents(session_id: str) -> list:
    return list(client().collection("sessions").document(session_id).collection("series").stream())


def test_upload_is_analysed_through_the_storage_event_to_done(api, people):
    token = people.token("coach")
    r = api.upload(token, user_id="lifter", body_joint_angles="knee,hip")
    assert r.status_code == 200, r.text
    session_id = r.json()["session_id"]
    seen = []
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        details = api.session(session_id, token).json()
        if not seen or seen[-1] != details["status"]:
            seen.append(details["status"])
        if details["status"] in ("done", "failed"):
            break
        time.sleep(0.1)
    assert details["status"] == "done", details
    assert "processing" in seen and seen[-1] == "done"
    assert task(api.stack, session_id)["attempts"] == 1  # started by the event, once

    doc = client().collection("sessions").document(session_id).get().to_dict()
    result = json.loads(Storage().bucket.blob(doc["result_path"]).download_as_bytes())
    assert details["metrics"]["max_bar_speed"] == result["metrics"]["max_bar_speed"] > 1.0
    assert details["all_timestamps"] == result["timestamps_s"] and len(details["all_timestamps"]) == 100
    assert set(details["angles"]) == {"lkne_angle", "rkne_angle", "lhip_angle", "rhip_angle"}
    assert details["angles"]["lkne_angle"] == result["angles"]["lkne_angle"]
    assert details["report_metrics"]["barbell_velocity"] == result["bar"]["speed_mps"]
    assert details["user_name"] == "Lena Lifter" and details["activity"] == "Weightlifting"
    assert [p["name"] for p in details["phases"]] == [p["name"] for p in result["phases"]]

    analyzed = requests.get(details["analyzed_video_url"], timeout=30)
    assert analyzed.status_code == 200 and analyzed.content[4:8] == b"ftyp"
    assert requests.get(details["video_url"], timeout=30).content == SAMPLE.read_bytes()
    assert "X-Goog-Expires=3600" in details["video_url"] and "X-Goog-Signature=" in details["video_url"]
    phase_images = doc["phase_images"]
    assert set(phase_images) == {p["name"] for p in result["phases"]}
    assert all(Storage().bucket.blob(path).exists() for path in phase_images.values())
    chunks = [c.to_dict() for c in series_documents(session_id)]
    assert results.join_chunks(chunks)["bar"] == result["bar"]


def test_created_at_is_shown_in_the_users_timezone(api, people):
    session_id = api.upload(people.token("lifter"), user_id="lifter").json()["session_id"]
    created = client().collection("sessions").document(session_id).get().get("created_at")
    details = api.session(session_id, people.token("lifter")).json()
    tokyo = created.timestamp() + 9 * 3600  # Asia/Tokyo, no daylight saving
    assert details["created_at"] == {
        "date": time.strftime("%d/%m/%Y", time.gmtime(tokyo)),
        "time": time.strftime("%I:%M %p", time.gmtime(tokyo)),
    }


def test_large_videos_go_through_a_resumable_upload_url_into_the_same_flow(api, people):
    token = people.token("lifter")
    r = api.request(
        "POST",
        "/weightlifting/sessions/upload-url/",
        token,
        json={
            "user_id": "lifter",
            "exercise_name": "clean",
            "content_type": "video/mp4",
            "size_bytes": SAMPLE.stat().st_size,
        },
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["method"] == "PUT" and body["upload_url"].startswith("http://127.0.0.1:")
    put = requests.put(body["upload_url"], data=SAMPLE.read_bytes(), headers=body["headers"], timeout=60)
    assert put.status_code in (200, 201), put.text
    details = api.wait(body["session_id"], token)
    assert details["status"] == "done" and details["exercise"] == "clean"


def test_upload_url_validates_its_fields(api, people):
    token = people.token("lifter")
    path = "/weightlifting/sessions/upload-url/"
    r = api.request(
        "POST",
        path,
        token,
        json={"user_id": "lifter", "exercise_name": "snatch", "content_type": "image/png", "size_bytes": 10},
    )
    assert r.status_code == 400 and "content_type" in r.json()["error"]
    r = api.request(
        "POST",
        path,
        token,
        json={"user_id": "lifter", "exercise_name": "snatch", "content_type": "video/mp4", "size_bytes": "lots"},
    )
    assert r.status_code == 400 and "size_bytes" in r.json()["error"]
    r = api.request(
        "POST",
        path,
        people.token("teammate"),
        json={"user_id": "lifter", "exercise_name": "snatch", "content_type": "video/mp4", "size_bytes": 10},
    )
    assert r.status_code == 403


def corrupt(video: bytes) -> bytes:
    """The sample with its frames overwritten: the container (moov) still probes fine."""
    start, end = video.index(b"mdat") + 4 + 2000, video.index(b"moov") - 4
    return video[:start] + bytes((i * 7919) % 251 for i in range(end - start)) + video[end:]


def test_a_corrupt_video_ends_failed_with_a_reason_and_is_not_retried(api, people):
    token = people.token("lifter")
    session_id = api.upload(token, corrupt(SAMPLE.read_bytes()), user_id="lifter").json()["session_id"]
    details = api.wait(session_id, token)
    assert details["status"] == "failed"
    assert details["error"]["code"] in (
        "invalid_video",
        "no_lifter_found",
        "no_bar_found",
        "not_side_view",
        "video_too_short",
    )
    assert len(details["error"]["message"]) > 20
    assert task(api.stack, session_id)["attempts"] == 1
    assert api.session("x", token, demo="true").status_code in (200, 404)  # the API keeps serving
    assert api.session(session_id, token).status_code == 200


def test_a_job_killed_mid_run_is_retried_and_finishes(api, people):
    token = people.token("lifter")
    session_id = api.upload(token, user_id="lifter").json()["session_id"]
    details = api.wait(session_id, token, until=("processing",))
    deadline = time.monotonic() + 120
    while details.get("progress", 0) < 10 and time.monotonic() < deadline:
        details = api.session(session_id, token).json()
        time.sleep(0.1)
    assert details["status"] == "processing", details
    os.kill(task(api.stack, session_id)["pid"], signal.SIGKILL)
    details = api.wait(session_id, token)
    assert details["status"] == "done"
    assert task(api.stack, session_id)["attempts"] == 2 and task(api.stack, session_id)["exit_codes"][0] != 0
    assert client().collection("sessions").document(session_id).get().get("attempts") == 2


def test_a_job_that_keeps_crashing_gives_up_with_a_reason(api, people):
    session_id = "missing-video"
    client().collection("sessions").document(session_id).set(
        {**new_session("lifter"), "video": {"path": f"videos/lifter/{session_id}/original.mp4"}}
    )
    assert deliver(api.stack, f"videos/lifter/{session_id}/original.mp4", generation=1) == 200
    details = api.wait(session_id, people.token("lifter"))  # the object is not there: every download fails
    assert details["status"] == "failed" and details["error"]["code"] == "analysis_crashed"
    assert task(api.stack, session_id)["attempts"] == 3  # LIFTLAB_JOB_MAX_ATTEMPTS, not forever
