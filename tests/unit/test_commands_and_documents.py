"""The edges of the typed core, in milliseconds: commands parsed from a form and a Storage
event, and the domain's types to and from Firestore documents."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest

from shared.domain import commands
from shared.domain.errors import BadRequest
from shared.domain.model import Failure, Session, Thread, User, Video
from shared.formatters import documents

NOW = datetime(2026, 12, 5, 9, 30, tzinfo=UTC)


def test_a_profile_reads_with_its_plan_and_defaults_for_what_it_lacks():
    doc = {
        "display_name": "Ana",
        "age": 27,
        "weight_kg": 63,
        "height_cm": 162.5,
        "org_id": "club-a",
        "timezone": "Europe/Madrid",
        "units": "imperial",
        "plan": {"name": "pro", "active_until": NOW, "max_sessions_per_month": "40"},
        "role": "none",
    }
    user = documents.user("u1", doc)
    assert user.weight_kg == 63.0 and isinstance(user.weight_kg, float) and user.height_cm == 162.5
    assert (user.age_years, user.org_id, user.timezone, user.units) == (27, "club-a", "Europe/Madrid", "imperial")
    assert (user.plan.name, user.plan.active_until, user.plan.max_sessions_per_month) == ("pro", NOW, 40)
    bare = documents.user("u2", {})
    assert bare == User("u2") and bare.plan.active_until is None and bare.plan.max_sessions_per_month is None
    assert documents.user("u3", {"weight_kg": True}).weight_kg is None  # not a number


def test_a_new_session_goes_to_a_document_and_reads_back_the_same():
    session = Session(
        id="s1",
        user_id="u1",
        exercise="clean",
        barbell_mass_kg=92.5,
        title="Clean · 05/12/2026",
        created_by="coach",
        org_id="club-a",
        joints=("knee", "hip"),
        stage="uploading",
        created_at=NOW,
        request_id="r1",
        video=Video("videos/u1/s1/original.mp4", 1234, "video/mp4", {"duration_s": 4.2, "width": 1920}),
    )
    doc = documents.session_doc(session)
    assert doc["video"] == {
        "duration_s": 4.2,
        "width": 1920,
        "path": "videos/u1/s1/original.mp4",
        "size": 1234,
        "content_type": "video/mp4",
    }
    assert doc["joints"] == ["knee", "hip"] and doc["progress"] == 0 and "error" not in doc
    assert documents.session("s1", doc) == session


def test_a_stored_session_reads_its_results_and_its_failure():
    doc = {
        "user_id": "u1",
        "exercise": "snatch",
        "activity": "Weightlifting",
        "status": "failed",
        "progress": 42.5,
        "error": {"code": "no_bar_found", "message": "No barbell was found."},
        "attempts": 2,
        "metrics": {"outcome": "complete"},
        "quality": {"near_side": "r"},
        "series_coverage": None,
    }
    session = documents.session("s2", doc)
    assert session.error == Failure("no_bar_found", "No barbell was found.")
    assert (session.progress_pct, session.attempts, session.outcome, session.near_side) == (42.5, 2, "complete", "r")
    assert session.lifts is None and session.series_coverage is None and session.phases == []
    assert not session.done and session.joints == ("all",)  # a session stored before joints were asked
    assert documents.failure_doc(session.error) == doc["error"]


def test_a_thread_reads_and_a_new_one_writes_without_its_status():
    thread = Thread("t1", "s1", "recommendation", "max_bar_speed", "metric")
    doc = documents.thread_doc(thread)
    assert "status" not in doc and doc["provider_ref"] == {}
    assert documents.thread("t1", {**doc, "status": "completed", "text": "Fast."}).text == "Fast."
    assert documents.thread("t1", doc) == thread


def test_a_creates_fields_are_parsed_in_the_users_units():
    form = {"exercise_name": "Snatch", "barbell_mass": "220", "body_joint_angles": "knee", "session_name": " PR "}
    asked, more = commands.new_session(form, imperial=True, extra=lambda: 7)
    assert asked == commands.NewSession("snatch", ("knee",), 99.79, "PR") and more == {"extra": 7}
    asked, _ = commands.new_session({"exercise_name": "clean"}, imperial=False)
    assert (asked.barbell_mass_kg, asked.joints, asked.title) == (commands.DEFAULT_BAR_KG, ("all",), "")


def test_every_bad_field_of_a_create_is_named_at_once():
    def no_video() -> int:
        raise BadRequest("video is required")

    form = {"exercise_name": "deadlift", "barbell_mass": "-1", "session_name": "x" * 200}
    with pytest.raises(BadRequest) as caught:
        commands.new_session(form, imperial=False, video=no_video)
    assert set(caught.value.extra["fields"]) == {"exercise_name", "barbell_mass", "session_name", "video"}


def test_the_user_id_is_read_first_and_checked():
    assert commands.user_id_of({"user_id": " lifter "}) == "lifter"
    for form, message in (({}, "required"), ({"user_id": "a/b"}, "not a valid"), ({"user_id": 5}, "string")):
        with pytest.raises(BadRequest, match=message):
            commands.user_id_of(form)


def pubsub(obj: object, event_type: str = "OBJECT_FINALIZE") -> dict:
    data = base64.b64encode(json.dumps(obj).encode()).decode()
    return {"message": {"attributes": {"eventType": event_type}, "data": data}}


def test_an_upload_event_is_parsed_from_either_delivery():
    obj = {"bucket": "b", "name": "videos/u1/s1/original.mp4", "generation": 17, "size": "2048"}
    direct = commands.video_uploaded("google.cloud.storage.object.v1.finalized", obj)
    relayed = commands.video_uploaded(commands.PUBSUB_PUBLISHED, pubsub(obj))
    assert direct == relayed == commands.VideoUploaded("b", "videos/u1/s1/original.mp4", "17", 2048)
    assert direct.key == commands.VideoUploaded("b", "videos/u1/s1/original.mp4", "17", 0).key  # per generation
    assert direct.key != commands.VideoUploaded("b", "videos/u1/s1/original.mp4", "18", 2048).key


@pytest.mark.parametrize(
    "event_type, data",
    [
        (commands.PUBSUB_PUBLISHED, pubsub({"name": "videos/u/s/original.mp4"}, "OBJECT_DELETE")),
        (commands.PUBSUB_PUBLISHED, {"message": {"attributes": {"eventType": "OBJECT_FINALIZE"}, "data": "!!"}}),
        (commands.PUBSUB_PUBLISHED, pubsub(["not", "an", "object"])),
        (commands.PUBSUB_PUBLISHED, "text"),
        ("google.cloud.storage.object.v1.finalized", {"bucket": "b"}),
        ("google.cloud.storage.object.v1.finalized", {"name": 5}),
        ("google.cloud.storage.object.v1.finalized", None),
    ],
)
def test_anything_else_is_no_upload(event_type, data):
    assert commands.video_uploaded(event_type, data) is None


def test_an_unreadable_size_is_zero():
    event = commands.video_uploaded("x", {"name": "videos/u/s/original.mp4", "size": "12e3"})
    assert event.size_bytes == 0 and event.bucket == "" and event.generation == "None"
