"""The commands of the write path, each parsed in one place from what arrives: a create's
form (`user_id_of`, then `new_session`) and a Storage event (`video_uploaded`). A bad form
is a BadRequest naming each bad field; an event that is no finished upload is None.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from shared.coach.facts import LB_PER_KG
from shared.domain.errors import BadRequest
from shared.domain.lifts import EXERCISES, parse_joints

DEFAULT_BAR_KG, DEFAULT_BAR_LB = 100.0, 220.0
MAX_TITLE_CHARS = 120
USER_ID = re.compile(r"^[A-Za-z0-9_\-]{1,128}$")
CONTENT_TYPES = {"mp4": "video/mp4", "mov": "video/quicktime"}


# ---- form fields: each error names its field
def text_field(form: Mapping, name: str) -> str:
    """A text field, stripped. Form values are strings; a JSON body's must be too."""
    value = form.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadRequest(f"{name} must be a string")
    return value.strip()


def user_id_of(form: Mapping) -> str:
    """The user a create is for: the first field read, before access is checked."""
    user_id = text_field(form, "user_id")
    if not user_id:
        raise BadRequest("user_id is required")
    if not USER_ID.match(user_id):
        raise BadRequest("user_id is not a valid user id")
    return user_id


def _exercise(form: Mapping) -> str:
    exercise = text_field(form, "exercise_name").lower()
    if not exercise:
        raise BadRequest(f"exercise_name is required: one of {', '.join(EXERCISES)}")
    if exercise not in EXERCISES:
        raise BadRequest(f"exercise_name must be one of {', '.join(EXERCISES)}")
    return exercise


def _barbell_mass_kg(form: Mapping, imperial: bool) -> float:
    """kg; the form's number is in the user's units (lb for imperial users)."""
    raw = text_field(form, "barbell_mass")
    if not raw:
        return DEFAULT_BAR_LB / LB_PER_KG if imperial else DEFAULT_BAR_KG
    try:
        value = float(raw)
    except ValueError:
        raise BadRequest("barbell_mass must be a number") from None
    if not math.isfinite(value) or not 0 < value <= (1000 if imperial else 500):
        raise BadRequest(f"barbell_mass must be between 0 and {1000 if imperial else 500} {'lb' if imperial else 'kg'}")
    return value / LB_PER_KG if imperial else value


def _title(form: Mapping) -> str:
    """The session_name given, or "" for the default."""
    title = text_field(form, "session_name")
    if len(title) > MAX_TITLE_CHARS:
        raise BadRequest(f"session_name is longer than {MAX_TITLE_CHARS} characters")
    return title


def _checked(checks: dict) -> dict:
    """Each named check's value; BadRequest naming every field that failed, at once (its
    `fields` map each to its message)."""
    values, errors = {}, {}
    for name, check in checks.items():
        try:
            values[name] = check()
        except BadRequest as exc:
            errors[name] = exc.message
    if errors:
        raise BadRequest("; ".join(errors.values()), fields=errors)
    return values


@dataclass(frozen=True)
class NewSession:
    """What a create asks for, in SI units (the form's mass is in the user's units)."""

    exercise: str
    joints: tuple[str, ...]
    barbell_mass_kg: float
    title: str  # "" for the default, which names the exercise and the day


def new_session(form: Mapping, imperial: bool, **more: Callable[[], object]) -> tuple[NewSession, dict]:
    """The create's fields, and the values of the `more` checks (name: callable) the
    endpoint adds; a BadRequest names every bad field at once."""
    found = _checked(
        {
            "exercise_name": lambda: _exercise(form),
            "body_joint_angles": lambda: parse_joints(text_field(form, "body_joint_angles")),
            "barbell_mass": lambda: _barbell_mass_kg(form, imperial),
            "session_name": lambda: _title(form),
            **more,
        }
    )
    command = NewSession(
        exercise=found["exercise_name"],
        joints=tuple(found["body_joint_angles"]),
        barbell_mass_kg=round(found["barbell_mass"], 2),
        title=found["session_name"],
    )
    return command, {name: found[name] for name in more}


def size_bytes_field(form: Mapping) -> int:
    """An integer: a JSON number without a fraction, or digits in a form."""
    raw = form.get("size_bytes")
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    with contextlib.suppress(ValueError):  # a string that is no integer: the error below
        if isinstance(raw, (int, str)) and not isinstance(raw, bool):
            return int(raw)
    raise BadRequest("size_bytes must be the video's size in bytes (an integer)")


PUBSUB_PUBLISHED = "google.cloud.pubsub.topic.v1.messagePublished"


def _finalized_object(event_type: str, data: object) -> dict | None:
    """The finalized object's metadata from either delivery: a direct Eventarc storage event
    (`google.cloud.storage.object.v1.finalized`, the object as data), or, as deployed, the
    bucket's Pub/Sub notification (filtered to `videos/`) through an Eventarc topic trigger,
    whose message carries the object as base64 JSON. None when it is no finalize or unreadable."""
    if event_type != PUBSUB_PUBLISHED:
        return data if isinstance(data, dict) else None
    message = data.get("message") if isinstance(data, dict) else None
    if not isinstance(message, dict) or (message.get("attributes") or {}).get("eventType") != "OBJECT_FINALIZE":
        return None
    try:
        found = json.loads(base64.b64decode(message.get("data") or "", validate=True))
    except (binascii.Error, ValueError):
        return None
    return found if isinstance(found, dict) else None


@dataclass(frozen=True)
class VideoUploaded:
    """An object finished uploading to the bucket (Storage's OBJECT_FINALIZE)."""

    bucket: str
    name: str
    generation: str
    size_bytes: int  # 0 when the event did not say

    @property
    def key(self) -> str:
        """One per object generation, however often the event is delivered."""
        return hashlib.sha256(f"{self.bucket}/{self.name}#{self.generation}".encode()).hexdigest()


def video_uploaded(event_type: str, data: object) -> VideoUploaded | None:
    """The upload an event reports, or None for any other event or an unreadable one."""
    found = _finalized_object(event_type, data)
    if found is None or not isinstance(found.get("name"), str) or not found["name"]:
        return None
    raw_size = str(found.get("size") or 0)  # Storage sends a decimal string
    return VideoUploaded(
        bucket=str(found.get("bucket") or ""),
        name=found["name"],
        generation=str(found.get("generation")),
        size_bytes=int(raw_size) if raw_size.isdecimal() else 0,
    )
