"""Firestore adapter: users, sessions and their series chunks, event dedup, job leases,
lift summaries and coaching threads. Nothing else in the product imports Firestore.

Every state change that can race (the monthly quota, queueing, the job lease, the final
write) runs in a transaction, so duplicated events and retried jobs stay safe.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from google.api_core.exceptions import AlreadyExists
from google.cloud import firestore

from shared.config import settings
from shared.domain.errors import SessionLimitReached
from shared.domain.model import Session, Thread, User
from shared.domain.progress import lift_summary, rolled_up, unrolled
from shared.formatters import documents
from shared.formatters.results import firestore_size

_client = None
# A commit travels as one gRPC message (4 MiB at most, and numbers encode larger on the
# wire than Firestore counts them), so series chunks are committed a few at a time.
MAX_BATCH_BYTES = 1024 * 1024


def client() -> firestore.Client:
    global _client
    if _client is None:
        _client = firestore.Client(project=settings().project)
    return _client


def _batches(chunks: list[dict], max_bytes: int):
    group, size = [], 0
    for chunk in chunks:
        chunk_bytes = firestore_size(chunk)
        if group and size + chunk_bytes > max_bytes:
            yield group
            group, size = [], 0
        group.append(chunk)
        size += chunk_bytes
    if group:
        yield group


def valid_document_id(doc_id: object) -> bool:
    """Whether Firestore can hold a document with this id (a path parameter can be anything):
    at most 1,500 bytes of UTF-8, no `/`, not `.` or `..`, not `__...__`."""
    if not isinstance(doc_id, str) or not doc_id or "/" in doc_id or doc_id in (".", ".."):
        return False
    if doc_id.startswith("__") and doc_id.endswith("__"):
        return False
    try:
        return len(doc_id.encode("utf-8")) <= 1500
    except UnicodeEncodeError:  # a lone surrogate
        return False


# The list's equality filters, in index order; each query uses activity and a subset of the rest.
LIST_FILTERS = ("activity", "user_id", "org_id", "exercise", "status")
LIST_FIELDS = [
    "user_id",
    "title",
    "exercise",
    "barbell_mass_kg",
    "status",
    "progress",
    "metrics",
    "created_at",
    "phase_images",
]


def lease(owner: str, lease_s: float) -> dict:
    """A lease on a document for `owner`, `lease_s` from now."""
    return {"owner": owner, "until": time.time() + lease_s}


def held_by_another(doc: dict, owner: str) -> bool:
    """Whether someone other than `owner` holds a live lease on `doc` (a session or a thread)."""
    held = doc.get("lease") or {}
    return held.get("owner") != owner and held.get("until", 0) > time.time()


def list_index_fields(equal: dict) -> list[str]:
    """The equality fields of a list query, in the order its composite index has them."""
    unknown = set(equal) - set(LIST_FILTERS)
    if unknown or "activity" not in equal:
        raise ValueError(f"a list query filters on activity and some of {LIST_FILTERS[1:]}, not {sorted(unknown)}")
    return [name for name in LIST_FILTERS if name in equal]


UPLOAD_FAILED = "upload_failed"


@dataclass(frozen=True)
class Lease:
    """What `take_lease` found: `taken` (work on it), or why not."""

    outcome: str  # taken | held | finished | missing | exhausted
    session: Session | None = None


class Repository:
    def __init__(self, db: firestore.Client | None = None):
        self.db = db or client()

    # ---- reads
    def user(self, uid: str) -> User | None:
        if not valid_document_id(uid):
            return None
        snap = self.db.collection("users").document(uid).get()
        return documents.user(uid, snap.to_dict()) if snap.exists else None

    def session(self, session_id: str) -> Session | None:
        if not valid_document_id(session_id):
            return None  # no such document can exist
        snap = self._session(session_id).get()
        return documents.session(snap.id, snap.to_dict()) if snap.exists else None

    def series_chunks(
        self, session_id: str, indices: list[int] | None = None, fields: list[str] | None = None
    ) -> list[dict]:
        """Series chunk documents: all, or those `indices`; with `fields` (paths inside
        `series`, e.g. `bar.speed_mps`) only those values travel."""
        series = self._session(session_id).collection("series")
        paths = None if fields is None else ["index", "start_frame", "end_frame"] + [f"series.{f}" for f in fields]
        if indices is None:
            query = series if paths is None else series.select(paths)
            return [snap.to_dict() for snap in query.stream()]
        refs = [series.document(f"{i:04d}") for i in indices]
        return [snap.to_dict() for snap in self.db.get_all(refs, field_paths=paths) if snap.exists]

    def users(self, uids: set[str]) -> dict[str, User]:
        """Profiles by uid, those that exist, in one round trip."""
        refs = [self.db.collection("users").document(uid) for uid in sorted(uids) if valid_document_id(uid)]
        found = self.db.get_all(refs) if refs else []
        return {snap.id: documents.user(snap.id, snap.to_dict()) for snap in found if snap.exists}

    def list_sessions(
        self, equal: dict, start: datetime | None, end: datetime | None, cursor: tuple[datetime, str] | None, limit: int
    ) -> list[Session]:
        """Sessions newest first (ties by id), with `equal` field == value filters and
        `start` <= created_at < `end`, after `cursor` (created_at, id); only the fields a
        list item shows travel. infra/firestore.indexes.json holds an index for each
        combination of `equal` fields (`list_index_fields`)."""
        query = self.db.collection("sessions")
        for name in list_index_fields(equal):
            query = query.where(filter=firestore.FieldFilter(name, "==", equal[name]))
        if start:
            query = query.where(filter=firestore.FieldFilter("created_at", ">=", start))
        if end:
            query = query.where(filter=firestore.FieldFilter("created_at", "<", end))
        query = query.order_by("created_at", direction=firestore.Query.DESCENDING).order_by(
            "__name__", direction=firestore.Query.DESCENDING
        )
        if cursor:
            query = query.start_after({"created_at": cursor[0], "__name__": cursor[1]})
        query = query.select(LIST_FIELDS).limit(limit)
        return [documents.session(snap.id, snap.to_dict()) for snap in query.stream()]

    def lift_summaries(self, user_id: str, exercise: str) -> list[dict]:
        """The lift summaries (`shared.domain.progress.lift_summary`) of one user's exercise, from
        their roll-up: one read, whatever the number of sessions."""
        snap = self._progress(user_id, exercise).get() if valid_document_id(user_id) else None
        return unrolled(snap.to_dict() if snap and snap.exists else None, exercise)

    def _progress(self, user_id: str, exercise: str):
        return self.db.collection("users").document(user_id).collection("progress").document(exercise)

    def _session(self, session_id: str):
        return self.db.collection("sessions").document(session_id)

    # ---- session creation, under the monthly quota
    def create_session(self, session: Session, limit: int, now: datetime) -> bool:
        """Create the session and count it against its user's month; SessionLimitReached
        when the month is full. False when a concurrent request with the same id created it
        first.

        The month's count is a set of numbered slots, `users/{uid}/usage/{YYYY-MM}/slots/{n}`,
        n < limit. One batch creates slot n and the session together: both or neither, and
        a taken slot fails the batch at once (no lock is held, unlike a transaction on one
        counter, which many uploads for one user at once time out on)."""
        doc = documents.session_doc(session)
        slots = (
            self.db.collection("users")
            .document(session.user_id)
            .collection("usage")
            .document(now.strftime("%Y-%m"))
            .collection("slots")
        )
        ref = self._session(session.id)
        n = int(slots.count().get()[0][0].value)
        while n < limit:
            batch = self.db.batch()
            batch.create(slots.document(f"{n:05d}"), {"session_id": session.id, "at": firestore.SERVER_TIMESTAMP})
            batch.create(ref, doc)
            try:
                batch.commit()
                return True
            except AlreadyExists:
                found = ref.get()
                if found.exists:  # created by this very request (a retried commit that had landed) or another
                    return session.request_id is not None and found.get("request_id") == session.request_id
                n += 1  # another session took slot n a moment ago
        raise SessionLimitReached(limit)

    # ---- storage events
    def claim_event(self, key: str, ttl_days: int = 7) -> bool:
        """True the first time `key` is seen; False for a duplicate delivery."""
        expires = datetime.now(UTC) + timedelta(days=ttl_days)
        try:
            self.db.collection("processed_events").document(key).create(
                {"received_at": firestore.SERVER_TIMESTAMP, "expire_at": expires}
            )
        except AlreadyExists:
            return False
        return True

    def release_event(self, key: str) -> None:
        """Forget a claimed event whose handling failed, so its redelivery is handled."""
        self.db.collection("processed_events").document(key).delete()

    def queue_session(self, session_id: str, video: dict) -> str:
        """uploading -> queued, once. Returns the status found, so the caller knows
        whether to start the job (`uploading`) or not (anything else)."""
        ref = self._session(session_id)

        @firestore.transactional
        def queue(tx):
            snap = ref.get(transaction=tx)
            if not snap.exists:
                return "missing"
            status = snap.get("status")
            if (snap.to_dict().get("video") or {}).get("path") != video["path"]:
                return "expecting another object"  # e.g. a client's own upload under the same session id
            if status == "uploading":
                tx.update(
                    ref,
                    {
                        "status": "queued",
                        "progress": 0,
                        "stage": "queued",
                        "video": {**(snap.to_dict().get("video") or {}), **video},
                        "queued_at": firestore.SERVER_TIMESTAMP,
                    },
                )
            return status

        return queue(self.db.transaction())

    # ---- the analysis job
    def take_lease(self, session_id: str, owner: str, lease_s: int, max_attempts: int) -> Lease:
        """Take the session for `owner` unless it is finished or another live runner holds
        it. A retry of the same execution (same `owner`) takes over its own lease."""
        ref = self._session(session_id)

        @firestore.transactional
        def take(tx):
            snap = ref.get(transaction=tx)
            if not snap.exists:
                return Lease("missing")
            doc = snap.to_dict()
            found = documents.session(snap.id, doc)
            if found.status in ("done", "failed"):
                return Lease("finished", found)
            if found.status == "processing" and held_by_another(doc, owner):
                return Lease("held", found)
            attempts = found.attempts + 1
            if attempts > max_attempts:
                tx.update(
                    ref,
                    {
                        "status": "failed",
                        "lease": firestore.DELETE_FIELD,
                        "error": {
                            "code": "retries_exhausted",
                            "message": f"analysis did not finish after {max_attempts} attempts",
                        },
                    },
                )
                return Lease("exhausted", found)
            tx.update(
                ref,
                {
                    "status": "processing",
                    "progress": 0,
                    "stage": "starting",
                    "attempts": attempts,
                    "lease": lease(owner, lease_s),
                    "started_at": firestore.SERVER_TIMESTAMP,
                },
            )
            return Lease("taken", found)

        return take(self.db.transaction())

    def report_progress(self, session_id: str, owner: str, pct: float, stage: str, lease_s: int) -> None:
        """Progress doubles as the lease heartbeat."""
        self._session(session_id).update({"progress": round(pct, 1), "stage": stage, "lease": lease(owner, lease_s)})

    def write_results(self, session_id: str, owner: str, fields: dict, chunks: list[dict]) -> bool:
        """Series chunks, then the session fields and `done`, only while `owner` holds the
        lease. Chunk writes are idempotent (same ids, whole documents)."""
        ref = self._session(session_id)
        series = ref.collection("series")
        for group in _batches(chunks, MAX_BATCH_BYTES):
            batch = self.db.batch()
            for chunk in group:
                batch.set(series.document(f"{chunk['index']:04d}"), chunk)
            batch.commit()
        for stale in series.where(filter=firestore.FieldFilter("index", ">=", len(chunks))).stream():
            stale.reference.delete()

        @firestore.transactional
        def finish(tx):
            snap = ref.get(transaction=tx)
            if not snap.exists or (snap.to_dict().get("lease") or {}).get("owner") != owner:
                return False
            done = documents.session(session_id, {**snap.to_dict(), **fields, "status": "done"})
            summary = lift_summary(done)
            progress = self._progress(done.user_id, done.exercise)
            rollup = progress.get(transaction=tx)
            tx.set(self.db.collection("lift_summaries").document(session_id), summary)
            tx.set(progress, rolled_up(rollup.to_dict() if rollup.exists else None, summary))
            tx.update(
                ref,
                {
                    **fields,
                    "status": "done",
                    "progress": 100,
                    "stage": "done",
                    "series_chunks": [{k: c[k] for k in ("index", "start_frame", "end_frame")} for c in chunks],
                    "error": firestore.DELETE_FIELD,
                    "lease": firestore.DELETE_FIELD,
                    "finished_at": firestore.SERVER_TIMESTAMP,
                },
            )
            return True

        return finish(self.db.transaction())

    def reopen_upload(self, session_id: str) -> bool:
        """A session whose upload failed goes back to `uploading` for a retry of the same
        request (same Idempotency-Key); False when it is in any other state."""
        ref = self._session(session_id)

        @firestore.transactional
        def reopen(tx):
            snap = ref.get(transaction=tx)
            doc = snap.to_dict() if snap.exists else {}
            if doc.get("status") != "failed" or (doc.get("error") or {}).get("code") != UPLOAD_FAILED:
                return False
            tx.update(
                ref,
                {
                    "status": "uploading",
                    "stage": "uploading",
                    "progress": 0,
                    "error": firestore.DELETE_FIELD,
                    "finished_at": firestore.DELETE_FIELD,
                },
            )
            return True

        return reopen(self.db.transaction())

    # ---- stored runs (the demo): whole documents, as the API and the job would leave them
    def put_user(self, uid: str, doc: dict) -> None:
        self.db.collection("users").document(uid).set(doc, merge=True)

    def put_session(self, session_id: str, doc: dict) -> None:
        self._session(session_id).set(doc)

    # ---- coaching threads (genai_threads), written by the coaching task under a lease
    def thread(self, thread_id: str) -> Thread | None:
        snap = self.db.collection("genai_threads").document(thread_id).get()
        return documents.thread(snap.id, snap.to_dict()) if snap.exists else None

    def queue_thread(self, thread: Thread) -> bool:
        """Create the thread (queued), or queue a failed one again; True when it needs
        writing (False when it is queued, being written or done already)."""
        ref = self.db.collection("genai_threads").document(thread.id)
        doc = documents.thread_doc(thread)

        @firestore.transactional
        def queue(tx):
            snap = ref.get(transaction=tx)
            if snap.exists and snap.get("status") != "failed":
                return snap.get("status") != "completed"
            now = firestore.SERVER_TIMESTAMP
            tx.set(ref, {**doc, "status": "queued", "created_at": now, "updated_at": now})
            return True

        return queue(self.db.transaction())

    def take_thread(self, thread_id: str, owner: str, lease_s: float) -> Thread | None:
        """The thread, now `in_progress` under `owner`'s lease; None when it is missing, done,
        or being written by another live owner."""
        ref = self.db.collection("genai_threads").document(thread_id)

        @firestore.transactional
        def take(tx):
            snap = ref.get(transaction=tx)
            if not snap.exists:
                return None
            doc = snap.to_dict()
            if doc["status"] == "completed" or (doc["status"] == "in_progress" and held_by_another(doc, owner)):
                return None
            update = {"status": "in_progress", "lease": lease(owner, lease_s), "updated_at": firestore.SERVER_TIMESTAMP}
            tx.update(ref, update)
            return documents.thread(thread_id, doc)

        return take(self.db.transaction())

    def update_thread(self, thread_id: str, fields: dict) -> None:
        self.db.collection("genai_threads").document(thread_id).update(fields)

    def finish_thread(self, thread_id: str, fields: dict, session_id: str, mirror: dict) -> None:
        """The thread `completed` with `fields`, and its text mirrored into the session
        (`mirror`: field paths to values), in one batch."""
        done = {
            **fields,
            "status": "completed",
            "lease": firestore.DELETE_FIELD,
            "updated_at": firestore.SERVER_TIMESTAMP,
        }
        batch = self.db.batch()
        batch.update(self.db.collection("genai_threads").document(thread_id), done)
        batch.update(self._session(session_id), mirror)
        batch.commit()

    def fail(
        self, session_id: str, owner: str | None, code: str, message: str, while_status: str | None = None
    ) -> None:
        """Mark the session failed with a reason (only while `owner` holds it, if given, and
        only from `while_status`, if given)."""
        ref = self._session(session_id)

        @firestore.transactional
        def fail(tx):
            snap = ref.get(transaction=tx)
            if not snap.exists:
                return
            if owner is not None and (snap.to_dict().get("lease") or {}).get("owner") != owner:
                return
            if while_status is not None and snap.get("status") != while_status:
                return  # e.g. the upload did land and its event has queued the session
            tx.update(
                ref,
                {
                    "status": "failed",
                    "error": {"code": code, "message": message},
                    "lease": firestore.DELETE_FIELD,
                    "finished_at": firestore.SERVER_TIMESTAMP,
                },
            )

        fail(self.db.transaction())
