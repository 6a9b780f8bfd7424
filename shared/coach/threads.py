"""Coaching threads: what the POSTs create, what the task writes, what clients poll.

A thread is ours (`thread_…`, in `genai_threads`), one per session, kind, key (a summary
block or a lift-analysis metric) and unit system, so its id is derived from those: a
repeated POST finds the same threads and spends nothing on the ones that are queued,
being written or done. A failed thread is queued again.

The task (`python -m shared.coach …`, started through the task queue) takes each queued
thread in a transaction (a lease, so two deliveries never both pay for one text), writes
its text, and mirrors it into the session's `summary_text_by_units` / `comments_by_units`
under its unit system, which the summary and analysis payloads show for the system asked
(the owner's, unless the request names one): one system's text never stands in for the
other's. With OPENAI_API_KEY set, OpenAI writes; when it
cannot, the built-in coach does and the thread records the fallback.
"""

from __future__ import annotations

import hashlib
import logging
import time

from shared.adapters import tasks
from shared.adapters.openai_coach import CoachUnavailable, OpenAICoach
from shared.adapters.repository import Repository
from shared.coach.builtin import RECOMMENDATION_METRICS, SUMMARY_BLOCKS, BuiltInCoach
from shared.coach.facts import Units, lift_facts, units_from
from shared.config import openai_settings
from shared.domain import access
from shared.domain.model import Session, Thread, User
from shared.domain.reports import ANALYSIS_FIELDS, Reports, require_done
from shared.formatters.payloads import lift_frames

log = logging.getLogger("liftlab.coach")
KEYS = {"summary": SUMMARY_BLOCKS, "recommendation": RECOMMENDATION_METRICS}
# Each text is mirrored into the session, per unit system: `summary_text_by_units.imperial.power`
MIRROR = {"summary": "summary_text", "recommendation": "comments"}
LEASE_S = 300


def thread_id(session_id: str, kind: str, key: str, units: Units) -> str:
    return "thread_" + hashlib.sha256(f"{session_id}|{kind}|{key}|{units.system}".encode()).hexdigest()[:24]


class Coaching:
    def __init__(self, repo: Repository | None = None, reports: Reports | None = None):
        self.repo = repo or Repository()
        self.reports = reports or Reports(self.repo)

    def _session_for_coaching(self, caller: access.Caller, session_id: str) -> tuple[Session, User | None]:
        session, owner = self.reports.readable(caller, session_id)
        access.require_plan(caller, owner)
        require_done(session)
        return session, owner

    # ---- POST .../summary/ and .../recommendation/
    def request(self, caller: access.Caller, session_id: str, kind: str, measurement_system: str | None) -> dict:
        units = units_from(measurement_system)
        self._session_for_coaching(caller, session_id)
        ids, pending = {}, False
        for key in KEYS[kind]:
            ids[key] = thread_id(session_id, kind, key, units)
            pending |= self._queue(ids[key], session_id, kind, key, units)
        if pending:
            # A new name per request that found work: the task skips threads already taken.
            tasks.enqueue(
                f"coach-{kind}-{session_id}-{units.system}-{time.time_ns()}",
                ["-m", "shared.coach", "--session-id", session_id, "--kind", kind, "--units", units.system],
            )
        return ids

    def _queue(self, tid: str, session_id: str, kind: str, key: str, units: Units) -> bool:
        """Create the thread, or queue a failed one again; True when it needs writing."""
        return self.repo.queue_thread(Thread(id=tid, session_id=session_id, kind=kind, key=key, units=units.system))

    # ---- GET .../recommendation/
    def status(self, caller: access.Caller, session_id: str, measurement_system: str | None) -> dict:
        units = units_from(measurement_system)
        self._session_for_coaching(caller, session_id)
        out = {}
        for key in RECOMMENDATION_METRICS:
            tid = thread_id(session_id, "recommendation", key, units)
            thread = self.repo.thread(tid)
            out[key] = {
                "thread_id": tid,
                "status": thread.status if thread else "not_requested",
                "text": thread and thread.text,
                "provider": thread and thread.provider,
            }
        return out

    def write_now(self, session_id: str, kind: str, units: Units, owner_id: str) -> dict:
        """Create this kind's threads in these units and write them here, not through the
        task queue (the demo install): what a POST and its task do together."""
        for key in KEYS[kind]:
            self._queue(thread_id(session_id, kind, key, units), session_id, kind, key, units)
        return self.write(session_id, kind, units, owner_id)

    # ---- the task
    def write(self, session_id: str, kind: str, units: Units, owner_id: str) -> dict:
        """Write every queued thread of this session, kind and units; counts by outcome."""
        session = self.repo.session(session_id)
        owner = self.repo.user(session.user_id)
        frames = lift_frames(session.phases)
        facts = lift_facts(
            session, self.reports.series(session, ANALYSIS_FIELDS, lift_only=True), owner, frames[0] if frames else 0
        )
        settings = openai_settings()
        remote = OpenAICoach(settings) if settings else None
        builtin = BuiltInCoach()
        done = {"written": 0, "skipped": 0, "fallback": 0}
        for key in KEYS[kind]:
            tid = thread_id(session_id, kind, key, units)
            thread = self.repo.take_thread(tid, owner_id, LEASE_S)
            if thread is None:
                done["skipped"] += 1
                continue
            provider, ref, reason = builtin.provider, dict(thread.provider_ref), None
            text = None
            if remote is not None:
                try:
                    if not ref.get("response_id"):  # a retried task resumes the response it started
                        ref = remote.start(facts, kind, key, units, tid)
                        self.repo.update_thread(tid, {"provider_ref": ref, "provider": remote.provider})
                    text, provider = remote.finish(ref["response_id"]), remote.provider
                except CoachUnavailable as exc:
                    reason, provider = str(exc), "builtin_fallback"
                    done["fallback"] += 1
                    log.warning("thread %s: OpenAI unavailable (%s); the built-in coach writes it", tid, exc)
            if text is None:
                text = builtin.write(facts, kind, key, units)
            self._finish(tid, session_id, kind, key, units, text, provider, ref, reason)
            done["written"] += 1
        return done

    def _finish(self, tid, session_id, kind, key, units: Units, text, provider, ref, reason) -> None:
        self.repo.finish_thread(
            tid,
            {"text": text, "provider": provider, "provider_ref": ref, "fallback_reason": reason},
            session_id,
            {f"{MIRROR[kind]}_by_units.{units.system}.{key}": text},
        )
