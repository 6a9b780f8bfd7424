"""Progress: a lifter's records, load–velocity profile and trends in one lift, from the
lift summaries (`lift_summary`), never from the series. Pure functions; `shared.domain.reports`
reads them and checks access.

A *lift summary* (`lift_summaries/{session_id}`) is the small document the job writes
beside a session when it is done; in the same transaction it rolls it up into
`users/{uid}/progress/{exercise}` (`rolled_up`), one document with a column per field, so
that progress reads one document: no series, no session (docs/decisions/0006).
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from datetime import UTC, datetime

from shared.coach.facts import FT_PER_M, LB_PER_KG
from shared.domain.history import HEADLINE, lift_count
from shared.domain.model import Session
from shared.formatters.payloads import numeric_metrics
from shared.formatters.results import pack, unpack

# Minimum velocity threshold: the peak bar speed (m/s) at which the load–velocity line is
# read as the lifter's estimated max. These are LiftLab's defaults, set below the peak bar
# speeds reported for maximal competition snatches and cleans (reviewed by Garhammer 1993,
# J Strength Cond Res 7(2):76-89) so that the estimate errs low. A lifter's own threshold
# (their peak speed at a recent true max) is better: pass `mvt`.
MVT_MPS = {"snatch": 1.50, "clean": 1.20, "clean_and_jerk": 1.20}
MVT_SOURCE = (
    "LiftLab default, below the peak bar speeds reported for maximal competition lifts "
    "(Garhammer 1993, J Strength Cond Res 7(2):76-89); override with mvt"
)
MIN_LOADS = 3


# ---- the lift summary the job writes
def lift_summary(session: Session) -> dict:
    """The few fields progress reads, from a done session."""
    metrics = numeric_metrics(session.metrics)
    return {
        "session_id": session.id,
        "user_id": session.user_id,
        "org_id": session.org_id,
        "exercise": session.exercise,
        "created_at": session.created_at,
        "barbell_mass_kg": session.barbell_mass_kg,
        "outcome": session.outcome,
        "lifts": lift_count(session),
        **{k: metrics.get(k) for k in HEADLINE},
        "faults": sorted({f["code"] for f in session.faults}),
    }


# The per-user, per-exercise roll-up of the lift summaries (`users/{uid}/progress/{exercise}`):
# progress reads one document, not one per session. Numbers are packed columns
# (`shared.formatters.results.pack`: float64 bytes, NaN for none), texts one string a column with a
# line per session (faults joined by commas), so a few hundred sessions decode in microseconds.
ROLLUP_NUMBERS = ("created_at", "barbell_mass_kg", "max_bar_speed", "peak_bar_height", "max_power")
ROLLUP_TEXTS = ("session_id", "outcome", "faults")


def rolled_up(rollup: dict | None, summary: dict) -> dict:
    """The roll-up with `summary` added, or put in place of that session's earlier one."""
    rows = unrolled(rollup, summary["exercise"])
    at = next((i for i, row in enumerate(rows) if row["session_id"] == summary["session_id"]), len(rows))
    rows[at : at + 1] = [summary]
    numbers = {k: [row.get(k) for row in rows] for k in ROLLUP_NUMBERS}
    numbers["created_at"] = [row["created_at"].timestamp() for row in rows]
    texts = {
        "session_id": [row["session_id"] for row in rows],
        "outcome": [row.get("outcome") or "" for row in rows],
        "faults": [",".join(row.get("faults") or []) for row in rows],
    }
    return {
        "sessions": len(rows),
        **{k: pack(v) for k, v in numbers.items()},
        **{k: "\n".join(v) for k, v in texts.items()},
    }


def unrolled(rollup: dict | None, exercise: str) -> list[dict]:
    """The lift summaries of a roll-up (the fields progress reads)."""
    if not rollup or not rollup.get("sessions"):
        return []
    n = rollup["sessions"]
    columns = {k: unpack(rollup[k]) for k in ROLLUP_NUMBERS}
    columns["created_at"] = [datetime.fromtimestamp(t, UTC) for t in columns["created_at"]]
    columns.update({k: rollup[k].split("\n") for k in ROLLUP_TEXTS})
    columns["outcome"] = [o or None for o in columns["outcome"]]
    columns["faults"] = [[f for f in faults.split(",") if f] for faults in columns["faults"]]
    return [{"exercise": exercise, **{k: columns[k][i] for k in columns}} for i in range(n)]


# ---- GET /weightlifting/users/{user_id}/progress/
def progress(summaries: list[dict], exercise: str, imperial: bool = False, mvt_mps: float | None = None) -> dict:
    """Records, the load–velocity profile and weekly trends of one lifter's `exercise`."""
    mine = sorted((s for s in summaries if s.get("exercise") == exercise), key=lambda s: s["created_at"])
    made = [s for s in mine if s.get("outcome") == "complete" and s.get("barbell_mass_kg")]
    to_mass = (lambda kg: round(kg * LB_PER_KG, 1)) if imperial else (lambda kg: kg)
    to_speed = (lambda v: round(v * FT_PER_M, 3)) if imperial else (lambda v: v)
    to_length = to_speed
    units = {
        "mass": "lb" if imperial else "kg",
        "speed": "ft/s" if imperial else "m/s",
        "height": "ft" if imperial else "m",
        "power": "W",
    }
    return {
        "exercise": exercise,
        "units": units,
        "sessions": len(mine),
        "made_lifts": len(made),
        "records": _records(made, to_mass, to_speed),
        "load_velocity": _load_velocity(made, exercise, mvt_mps, to_mass, to_speed),
        "trends": _trends(made, mine, to_mass, to_speed, to_length),
    }


def _link(s: dict) -> dict:
    return {"session_id": s["session_id"], "date": s["created_at"].date().isoformat()}


def _records(made: list[dict], to_mass, to_speed) -> dict:
    heaviest = max(made, key=lambda s: (s["barbell_mass_kg"], s["created_at"]), default=None)
    powered = [s for s in made if s.get("max_power") is not None]
    strongest = max(powered, key=lambda s: s["max_power"], default=None)
    fastest = {}
    for s in made:
        if s.get("max_bar_speed") is not None:
            best = fastest.get(s["barbell_mass_kg"])
            if best is None or s["max_bar_speed"] > best["max_bar_speed"]:
                fastest[s["barbell_mass_kg"]] = s
    return {
        "heaviest_made": heaviest and {"barbell_mass": to_mass(heaviest["barbell_mass_kg"]), **_link(heaviest)},
        "fastest_at_load": [
            {"barbell_mass": to_mass(kg), "max_bar_speed": to_speed(s["max_bar_speed"]), **_link(s)}
            for kg, s in sorted(fastest.items())
        ],
        "highest_power": strongest and {"max_power": strongest["max_power"], **_link(strongest)},
    }


def fit_line(xs: list[float], ys: list[float]) -> dict:
    """Least squares y = intercept + slope·x, with r² and the residual standard deviation."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    syy = sum((y - my) ** 2 for y in ys)
    slope = sxy / sxx
    intercept = my - slope * mx
    residual = sum((y - intercept - slope * x) ** 2 for x, y in zip(xs, ys))
    return {
        "slope": slope,
        "intercept": intercept,
        "r2": 1 - residual / syy if syy > 0 else 1.0,
        "residual_sd": math.sqrt(residual / (n - 2)) if n > 2 else 0.0,
    }


def _load_velocity(made: list[dict], exercise: str, mvt_mps: float | None, to_mass, to_speed) -> dict:
    points = [s for s in made if s.get("max_bar_speed") is not None]
    mvt = MVT_MPS[exercise] if mvt_mps is None else mvt_mps
    out = {
        "points": [
            {
                "barbell_mass": to_mass(s["barbell_mass_kg"]),
                "max_bar_speed": to_speed(s["max_bar_speed"]),
                "session_id": s["session_id"],
            }
            for s in points
        ],
        "mvt": {"value": to_speed(mvt), "source": "query" if mvt_mps is not None else MVT_SOURCE},
    }
    loads = {s["barbell_mass_kg"] for s in points}
    if len(loads) < MIN_LOADS:
        return {
            **out,
            "status": "not_enough_data",
            "message": f"not enough data: made lifts at {MIN_LOADS} different loads are needed, {len(loads)} so far",
        }
    xs, ys = [s["barbell_mass_kg"] for s in points], [s["max_bar_speed"] for s in points]
    line = fit_line(xs, ys)
    out["line"] = {
        "slope": line["slope"],
        "intercept": line["intercept"],
        "r2": round(line["r2"], 4),
        "residual_sd": line["residual_sd"],
        "n": len(points),
        "loads": len(loads),
        "units": "speed = intercept + slope × mass, in m/s and kg",
    }
    if line["slope"] >= 0:
        return {
            **out,
            "status": "no_estimate",
            "message": "the bar is not slower at heavier loads in these lifts, so no max can be read off the line",
        }
    at = (mvt - line["intercept"]) / line["slope"]
    low = (mvt + line["residual_sd"] - line["intercept"]) / line["slope"]
    high = (mvt - line["residual_sd"] - line["intercept"]) / line["slope"]
    heaviest = max(xs)
    return {
        **out,
        "status": "ok",
        "estimated_max": {
            "barbell_mass": to_mass(round(at, 1)),
            "low": to_mass(round(low, 1)),
            "high": to_mass(round(high, 1)),
            "extrapolated_pct": round(100 * (at - heaviest) / heaviest, 1),
            "uncertainty": "low and high are the loads at which the line, moved by one residual "
            "standard deviation of the points, reaches the threshold; the further "
            "past the heaviest lift the estimate lies, the less it is worth",
        },
    }


def _trends(made: list[dict], every: list[dict], to_mass, to_speed, to_length) -> dict:
    loads = Counter(s["barbell_mass_kg"] for s in made)
    common = max(loads, key=lambda kg: (loads[kg], kg)) if loads else None
    weeks: dict[str, list[dict]] = {}
    for s in made:
        if s["barbell_mass_kg"] == common:
            year, week, _ = s["created_at"].isocalendar()
            weeks.setdefault(f"{year}-W{week:02d}", []).append(s)

    def stats(group: list[dict], key: str, convert) -> dict:
        values = [s[key] for s in group if s.get(key) is not None]
        return (
            {"best": convert(max(values)), "median": convert(round(statistics.median(values), 3))} if values else None
        )

    faults = Counter(code for s in every for code in s.get("faults") or [])
    last = {code: s for s in every for code in s.get("faults") or []}  # sorted by time: the latest wins
    return {
        "barbell_mass": to_mass(common) if common is not None else None,
        "weeks": [
            {
                "week": week,
                "lifts": len(group),
                "max_bar_speed": stats(group, "max_bar_speed", to_speed),
                "peak_bar_height": stats(group, "peak_bar_height", to_length),
            }
            for week, group in sorted(weeks.items())
        ],
        "recurring_faults": [
            {"code": code, "sessions": n, "last": _link(last[code])} for code, n in faults.most_common(5)
        ],
    }
