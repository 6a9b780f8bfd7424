"""Reading sessions: access, plan and readiness rules, then the payload formatters.

- details: any status (200 with `status`/`progress` while not done);
- export: done sessions (409 before, `require_done`);
- analysis and summary: done sessions (409 before) and an active plan of the owner's, or
  an admin caller (403 otherwise).
`demo=true` on each serves the demo session instead, to any signed-in caller.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC

from shared.adapters.repository import Repository
from shared.adapters.storage import Storage
from shared.coach.facts import FT_PER_M, units_from
from shared.domain import access, history, progress
from shared.domain.errors import BadRequest, Forbidden, NotFound, NotReady, SessionNotFound
from shared.domain.lifts import ACTIVITY, EXERCISES, parse_joints
from shared.domain.model import Session, User
from shared.formatters import coverage, payloads, results
from shared.formatters.payloads import user_zone

DEMO_SESSION_ID = "demo-snatch"
DEMO_USER_ID = "demo-lifter"
UTC = UTC
# The series each payload reads (paths inside a chunk's `series`); None reads them all.
DETAILS_FIELDS = [
    "timestamps_s",
    "angles",
    "bar.speed_mps",
    "bar.height_m",
    "bar.power_W",
    "body.grf_N",
    "body.hip_height_m",
    "body.shoulder_height_m",
]
ANALYSIS_FIELDS = ["timestamps_s", "angles", "bar", "body"]
SUMMARY_FIELDS = ["timestamps_s", "bar.speed_mps", "bar.height_m", "bar.x_m", "bar.power_W", "body.grf_N"]
COMPARE_FIELDS = ["timestamps_s", "bar.x_m", "bar.height_m"]


def require_done(session: Session) -> None:
    """NotReady (409) unless the session is analysed: a failed one says why, with its error
    code (it never will be), a running one its progress."""
    if session.done:
        return
    if session.status == "failed":
        error = session.error
        raise NotReady(
            f"analysis failed: {(error and error.message) or 'no reason was recorded'}",
            status="failed",
            code=error.code if error else "unknown",
        )
    raise NotReady("the session is not analysed yet", status=session.status, progress=session.progress_pct)


def texts(session: Session, owner: User | None, kind: str, measurement_system: str | None) -> dict:
    """The coaching texts of one unit system (`comments` or `summary_text`): the one asked
    for, else the owner's profile units, else metric."""
    system = units_from(measurement_system or (owner and owner.units)).system
    return getattr(session, f"{kind}_by_units").get(system) or {}


class Reports:
    def __init__(self, repo: Repository | None = None, store: Storage | None = None):
        self.repo = repo or Repository()
        self.store = store or Storage()

    def readable(self, caller: access.Caller, session_id: str) -> tuple[Session, User | None]:
        session = self.repo.session(session_id)
        if session is None or session.activity != ACTIVITY:
            raise SessionNotFound(session_id)
        owner = self.repo.user(session.user_id)
        if not access.may_act_for(caller, session.user_id, owner):
            raise Forbidden("you may not read this session")
        return session, owner

    def _demo(self) -> tuple[Session, User | None]:
        """The demo session: made by the real pipeline from the bundled demo video
        (`shared.demo`), readable by any signed-in caller."""
        session = self.repo.session(DEMO_SESSION_ID)
        if session is None or not session.done:
            raise NotFound("the demo session is not installed")
        return session, self.repo.user(session.user_id)

    def _finished(self, caller: access.Caller, session_id: str, demo: bool, plan: bool) -> tuple[Session, User | None]:
        """A done session and its owner, or the error that says why not."""
        session, owner = self._demo() if demo else self.readable(caller, session_id)
        if plan and not demo:
            access.require_plan(caller, owner)
        require_done(session)
        return session, owner

    def series(self, session: Session, fields: list[str] | None = None, lift_only: bool = False) -> dict:
        """The session's series (only `fields`), over the whole clip or only the lift:
        just the chunks that hold those frames are read. Unmeasured frames are NaN; the
        payloads keep only each series' span (`shared.formatters.coverage`)."""
        frames = payloads.lift_frames(session.phases) if lift_only else None
        ranges = [
            r
            for r in session.series_chunks
            if frames is None or (r["end_frame"] > frames[0] and r["start_frame"] < frames[1])
        ]
        chunks = self.repo.series_chunks(session.id, [r["index"] for r in ranges], fields)
        series = results.join_chunks(chunks, nan_as_none=False)
        if frames is None or not ranges:
            return series
        offset = ranges[0]["start_frame"]
        return results.cut(series, frames[0] - offset, frames[1] - offset)

    def details(self, caller: access.Caller, session_id: str, demo: bool = False) -> dict:
        session, owner = self._demo() if demo else self.readable(caller, session_id)
        done = session.done
        series = self.series(session, DETAILS_FIELDS) if done else None
        return payloads.details(
            session,
            series,
            owner,
            user_zone(owner),
            self.store.signed_url(session.video.path if session.video else None),
            self.store.signed_url(session.analyzed_video_path) if done else None,
        )

    def export(self, caller: access.Caller, session_id: str, demo: bool = False, joints: str | None = None) -> dict:
        session, _ = self._finished(caller, session_id, demo, plan=False)
        series = self.series(session)
        return payloads.export(session, series, None if joints is None else parse_joints(joints))

    def export_csv(self, caller: access.Caller, session_id: str, demo: bool = False) -> bytes:
        """The CSV the job wrote, else (a session stored before it did) built now."""
        session, _ = self._finished(caller, session_id, demo, plan=False)
        if session.export_csv_path:
            return self.store.download_bytes(session.export_csv_path)
        series = self.series(session)
        if session.series_coverage is None:  # stored before the series were tidied
            series = coverage.tidy(series, payloads.lift_frames(session.phases))[0]
        return payloads.export_csv(series).encode()

    def analysis(
        self, caller: access.Caller, session_id: str, demo: bool = False, measurement_system: str | None = None
    ) -> dict:
        session, owner = self._finished(caller, session_id, demo, plan=True)
        series = self.series(session, ANALYSIS_FIELDS, lift_only=True)
        images = {phase: self.store.signed_url(path) for phase, path in session.phase_images.items()}
        return payloads.analysis(
            session, series, owner, user_zone(owner), images, texts(session, owner, "comments", measurement_system)
        )

    def summary(
        self, caller: access.Caller, session_id: str, demo: bool = False, measurement_system: str | None = None
    ) -> dict:
        session, owner = self._finished(caller, session_id, demo, plan=True)
        series = self.series(session, SUMMARY_FIELDS, lift_only=True)
        return payloads.summary(
            session, series, owner, user_zone(owner), texts(session, owner, "summary_text", measurement_system)
        )

    # ---- history: list, progress, compare
    def _user_in_reach(self, caller: access.Caller, user_id: str, demo: bool, refusal: str) -> User | None:
        """The profile of a user whose history the caller may read (the demo lifter's, anyone):
        Forbidden with `refusal` otherwise, checked first so that a refused caller learns
        nothing; NotFound for no such user, unless it is the caller."""
        owner = self.repo.user(user_id)
        if not demo and not access.may_act_for(caller, user_id, owner):
            raise Forbidden(refusal)
        if owner is None and user_id != caller.uid:
            raise NotFound(f"user {user_id} not found")
        return owner

    def list_sessions(self, caller: access.Caller, args: Mapping[str, str], demo: bool = False) -> dict:
        """A user's sessions (a sub_admin's org, anyone's for an admin), newest first, by page.
        Access is checked before the filters are read."""
        user_id = DEMO_USER_ID if demo else (args.get("user_id") or None)
        owner = None
        if user_id is not None:
            owner = self._user_in_reach(caller, user_id, demo, "you may not list this user's sessions")
            scope = {"user_id": user_id}
        elif caller.is_admin:
            scope = {}
        elif caller.role == "sub_admin" and caller.org_id:
            scope = {"org_id": caller.org_id}
        else:
            owner, scope = self.repo.user(caller.uid), {"user_id": caller.uid}
        query = history.ListQuery(args, user_zone(owner) if "user_id" in scope else UTC)
        equal = {
            "activity": ACTIVITY,
            **scope,
            **{k: v for k, v in (("exercise", query.exercise), ("status", query.status)) if v},
        }
        found = self.repo.list_sessions(equal, query.start, query.end, query.cursor, query.limit + 1)
        page = found[: query.limit]
        owners = self.repo.users({s.user_id for s in page} - {user_id}) | ({user_id: owner} if owner else {})
        return {
            "sessions": [
                history.list_item(s, owners.get(s.user_id), self.store.signed_url(history.thumbnail_path(s)))
                for s in page
            ],
            "next_page_token": query.page_token(page[-1]) if len(found) > query.limit else None,
        }

    def progress(self, caller: access.Caller, user_id: str, args: Mapping[str, str], demo: bool = False) -> dict:
        """Records, the load–velocity profile and trends of one user's exercise."""
        user_id = DEMO_USER_ID if demo else user_id
        owner = self._user_in_reach(caller, user_id, demo, "you may not read this user's progress")
        exercise = args.get("exercise")
        if exercise not in EXERCISES:
            raise BadRequest(f"exercise is required: one of {', '.join(EXERCISES)}")
        units = units_from(args.get("measurement_system") or (owner and owner.units))
        mvt = None
        if args.get("mvt") is not None:
            scale, unit = (FT_PER_M, "ft/s") if units.imperial else (1.0, "m/s")
            try:
                mvt = float(args["mvt"]) / scale
            except ValueError:
                mvt = math.nan
            if not 0.3 <= mvt <= 4.0:
                raise BadRequest(f"mvt must be a speed in {unit} from {0.3 * scale:.1f} to {4.0 * scale:.1f}")
        return progress.progress(self.repo.lift_summaries(user_id, exercise), exercise, units.imperial, mvt)

    def compare(self, caller: access.Caller, args: Mapping[str, str]) -> dict:
        """Two done lifts side by side; the caller must be allowed to read both."""
        ids = {name: args.get(name) for name in ("a", "b")}
        missing = [name for name, value in ids.items() if not value]
        if missing:
            raise BadRequest(
                f"{' and '.join(missing)} must name a session to compare", fields={name: "required" for name in missing}
            )
        sessions = {name: self.readable(caller, session_id)[0] for name, session_id in ids.items()}
        raw = args.get("lift", "0")
        if not raw.isdigit():
            raise BadRequest("lift must be a lift's index: 0 for the first")
        for session in sessions.values():
            require_done(session)
            if int(raw) >= max(history.lift_count(session), 1):
                raise NotFound(f"session {session.id} has no lift {raw}")
        paths = {
            name: history.bar_path(s, self.series(s, COMPARE_FIELDS, lift_only=True)) for name, s in sessions.items()
        }
        return history.compare(sessions["a"], sessions["b"], paths["a"], paths["b"])
