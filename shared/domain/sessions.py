"""Session rules: creating a session from an upload, and queueing it when the video
lands (reading is `shared.domain.reports`).

Status: uploading -> queued -> processing -> done | failed. The upload's storage event
moves `uploading` to `queued` and starts the job, exactly once per object generation.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, BinaryIO

from shared.adapters import tasks
from shared.adapters.repository import UPLOAD_FAILED, Repository
from shared.adapters.storage import Storage, parse_video_path, video_path
from shared.config import settings
from shared.domain import access, commands
from shared.domain.errors import BadRequest, Forbidden, Unavailable
from shared.domain.lifts import ACTIVITY, EXERCISE_TITLES
from shared.domain.model import Session, User, Video
from shared.formatters.payloads import user_zone
from shared.video_probe import VideoProbe, probe

if TYPE_CHECKING:
    from werkzeug.datastructures import FileStorage

log = logging.getLogger("liftlab.sessions")


def _default_title(exercise: str, user: User) -> str:
    """The exercise and the day, in the user's timezone."""
    return f"{EXERCISE_TITLES[exercise]} · {datetime.now(UTC).astimezone(user_zone(user)):%d/%m/%Y}"


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


class Sessions:
    def __init__(self, repo: Repository | None = None, store: Storage | None = None):
        self.repo = repo or Repository()
        self.store = store or Storage()

    # ---- creating
    def _acting_for(self, caller: access.Caller, form: Mapping) -> tuple[str, User]:
        """(user_id, their profile) when the caller may act for the form's user: the first
        check of a create, before any other field and before the video is read."""
        user_id = commands.user_id_of(form)
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
        user: User,
        asked: commands.NewSession,
        idempotency_key: str | None,
        video: Video,
        extension: str,
    ) -> tuple[Session, bool]:
        """Create the session, with its video's Storage path, under the quota. Returns
        (session, created); a repeated idempotent request returns the first."""
        now = datetime.now(UTC)
        session_id = _session_id(caller, idempotency_key)
        existing = self.repo.session(session_id)
        if existing:
            return existing, False
        session = Session(
            id=session_id,
            user_id=user_id,
            org_id=user.org_id,
            created_by=caller.uid,
            activity=ACTIVITY,
            exercise=asked.exercise,
            joints=asked.joints,
            barbell_mass_kg=asked.barbell_mass_kg,
            title=asked.title or _default_title(asked.exercise, user),
            status="uploading",
            progress_pct=0,
            stage="uploading",
            created_at=now,
            request_id=uuid.uuid4().hex,
            video=replace(video, path=video_path(user_id, session_id, extension)),
        )
        limit = user.plan.max_sessions_per_month  # 0 means none; absent, the default
        limit = settings().default_sessions_per_month if limit is None else limit
        if not self.repo.create_session(session, limit, now):  # the same key, a moment earlier
            return self.repo.session(session_id), False
        return session, True

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

        asked, checked = commands.new_session(form, user.units == "imperial", video=video_size)
        size = checked["video"]
        found: VideoProbe = probe(video_file.stream, s.max_video_duration_s)
        video = Video(
            path="",
            size_bytes=size,
            content_type=commands.CONTENT_TYPES[found.container],
            extra={
                "duration_s": found.duration_s,
                "width": found.width,
                "height": found.height,
                "filename": video_file.filename[:200],
            },
        )
        session, created = self._new_session(caller, user_id, user, asked, idempotency_key, video, found.container)
        # A retry (same Idempotency-Key) of a request whose upload failed uploads again.
        if created or self.repo.reopen_upload(session.id):
            try:
                self.store.upload_file(
                    session.video.path, video_file.stream, video.content_type, metadata={"session_id": session.id}
                )
            except Exception as exc:
                log.exception("upload of %s failed", session.id)
                self.repo.fail(
                    session.id,
                    None,
                    UPLOAD_FAILED,
                    "the video could not be stored; upload it again",
                    while_status="uploading",
                )
                raise Unavailable(
                    "the video could not be stored; retry the upload with the same Idempotency-Key"
                ) from exc
        return {"session_id": session.id, "title": session.title}

    def create_upload_url(self, caller: access.Caller, form: Mapping, idempotency_key: str | None = None) -> dict:
        """For videos too large for an HTTP function: create the session and hand back a
        resumable upload URL for the same Storage path; the same event flow follows."""
        s = settings()
        user_id, user = self._acting_for(caller, form)

        def upload_type() -> str:
            content_type = commands.text_field(form, "content_type").lower()
            if content_type not in commands.CONTENT_TYPES.values():
                raise BadRequest(f"content_type must be one of {', '.join(commands.CONTENT_TYPES.values())}")
            return content_type

        def upload_size() -> int:
            size = commands.size_bytes_field(form)
            if not 0 < size <= 50 * s.max_upload_bytes:
                raise BadRequest(f"size_bytes must be between 1 and {50 * s.max_upload_bytes}")
            return size

        asked, upload = commands.new_session(
            form, user.units == "imperial", content_type=upload_type, size_bytes=upload_size
        )
        content_type, size = upload["content_type"], upload["size_bytes"]
        extension = {v: k for k, v in commands.CONTENT_TYPES.items()}[content_type]
        video = Video(path="", size_bytes=size, content_type=content_type)
        session, _ = self._new_session(caller, user_id, user, asked, idempotency_key, video, extension)
        url = self.store.resumable_upload_url(session.video.path, content_type, size, {"session_id": session.id})
        return {
            "session_id": session.id,
            "title": session.title,
            "upload_url": url,
            "method": "PUT",
            "headers": {"Content-Type": content_type},
        }

    # ---- the storage event
    def on_video_uploaded(self, event: commands.VideoUploaded | None) -> str:
        """Idempotent: one analysis per object generation, however often the event comes."""
        if event is None:
            return "ignored: not an object event"
        parsed = parse_video_path(event.name)
        if parsed is None:
            return "ignored: not an upload"
        _, session_id = parsed
        if not self.repo.claim_event(event.key):
            return "duplicate"
        try:
            status = self.repo.queue_session(
                session_id, {"path": event.name, "generation": event.generation, "size": event.size_bytes}
            )
            if status not in ("uploading", "queued"):
                return f"ignored: session is {status}"
            tasks.enqueue_analysis(session_id)
            return "queued"
        except Exception:
            self.repo.release_event(event.key)  # let the redelivery try again
            raise
