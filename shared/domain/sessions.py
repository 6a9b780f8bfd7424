"""Session rules: creating a session from an upload, and queueing it when the video
lands (reading is `shared.domain.reports`).

Status: uploading -> queued -> processing -> done | failed. The upload's storage event
moves `uploading` to `queued` and starts the job, exactly once per object generation.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import logging
import math
import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, BinaryIO

from shared.adapters import tasks
from shared.adapters.repository import UPLOAD_FAILED, Repository
from shared.adapters.storage import Storage, parse_video_path, video_path
from shared.coach.facts import LB_PER_KG
from shared.config import settings
from shared.domain import access
from shared.domain.errors import BadRequest, Forbidden, Unavailable
from shared.domain.lifts import ACTIVITY, EXERCISE_TITLES, EXERCISES, parse_joints
from shared.formatters.payloads import user_zone
from shared.video_probe import VideoProbe, probe

if TYPE_CHECKING:
    from werkzeug.datastructures import FileStorage

log = logging.getLogger("liftlab.sessions")

DEFAULT_BAR_KG, DEFAULT_BAR_LB = 100.0, 220.0
MAX_TITLE_CHARS = 120
USER_ID = re.compile(r"^[A-Za-z0-9_\-]{1,128}$")
CONTENT_TYPES = {"mp4": "video/mp4", "mov": "video/quicktime"}


# ---- form fields: each error names its field
def _text(form: Mapping, name: str) -> str:
    """A text field, stripped. Form values are strings; a JSON body's must be too."""
    value = form.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadRequest(f"{name} must be a string")
    return value.strip()


def _user_id(form: Mapping) -> str:
    user_id = _text(form, "user_id")
    if not user_id:
        raise BadRequest("user_id is required")
    if not USER_ID.match(user_id):
        raise BadRequest("user_id is not a valid user id")
    return user_id


def _exercise(form: Mapping) -> str:
    exercise = _text(form, "exercise_name").lower()
    if not exercise:
        raise BadRequest(f"exercise_name is required: one of {', '.join(EXERCISES)}")
    if exercise not in EXERCISES:
        raise BadRequest(f"exercise_name must be one of {', '.join(EXERCISES)}")
    return exercise


def _barbell_mass_kg(form: Mapping, imperial: bool) -> float:
    """kg; the form's number is in the user's units (lb for imperial users)."""
    raw = _text(form, "barbell_mass")
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
    title = _text(form, "session_name")
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


def _fields(form: Mapping, user: dict, **more) -> tuple[dict, dict]:
    """(the session's fields from the form, in the user's units and timezone; the values of
    the `more` checks, name: callable). A 400 names every bad field at once."""
    found = _checked(
        {
            "exercise_name": lambda: _exercise(form),
            "body_joint_angles": lambda: parse_joints(_text(form, "body_joint_angles")),
            "barbell_mass": lambda: _barbell_mass_kg(form, (user.get("units") or "metric") == "imperial"),
            "session_name": lambda: _title(form),
            **more,
        }
    )
    exercise = found["exercise_name"]
    now_local = datetime.now(UTC).astimezone(user_zone(user))
    fields = {
        "exercise": exercise,
        "joints": found["body_joint_angles"],
        "barbell_mass_kg": round(found["barbell_mass"], 2),
        "title": found["session_name"] or f"{EXERCISE_TITLES[exercise]} · {now_local:%d/%m/%Y}",
    }
    return fields, {name: found[name] for name in more}


def _size_bytes(form: Mapping) -> int:
    """An integer: a JSON number without a fraction, or digits in a form."""
    raw = form.get("size_bytes")
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    with contextlib.suppress(ValueError):  # a string that is no integer: the error below
        if isinstance(raw, (int, str)) and not isinstance(raw, bool):
            return int(raw)
    raise BadRequest("size_bytes must be the video's size in bytes (an integer)")


def _object_size(event: dict) -> int:
    """A storage event's object size (Storage sends a decimal string); 0 when unreadable."""
    raw = str(event.get("size") or 0)
    return int(raw) if raw.isdecimal() else 0


def _file_size(stream: BinaryIO) -> int:
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    return size


def _session_id(caller: access.Caller, idempotency_key: str | None) -> str:
    """A retried POST with the same Idempotency-Key maps to the same session."""
    if idempotency_key:
        return hashlib.sha256(f"{caller.uid}:{idempotency_key}".encode()).hexdigest()[:24]
    return uuid.uuid4().hex[:24]


PUBSUB_PUBLISHED = "google.cloud.pubsub.topic.v1.messagePublished"


def finalized_object(event_type: str, data: object) -> dict | None:
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


class Sessions:
    def __init__(self, repo: Repository | None = None, store: Storage | None = None):
        self.repo = repo or Repository()
        self.store = store or Storage()

    # ---- creating
    def _acting_for(self, caller: access.Caller, form: Mapping) -> tuple[str, dict]:
        """(user_id, their profile) when the caller may act for the form's user: the first
        check of a create, before any other field and before the video is read."""
        user_id = _user_id(form)
        if user_id != caller.uid and not caller.is_admin and caller.role != "sub_admin":
            raise Forbidden("you may not create sessions for another user")
        user = self.repo.user(user_id)
        access.require_act_for(caller, user_id, user)
        if user is None:
            raise BadRequest("user_id: no such user")
        return user_id, user

    def _new_session(
        self,
        caller: access.Caller,
        user_id: str,
        user: dict,
        fields: dict,
        idempotency_key: str | None,
        video: dict,
        extension: str,
    ) -> tuple[dict, bool]:
        """Create the session, with its video's Storage path, under the quota. Returns
        (session, created); a repeated idempotent request returns the first."""
        now = datetime.now(UTC)
        session_id = _session_id(caller, idempotency_key)
        existing = self.repo.session(session_id)
        if existing:
            return existing, False
        doc = {
            "user_id": user_id,
            "org_id": user.get("org_id"),
            "created_by": caller.uid,
            "activity": ACTIVITY,
            **fields,
            "status": "uploading",
            "progress": 0,
            "stage": "uploading",
            "created_at": now,
            "request_id": uuid.uuid4().hex,
            "video": {**video, "path": video_path(user_id, session_id, extension)},
        }
        plan = user.get("plan") or {}
        limit = plan.get("max_sessions_per_month")  # 0 means none; absent, the default
        limit = settings().default_sessions_per_month if limit is None else int(limit)
        if not self.repo.create_session(session_id, doc, limit, now):  # the same key, a moment earlier
            return self.repo.session(session_id), False
        return {"id": session_id, **doc}, True

    def create(
        self, caller: access.Caller, form: Mapping, video_file: FileStorage | None, idempotency_key: str | None = None
    ) -> dict:
        """POST /weightlifting/sessions/: check who may act for whom, then the form fields,
        then the video (sniffed and probed); create the session, then stream the video to
        Storage. A refused caller's video is never read."""
        s = settings()
        user_id, user = self._acting_for(caller, form)

        def video_size() -> int:  # its size only: the video itself is read after every field passed
            if video_file is None or not getattr(video_file, "filename", None):
                raise BadRequest("video is required (a file field)")
            size = _file_size(video_file.stream)
            if size == 0:
                raise BadRequest("video is empty")
            if size > s.max_upload_bytes:
                raise BadRequest(
                    f"video is larger than {s.max_upload_bytes // 2**20} MB; "
                    "use POST /weightlifting/sessions/upload-url/ for large files"
                )
            return size

        fields, checked = _fields(form, user, video=video_size)
        size = checked["video"]
        found: VideoProbe = probe(video_file.stream, s.max_video_duration_s)
        video = {
            "size": size,
            "content_type": CONTENT_TYPES[found.container],
            "duration_s": found.duration_s,
            "width": found.width,
            "height": found.height,
            "filename": video_file.filename[:200],
        }
        session, created = self._new_session(caller, user_id, user, fields, idempotency_key, video, found.container)
        # A retry (same Idempotency-Key) of a request whose upload failed uploads again.
        if created or self.repo.reopen_upload(session["id"]):
            path = session["video"]["path"]
            try:
                self.store.upload_file(
                    path, video_file.stream, video["content_type"], metadata={"session_id": session["id"]}
                )
            except Exception as exc:
                log.exception("upload of %s failed", session["id"])
                self.repo.fail(
                    session["id"],
                    None,
                    UPLOAD_FAILED,
                    "the video could not be stored; upload it again",
                    while_status="uploading",
                )
                raise Unavailable(
                    "the video could not be stored; retry the upload with the same Idempotency-Key"
                ) from exc
        return {"session_id": session["id"], "title": session["title"]}

    def create_upload_url(self, caller: access.Caller, form: Mapping, idempotency_key: str | None = None) -> dict:
        """For videos too large for an HTTP function: create the session and hand back a
        resumable upload URL for the same Storage path; the same event flow follows."""
        s = settings()
        user_id, user = self._acting_for(caller, form)

        def upload_type() -> str:
            content_type = _text(form, "content_type").lower()
            if content_type not in CONTENT_TYPES.values():
                raise BadRequest(f"content_type must be one of {', '.join(CONTENT_TYPES.values())}")
            return content_type

        def upload_size() -> int:
            size = _size_bytes(form)
            if not 0 < size <= 50 * s.max_upload_bytes:
                raise BadRequest(f"size_bytes must be between 1 and {50 * s.max_upload_bytes}")
            return size

        fields, upload = _fields(form, user, content_type=upload_type, size_bytes=upload_size)
        content_type, size = upload["content_type"], upload["size_bytes"]
        extension = {v: k for k, v in CONTENT_TYPES.items()}[content_type]
        session, _ = self._new_session(
            caller, user_id, user, fields, idempotency_key, {"size": size, "content_type": content_type}, extension
        )
        url = self.store.resumable_upload_url(
            session["video"]["path"], content_type, size, {"session_id": session["id"]}
        )
        return {
            "session_id": session["id"],
            "title": session["title"],
            "upload_url": url,
            "method": "PUT",
            "headers": {"Content-Type": content_type},
        }

    # ---- the storage event
    def on_video_uploaded(self, data: dict | None) -> str:
        """Idempotent: one analysis per object generation, however often the event comes."""
        if not isinstance(data, dict):
            return "ignored: not an object event"
        name, bucket = data.get("name") or "", data.get("bucket") or ""
        parsed = parse_video_path(name) if isinstance(name, str) else None
        if parsed is None:
            return "ignored: not an upload"
        _, session_id = parsed
        key = hashlib.sha256(f"{bucket}/{name}#{data.get('generation')}".encode()).hexdigest()
        if not self.repo.claim_event(key):
            return "duplicate"
        try:
            status = self.repo.queue_session(
                session_id, {"path": name, "generation": str(data.get("generation")), "size": _object_size(data)}
            )
            if status not in ("uploading", "queued"):
                return f"ignored: session is {status}"
            tasks.enqueue_analysis(session_id)
            return "queued"
        except Exception:
            self.repo.release_event(key)  # let the redelivery try again
            raise
