"""on_video_uploaded: at-least-once delivery, exactly one analysis."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests

from infra.local.relay import pubsub_event_headers
from shared.adapters.repository import client
from tests.cloud.fixtures import deliver, new_session


def tasks(stack) -> list:
    return [t for t in stack.dispatcher.tasks.values()]


def put_session(session_id: str, status: str = "uploading") -> None:
    client().collection("sessions").document(session_id).set(
        {**new_session("lifter", status), "video": {"path": f"videos/lifter/{session_id}/original.mp4"}}
    )


def status(session_id: str) -> str:
    return client().collection("sessions").document(session_id).get().get("status")


def test_the_same_event_delivered_five_times_at_once_starts_one_analysis(clean_stack):
    put_session("s1")
    name = "videos/lifter/s1/original.mp4"
    with ThreadPoolExecutor(5) as pool:
        codes = list(pool.map(lambda _: deliver(clean_stack, name, generation=7), range(5)))
    assert codes == [200] * 5
    assert [t.name for t in tasks(clean_stack)] == ["analyze-s1"]
    assert status("s1") != "uploading"


def test_the_pubsub_delivery_of_the_deployed_trigger_queues_once(clean_stack):
    """As deployed: bucket notification (videos/ only) -> topic -> Eventarc -> function."""
    put_session("s5")
    name = "videos/lifter/s5/original.mp4"
    assert [deliver(clean_stack, name, generation=4, via_pubsub=True) for _ in range(3)] == [200] * 3
    assert deliver(clean_stack, name, generation=4) == 200  # the same object by the direct route: a duplicate
    assert [t.name for t in tasks(clean_stack)] == ["analyze-s5"]


def test_unreadable_or_foreign_pubsub_messages_are_ignored(clean_stack):
    put_session("s6")
    headers = pubsub_event_headers({"messageId": "x"}, clean_stack.project, "t")
    url = f"{clean_stack.api_url}/_events/on_video_uploaded"
    for body in (
        {"message": {"attributes": {"eventType": "OBJECT_FINALIZE"}, "data": "%%% not base64"}},
        {"message": {"attributes": {"eventType": "OBJECT_FINALIZE"}, "data": "WzEsMl0="}},  # [1,2]
        {"message": {"attributes": {"eventType": "OBJECT_DELETE"}, "data": ""}},
        {"message": "nope"},
        {},
    ):
        assert requests.post(url, json=body, headers=headers, timeout=30).status_code == 200
    assert tasks(clean_stack) == [] and status("s6") == "uploading"


def test_objects_outside_videos_are_ignored(clean_stack):
    put_session("s2")
    for name in (
        "results/lifter/s2/analyzed.mp4",
        "demo/s2/original.mp4",
        "videos/lifter/s2/notes.txt",
        "videos/lifter/s2/deeper/original.mp4",
    ):
        assert deliver(clean_stack, name, generation=1) == 200
    assert tasks(clean_stack) == [] and status("s2") == "uploading"


def test_an_event_for_an_unknown_session_starts_nothing(clean_stack):
    assert deliver(clean_stack, "videos/lifter/ghost/original.mp4", generation=1) == 200
    assert tasks(clean_stack) == []


def test_a_late_event_for_a_finished_session_starts_nothing(clean_stack):
    put_session("s3", status="done")
    assert deliver(clean_stack, "videos/lifter/s3/original.mp4", generation=3) == 200
    assert deliver(clean_stack, "videos/lifter/s3/original.mp4", generation=2) == 200  # an older one, out of order
    assert tasks(clean_stack) == [] and status("s3") == "done"


def test_a_new_generation_while_queued_does_not_start_a_second_analysis(clean_stack):
    put_session("s4")
    assert deliver(clean_stack, "videos/lifter/s4/original.mp4", generation=1) == 200
    assert deliver(clean_stack, "videos/lifter/s4/original.mp4", generation=2) == 200
    assert [t.name for t in tasks(clean_stack)] == ["analyze-s4"]


def test_only_the_object_the_session_expects_queues_it(clean_stack):
    """A client may write under its own videos/{uid}/ (storage.rules): an object with the
    session's id but another name or owner is not that session's upload."""
    put_session("s8")
    for name in ("videos/lifter/s8/original.mov", "videos/outsider/s8/original.mp4"):
        assert deliver(clean_stack, name, generation=1) == 200
    assert tasks(clean_stack) == [] and status("s8") == "uploading"
    assert deliver(clean_stack, "videos/lifter/s8/original.mp4", generation=1) == 200
    assert [t.name for t in tasks(clean_stack)] == ["analyze-s8"]


def test_a_request_that_is_no_cloudevent_is_a_400(clean_stack):
    r = requests.post(
        f"{clean_stack.api_url}/_events/on_video_uploaded", json={"name": "videos/a/b/original.mp4"}, timeout=30
    )
    assert r.status_code == 400 and "not a CloudEvent" in r.json()["error"]
    assert tasks(clean_stack) == []
