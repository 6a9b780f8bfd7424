"""The domain's types <-> Firestore documents, field by field.

The repository calls these on every read and on the writes that create a document; the
rules and payloads only see `shared.domain.model`'s types. A field the document lacks takes
the type's default, so documents stored by earlier versions still read.
"""

from __future__ import annotations

from shared.domain.model import Failure, Plan, Session, Thread, User, Video


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def user(uid: str, doc: dict) -> User:
    plan = doc.get("plan") or {}
    limit = plan.get("max_sessions_per_month")
    return User(
        uid=uid,
        display_name=doc.get("display_name") or "",
        age_years=doc.get("age"),
        weight_kg=_number(doc.get("weight_kg")),
        height_cm=_number(doc.get("height_cm")),
        org_id=doc.get("org_id"),
        timezone=doc.get("timezone"),
        units=doc.get("units"),
        plan=Plan(
            name=plan.get("name"),
            active_until=plan.get("active_until"),
            max_sessions_per_month=None if limit is None else int(limit),
        ),
    )


VIDEO_FIELDS = ("path", "size", "content_type")


def video(doc: dict) -> Video:
    return Video(
        path=doc.get("path") or "",
        size_bytes=doc.get("size"),
        content_type=doc.get("content_type"),
        extra={k: v for k, v in doc.items() if k not in VIDEO_FIELDS},
    )


def video_doc(v: Video) -> dict:
    found = {"path": v.path, "size": v.size_bytes, "content_type": v.content_type}
    return {**v.extra, **{k: value for k, value in found.items() if value is not None}}


# The engine's outputs and the outputs' paths: stored as they are, under the same names.
RESULT_FIELDS = (
    "engine_version",
    "metrics",
    "phases",
    "landmarks",
    "faults",
    "lifts",
    "quality",
    "scale",
    "analysis_video",
    "series_chunks",
    "series_coverage",
    "phase_images",
    "analyzed_video_path",
    "export_csv_path",
    "comments_by_units",
    "summary_text_by_units",
)


def session(session_id: str, doc: dict) -> Session:
    error = doc.get("error")
    kept = {name: doc[name] for name in RESULT_FIELDS if doc.get(name) is not None}
    return Session(
        id=session_id,
        user_id=doc["user_id"],
        exercise=doc["exercise"],
        barbell_mass_kg=_number(doc.get("barbell_mass_kg")),
        title=doc.get("title") or "",
        activity=doc.get("activity") or "",
        created_by=doc.get("created_by"),
        org_id=doc.get("org_id"),
        joints=tuple(doc.get("joints") or ("all",)),
        status=doc.get("status") or "uploading",
        progress_pct=doc.get("progress") or 0,
        stage=doc.get("stage"),
        error=Failure(error.get("code") or "unknown", error.get("message") or "") if error else None,
        created_at=doc.get("created_at"),
        request_id=doc.get("request_id"),
        video=video(doc["video"]) if doc.get("video") else None,
        attempts=int(doc.get("attempts") or 0),
        **kept,
    )


def session_doc(s: Session) -> dict:
    """A new session's document (its id is the document's name)."""
    doc = {
        "user_id": s.user_id,
        "org_id": s.org_id,
        "created_by": s.created_by,
        "activity": s.activity,
        "exercise": s.exercise,
        "joints": list(s.joints),
        "barbell_mass_kg": s.barbell_mass_kg,
        "title": s.title,
        "status": s.status,
        "progress": s.progress_pct,
        "stage": s.stage,
        "created_at": s.created_at,
        "request_id": s.request_id,
    }
    if s.video is not None:
        doc["video"] = video_doc(s.video)
    if s.error is not None:
        doc["error"] = failure_doc(s.error)
    return doc


def failure_doc(f: Failure) -> dict:
    return {"code": f.code, "message": f.message}


def thread(thread_id: str, doc: dict) -> Thread:
    return Thread(
        id=thread_id,
        session_id=doc["session_id"],
        kind=doc["kind"],
        key=doc["key"],
        units=doc.get("units") or "metric",
        status=doc.get("status") or "queued",
        text=doc.get("text"),
        provider=doc.get("provider"),
        provider_ref=dict(doc.get("provider_ref") or {}),
    )


def thread_doc(t: Thread) -> dict:
    """A new thread's document (the repository stamps its status and times)."""
    return {
        "session_id": t.session_id,
        "kind": t.kind,
        "key": t.key,
        "units": t.units,
        "text": t.text,
        "provider": t.provider,
        "provider_ref": t.provider_ref,
    }
