"""A lifter's history: the list of sessions and the comparison of two lifts. Pure
functions on sessions (`shared.domain.model`); `shared.domain.reports.Reports` reads them and checks access.
Progress, built from the lift summaries, is `shared.domain.progress`.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from shared.coach.facts import LB_PER_KG
from shared.domain.errors import BadRequest
from shared.domain.lifts import EXERCISE_TITLES, EXERCISES
from shared.domain.model import STATUSES, Session, User
from shared.formatters.payloads import created_at, is_number, lift_frames, numeric_metrics, user_zone

HEADLINE = ("max_bar_speed", "peak_bar_height", "max_power")
DEFAULT_LIMIT, MAX_LIMIT = 20, 100
# The phase images a list item's thumbnail is taken from, best first.
THUMBNAIL_PHASES = ("catch", "second_pull", "turnover", "recovery", "first_pull", "setup")


def lift_count(session: Session) -> int:
    """Lifts found in the clip by a done session: those whose bar left the floor (a session
    analysed before engine 2.2 holds one lift, the top level's), none otherwise."""
    if not session.done:
        return 0
    if session.lifts is not None:
        return sum(lift.get("outcome") in ("complete", "missed") for lift in session.lifts)
    return 1 if session.outcome in ("complete", "missed") else 0


# ---- GET /weightlifting/sessions/ (list)
class ListQuery:
    """The list's filters, parsed and checked: BadRequest naming every bad one."""

    def __init__(self, args, zone: ZoneInfo):
        errors = {}
        self.user_id = args.get("user_id") or None
        self.exercise = args.get("exercise") or None
        if self.exercise is not None and self.exercise not in EXERCISES:
            errors["exercise"] = f"exercise must be one of {', '.join(EXERCISES)}"
        self.status = args.get("status") or None
        if self.status is not None and self.status not in STATUSES:
            errors["status"] = f"status must be one of {', '.join(STATUSES)}"
        self.start = self.end = None
        for name in ("from", "to"):
            raw = args.get(name)
            if raw:
                try:
                    day = date.fromisoformat(raw)
                    if len(raw) != 10:
                        raise ValueError
                except ValueError:
                    errors[name] = f"{name} must be a date, YYYY-MM-DD"
                    continue
                midnight = datetime.combine(day, datetime.min.time(), zone)
                if name == "from":
                    self.start = midnight
                else:
                    self.end = midnight + timedelta(days=1)
        if self.start and self.end and self.start >= self.end:
            errors["to"] = "to must not be before from"
        raw = args.get("limit")
        self.limit = DEFAULT_LIMIT
        if raw is not None:
            try:
                self.limit = int(raw)
                if not 1 <= self.limit <= MAX_LIMIT:
                    raise ValueError
            except ValueError:
                errors["limit"] = f"limit must be a whole number from 1 to {MAX_LIMIT}"
        self.cursor = None
        token = args.get("page_token")
        if token:
            self.cursor = self._cursor(token)
            if self.cursor is None:
                errors["page_token"] = "page_token is not one this list gave, or belongs to other filters"
        if errors:
            raise BadRequest("; ".join(errors.values()), fields=errors)

    def _fingerprint(self) -> str:
        key = json.dumps(
            [
                self.user_id,
                self.exercise,
                self.status,
                self.start and self.start.isoformat(),
                self.end and self.end.isoformat(),
            ]
        )
        return hashlib.sha256(key.encode()).hexdigest()[:12]

    def page_token(self, last: Session) -> str:
        """Opaque: where the next page starts (after `last`), and the filters it belongs to."""
        raw = json.dumps({"c": last.created_at.isoformat(), "i": last.id, "q": self._fingerprint()})
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    def _cursor(self, token: str) -> tuple[datetime, str] | None:
        try:
            data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            if data["q"] != self._fingerprint():
                return None
            return datetime.fromisoformat(data["c"]), str(data["i"])
        except (ValueError, KeyError, TypeError):
            return None


def thumbnail_path(session: Session) -> str | None:
    images = session.phase_images
    return next((images[p] for p in THUMBNAIL_PHASES if p in images), next(iter(images.values()), None))


def list_item(session: Session, owner: User | None, thumbnail_url: str | None) -> dict:
    """One session in the list: what a history screen shows without opening it."""
    imperial = owner is not None and owner.units == "imperial"
    kg = session.barbell_mass_kg
    metrics = numeric_metrics(session.metrics)
    return {
        "session_id": session.id,
        "user_id": session.user_id,
        "title": session.title,
        "exercise": session.exercise,
        "exercise_name": EXERCISE_TITLES[session.exercise],
        "barbell_mass": {"value": round(kg * LB_PER_KG, 1) if imperial else kg, "unit": "lb" if imperial else "kg"}
        if kg is not None
        else None,
        "status": session.status,
        "progress": session.progress_pct,
        "outcome": session.outcome,
        "lifts": lift_count(session),
        "created_at": created_at(session, user_zone(owner)),
        **{k: metrics.get(k) for k in HEADLINE},
        "thumbnail_url": thumbnail_url,
    }


# ---- GET /weightlifting/sessions/compare/
COMPARE_METRICS = HEADLINE + ("lift_duration_s", "drop_under_bar", "bar_toward_lifter_m")


def bar_path(session: Session, series: dict) -> dict:
    """The bar path in metres from liftoff to the lift's end: `t_s` from liftoff, `x_m` from
    the bar's start, `height_m` above the floor; only frames where the bar was measured (the
    times say which). `series` holds the lift's frames."""
    t, bar = series.get("timestamps_s", []), series.get("bar", {})
    x, height = bar.get("x_m", []), bar.get("height_m", [])
    start = (lift_frames(session.phases) or (0, 0))[0]
    liftoff = session.landmarks.get("liftoff")
    first = max(liftoff - start, 0) if isinstance(liftoff, int) else 0
    keep = [i for i in range(first, min(len(t), len(x), len(height))) if is_number(x[i]) and is_number(height[i])]
    t0 = t[first] if first < len(t) else 0.0
    return {
        "t_s": [round(t[i] - t0, 4) for i in keep],
        "x_m": [round(x[i], 4) for i in keep],
        "height_m": [round(height[i], 4) for i in keep],
    }


def compare(a: Session, b: Session, path_a: dict, path_b: dict) -> dict:
    """Two done sessions side by side: paths aligned at liftoff, phase durations, metric
    differences (b − a) and the faults only one of them has."""
    ma, mb = numeric_metrics(a.metrics), numeric_metrics(b.metrics)
    da = a.metrics.get("phase_durations_s") or {}
    db = b.metrics.get("phase_durations_s") or {}
    order = [p["name"] for p in a.phases] + [p["name"] for p in b.phases]
    phases = list(dict.fromkeys(order))
    fa = {f["code"] for f in a.faults}
    fb = {f["code"] for f in b.faults}

    def side(s: Session, path: dict) -> dict:
        return {
            "session_id": s.id,
            "exercise": s.exercise,
            "barbell_mass_kg": s.barbell_mass_kg,
            "outcome": s.outcome,
            "bar_path": path,
        }

    return {
        "a": side(a, path_a),
        "b": side(b, path_b),
        "phase_durations_s": [
            {
                "phase": p,
                "a": da.get(p),
                "b": db.get(p),
                "difference": round(db[p] - da[p], 3) if p in da and p in db else None,
            }
            for p in phases
        ],
        "metrics": {
            k: {"a": ma.get(k), "b": mb.get(k), "difference": round(mb[k] - ma[k], 4) if k in ma and k in mb else None}
            for k in COMPARE_METRICS
        },
        "faults": {"only_a": sorted(fa - fb), "only_b": sorted(fb - fa), "both": sorted(fa & fb)},
    }
