"""Reading sessions: access, plan and readiness rules, then the payload formatters.

- details: any status (200 with `status`/`progress` while not done);
- export: done sessions (409 before, `require_done`);
- analysis and summary: done sessions (409 before) and an active plan of the owner's, or
  an admin caller (403 otherwise).
`demo=true` on each serves the demo session instead, to any signed-in caller.
"""
from __future__ import annotations

from shared import auth, coverage, payloads, results
from shared.coach.facts import units_from
from shared.errors import Forbidden, NotFound, NotReady, SessionNotFound
from shared.lifts import ACTIVITY, parse_joints
from shared.payloads import user_zone
from shared.repository import Repository
from shared.storage import Storage

DEMO_SESSION_ID = "demo-snatch"
# The series each payload reads (paths inside a chunk's `series`); None reads them all.
DETAILS_FIELDS = ["timestamps_s", "angles", "bar.speed_mps", "bar.height_m", "bar.power_W", "body.grf_N",
                  "body.hip_height_m", "body.shoulder_height_m"]
ANALYSIS_FIELDS = ["timestamps_s", "angles", "bar", "body"]
SUMMARY_FIELDS = ["timestamps_s", "bar.speed_mps", "bar.height_m", "bar.x_m", "bar.power_W", "body.grf_N"]


def require_done(session: dict) -> None:
    """NotReady (409) unless the session is analysed: a failed one says why, with its error
    code (it never will be), a running one its progress."""
    status = session["status"]
    if status == "done":
        return
    if status == "failed":
        error = session.get("error") or {}
        raise NotReady(f"analysis failed: {error.get('message') or 'no reason was recorded'}", status="failed",
                       code=error.get("code") or "unknown")
    raise NotReady("the session is not analysed yet", status=status, progress=session.get("progress", 0))


def texts(session: dict, owner: dict | None, kind: str, measurement_system: str | None) -> dict:
    """The coaching texts of one unit system (`comments` or `summary_text`): the one asked
    for, else the owner's profile units, else metric."""
    system = units_from(measurement_system or (owner or {}).get("units")).system
    return (session.get(f"{kind}_by_units") or {}).get(system) or {}


class Reports:
    def __init__(self, repo: Repository | None = None, store: Storage | None = None):
        self.repo = repo or Repository()
        self.store = store or Storage()

    def readable(self, caller: auth.Caller, session_id: str) -> tuple[dict, dict | None]:
        session = self.repo.session(session_id)
        if session is None or session.get("activity") != ACTIVITY:
            raise SessionNotFound(session_id)
        owner = self.repo.user(session["user_id"])
        if not auth.may_act_for(caller, session["user_id"], owner):
            raise Forbidden("you may not read this session")
        return session, owner

    def _demo(self) -> tuple[dict, dict | None]:
        """The demo session: made by the real pipeline from the bundled demo video
        (`shared.demo`), readable by any signed-in caller."""
        session = self.repo.session(DEMO_SESSION_ID)
        if session is None or session.get("status") != "done":
            raise NotFound("the demo session is not installed")
        return session, self.repo.user(session["user_id"])

    def _finished(self, caller: auth.Caller, session_id: str, demo: bool, plan: bool) -> tuple[dict, dict | None]:
        """A done session and its owner, or the error that says why not."""
        session, owner = self._demo() if demo else self.readable(caller, session_id)
        if plan and not demo:
            auth.require_plan(caller, owner)
        require_done(session)
        return session, owner

    def series(self, session: dict, fields: list[str] | None = None, lift_only: bool = False) -> dict:
        """The session's series (only `fields`), over the whole clip or only the lift:
        just the chunks that hold those frames are read. Unmeasured frames are NaN; the
        payloads keep only each series' span (`shared.coverage`)."""
        frames = payloads.lift_frames(session) if lift_only else None
        ranges = [r for r in session.get("series_chunks") or []
                  if frames is None or (r["end_frame"] > frames[0] and r["start_frame"] < frames[1])]
        chunks = self.repo.series_chunks(session["id"], [r["index"] for r in ranges], fields)
        series = results.join_chunks(chunks, nan_as_none=False)
        if frames is None or not ranges:
            return series
        offset = ranges[0]["start_frame"]
        return results.cut(series, frames[0] - offset, frames[1] - offset)

    def details(self, caller: auth.Caller, session_id: str, demo: bool = False) -> dict:
        session, owner = self._demo() if demo else self.readable(caller, session_id)
        done = session["status"] == "done"
        series = self.series(session, DETAILS_FIELDS) if done else None
        return payloads.details(session, series, owner, user_zone(owner),
                                self.store.signed_url((session.get("video") or {}).get("path")),
                                self.store.signed_url(session.get("analyzed_video_path")) if done else None)

    def export(self, caller: auth.Caller, session_id: str, demo: bool = False, joints: str | None = None) -> dict:
        session, _ = self._finished(caller, session_id, demo, plan=False)
        series = self.series(session)
        return payloads.export(session, series, None if joints is None else parse_joints(joints))

    def export_csv(self, caller: auth.Caller, session_id: str, demo: bool = False) -> bytes:
        """The CSV the job wrote, else (a session stored before it did) built now."""
        session, _ = self._finished(caller, session_id, demo, plan=False)
        if session.get("export_csv_path"):
            return self.store.download_bytes(session["export_csv_path"])
        series = self.series(session)
        if session.get("series_coverage") is None:  # stored before the series were tidied
            series = coverage.tidy(series, payloads.lift_frames(session))[0]
        return payloads.export_csv(series).encode()

    def analysis(self, caller: auth.Caller, session_id: str, demo: bool = False,
                 measurement_system: str | None = None) -> dict:
        session, owner = self._finished(caller, session_id, demo, plan=True)
        series = self.series(session, ANALYSIS_FIELDS, lift_only=True)
        images = {phase: self.store.signed_url(path) for phase, path in (session.get("phase_images") or {}).items()}
        return payloads.analysis(session, series, owner, user_zone(owner), images,
                                 texts(session, owner, "comments", measurement_system))

    def summary(self, caller: auth.Caller, session_id: str, demo: bool = False,
                measurement_system: str | None = None) -> dict:
        session, owner = self._finished(caller, session_id, demo, plan=True)
        series = self.series(session, SUMMARY_FIELDS, lift_only=True)
        return payloads.summary(session, series, owner, user_zone(owner),
                                texts(session, owner, "summary_text", measurement_system))
