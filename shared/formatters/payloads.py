"""The read payloads, formatted from what the engine wrote. Pure functions: a finished
session (`shared.domain.model.Session`), its per-frame series (result.json's shape) and the
owner's profile in, the spec's JSON out. Every number comes from the session's results.

The analysis and summary payloads are given the series of the lift only (`lift_frames`:
the first phase's start to the last phase's end), the frames the engine's peak metrics
are taken over; a bar dropped afterwards would otherwise outrun the lift.

Every per-frame array holds numbers only (`shared.formatters.coverage`): short gaps are filled, a
series is cut to its span, and one not measured in the lift is left out (an empty array
where the spec requires the key). Each payload's `quality` says which: `unmeasured`,
`gaps` and `cut`, named by their path in the payload.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson

from shared.domain.lifts import EXERCISE_TITLES
from shared.domain.model import Session, User
from shared.formatters.coverage import Window
from shared.formatters.documents import failure_doc

MM_PER_M = 1000.0


def user_zone(user: User | None) -> ZoneInfo:
    """The user's IANA timezone, falling back to UTC."""
    try:
        return ZoneInfo((user and user.timezone) or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def is_number(value: object) -> bool:
    """A finite-or-infinite number, not a bool and not NaN (NaN != NaN)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value


def numeric_metrics(metrics: dict) -> dict:
    """The spec's `metrics`: each key maps to a number."""
    return {k: v for k, v in metrics.items() if is_number(v)}


def created_at(session: Session, zone: ZoneInfo) -> dict:
    local: datetime = session.created_at.astimezone(zone)
    return {"date": local.strftime("%d/%m/%Y"), "time": local.strftime("%I:%M %p")}


def user_information(user: User | None) -> dict:
    """`weight` in kg and `height` in cm, as the spec's example."""
    return {
        "display_name": user.display_name if user else "",
        "age": user and user.age_years,
        "weight": user and user.weight_kg,
        "height": user and user.height_cm,
    }


def lift_frames(phases: list) -> tuple[int, int] | None:
    """Frames [start, stop) of the lift: the first phase's start to the last phase's end."""
    return (phases[0]["start_frame"], phases[-1]["end_frame"] + 1) if phases else None


def _scaled(values: list, factor: float = 1.0, digits: int = 3) -> list:
    if factor == MM_PER_M:
        return [int(round(v * factor)) for v in values]
    return [round(v * factor, digits) for v in values]


def _range(values: list, digits: int = 3) -> dict:
    return {
        "min": round(min(values), digits) if values else None,
        "max": round(max(values), digits) if values else None,
        "values": values,
    }


def window(session: Session, series: dict, lift_only: bool) -> Window:
    """The payload's view of `series`: the whole clip, or (`lift_only`) the lift's frames."""
    frames = lift_frames(session.phases) if lift_only else None
    return Window(series, frames[0] if frames else 0, session.series_coverage)


def _series_map(w: Window, group: str, names) -> dict:
    """{name: values} of the measured series `names` of `group`, named `group.name` in quality."""
    return w.take_map((name, f"{group}.{name}", f"{group}.{name}") for name in names)


# ---- GET .../export/
def export(session: Session, series: dict, joints: list[str] | None = None) -> dict:
    w = window(session, series, lift_only=False)
    angles = list(series.get("angles", {}))
    if joints and "all" not in joints:
        wanted = {j[:3] for j in joints}
        angles = [k for k in angles if k[1:4] in wanted]
    return {
        "keypoints": _series_map(w, "keypoints", series.get("keypoints", {})),
        "angles": _series_map(w, "angles", angles),
        "all_timestamps": series.get("timestamps_s", []),
        "metrics": numeric_metrics(session.metrics),
        "activity": session.activity,
        "lifts": lifts(session),
        "quality": w.quality(),
    }


def lifts(session: Session) -> list:
    """Every lift the engine found in the clip (an addition to the spec's fields): frames and
    times (liftoff to the bar back on the floor), outcome, phases, landmarks, metrics and
    faults. A session analysed before engine 2.2 holds one lift, the top level's."""
    if session.lifts is not None:
        return session.lifts
    phases, metrics = session.phases, session.metrics
    if not phases or not metrics:
        return []
    marks = session.landmarks
    first = marks.get("liftoff", phases[0]["start_frame"])
    return [
        {
            "index": 0,
            "start_frame": first,
            "end_frame": phases[-1]["end_frame"],
            "start_s": next((p["start_s"] for p in phases if p["start_frame"] == first), phases[0]["start_s"]),
            "end_s": phases[-1]["end_s"],
            "outcome": metrics.get("outcome"),
            "phases": phases,
            "landmarks": marks,
            "metrics": metrics,
            "faults": session.faults,
        }
    ]


def csv_columns(series: dict) -> dict:
    """One column per measured series: time, bar (prefixed `bar_`), keypoints, angles, body."""
    columns = {"t_s": series.get("timestamps_s", [])}
    columns.update({f"bar_{k}": v for k, v in series.get("bar", {}).items()})
    for group in ("keypoints", "angles", "body"):
        columns.update(series.get(group, {}))
    return {k: v for k, v in columns.items() if any(x == x for x in v if x is not None)}


def export_csv(series: dict) -> str:
    """`series` as stored (`shared.formatters.coverage.tidy`: NaN outside each series' span), with
    those frames as empty cells and the series never measured left out. Numbers need no
    quoting, so rows are joined directly: a 2-minute clip has ~400,000 cells, and
    csv.writer takes several times longer."""
    columns = csv_columns(series)
    # orjson formats floats several times faster than repr (NaN comes out as null).
    cells = [orjson.dumps(values)[1:-1].decode().split(",") if values else [] for values in columns.values()]
    body = "\n".join(map(",".join, zip(*cells)))
    return ",".join(columns) + "\n" + body.replace("null", "") + "\n"


# ---- GET .../analysis/
# What quality tells a client beside the warnings: how the clip was scaled and how sure that is.
ANALYSIS_QUALITY = (
    "calibration",
    "calibration_uncertainty_pct",
    "camera_yaw_deg",
    "perspective_pct_per_m",
    "sources",
    "pose_coverage",
    "bar_coverage",
)


def bar_path_px(session: Session, w: Window) -> dict:
    """The bar's centre per frame in the video's display pixels (upright, square pixels), and
    the scale there, so a client can draw on the original video. Sessions analysed before
    engine 2.0 have no pixel path and a scale in the engine's working pixels (`pixels` null)."""
    scale, video = session.scale, session.analysis_video
    return {
        "x": _scaled(w.take("bar.x_px", "bar_path_px.x", required=True), digits=1),
        "y": _scaled(w.take("bar.y_px", "bar_path_px.y", required=True), digits=1),
        "px_per_m": scale.get("px_per_m"),
        "pixels": scale.get("pixels"),
        "video_width": video.get("width"),
        "video_height": video.get("height"),
    }


JOINT_ANGLES = (("hip", "hip"), ("knee", "kne"), ("ankle", "ank"), ("shoulder", "sho"), ("elbow", "elb"))


def analysis(
    session: Session, series: dict, owner: User | None, zone: ZoneInfo, image_urls: dict, comments: dict
) -> dict:
    """`series` holds the lift's frames only."""
    t, side, w = series.get("timestamps_s", []), session.near_side, window(session, series, lift_only=True)
    phases, quality = session.phases, session.quality

    def take(path: str, name: str, factor: float = 1.0, digits: int = 3) -> list:
        return _scaled(w.take(path, name, required=True), factor, digits)

    angles = w.take_map(
        (f"{joint}_angle", f"angles.{side}{key}_angle", f"joint_angles.{joint}_angle") for joint, key in JOINT_ANGLES
    )
    joint_angles = {name: _scaled(values, digits=1) for name, values in angles.items()}
    return {
        "exercise": session.exercise,
        "outcome": session.outcome,
        "key_metrics": {
            "power_output": take("bar.power_W", "key_metrics.power_output", digits=1),
            "ground_reaction_force": take("body.grf_N", "key_metrics.ground_reaction_force", digits=1),
            "barbell_velocity": take("bar.speed_mps", "key_metrics.barbell_velocity"),
        },
        "body_positioning": {
            "hip_velocity": take("body.hip_speed_mps", "body_positioning.hip_velocity"),
            "shin_angle": take("body.shin_angle", "body_positioning.shin_angle", digits=1),
            "hip_height": take("body.hip_height_m", "body_positioning.hip_height", MM_PER_M),
            "torso_angle": take("body.torso_angle", "body_positioning.torso_angle", digits=1),
        },
        "joint_angles": joint_angles,
        "barbell_positioning": {
            "bar_height": take("bar.height_m", "barbell_positioning.bar_height", MM_PER_M),
            "barbell_trajectory": take("bar.x_m", "barbell_positioning.barbell_trajectory", MM_PER_M),
            "vertical_shoulder_height": take(
                "body.shoulder_height_m", "barbell_positioning.vertical_shoulder_height", MM_PER_M
            ),
        },
        "timestamps_ms": [int(round(v * 1000)) for v in t],
        "phase_data": {p["name"]: {"image_url": image_urls[p["name"]]} for p in phases if p["name"] in image_urls},
        "chart_data": {
            p["name"]: {"start": int(round(p["start_s"] * 1000)), "end": int(round(p["end_s"] * 1000))} for p in phases
        },
        "faults": session.faults,
        "lifts": lifts(session),
        "bar_path_px": bar_path_px(session, w),
        "quality": {
            "warnings": quality.get("warnings", []),
            **{k: quality.get(k) for k in ANALYSIS_QUALITY},
            **w.quality(),
        },
        "user_information": user_information(owner),
        "session_date": created_at(session, zone)["date"],
        "comments": comments,
    }


# ---- GET .../summary/
def summary(session: Session, series: dict, owner: User | None, zone: ZoneInfo, summary_text: dict | None) -> dict:
    """`series` holds the lift's frames only."""
    w = window(session, series, lift_only=True)
    height = _scaled(w.take("bar.height_m", "stability.bar_height", required=True))
    velocity = _scaled(w.take("bar.speed_mps", "velocity.bar_velocity", required=True))
    grf = _scaled(w.take("body.grf_N", "power.ground_reaction_force", required=True), digits=1)
    power = _scaled(w.take("bar.power_W", "power.power", required=True), digits=1)
    x = _scaled(w.take("bar.x_m", "stability.bar_trajectory.xAxis", required=True))
    payload = {
        "exercise_type": EXERCISE_TITLES[session.exercise],
        "outcome": session.outcome,
        "velocity": {"bar_velocity": _range(velocity)},
        "power": {"ground_reaction_force": _range(grf, 1), "power": _range(power, 1)},
        "stability": {
            "total_time": session.metrics.get("lift_duration_s"),
            "bar_height": {"max": _range(height)["max"], "values": height},
            "bar_trajectory": {"xAxis": x, "yAxis": height},
        },
        "user_information": user_information(owner),
        "session_date": created_at(session, zone)["date"],
        "quality": w.quality(),
    }
    if summary_text:
        payload["summary_text"] = summary_text
    return payload


# ---- GET .../ (details)
REPORT_METRICS = (
    ("barbell_velocity", "bar.speed_mps"),
    ("bar_height", "bar.height_m"),
    ("power_output", "bar.power_W"),
    ("ground_reaction_force", "body.grf_N"),
    ("hip_height", "body.hip_height_m"),
    ("shoulder_height", "body.shoulder_height_m"),
)


def report_metrics(w: Window) -> dict:
    """Per-frame report series over the whole clip, SI units: m/s, m, W, N."""
    return w.take_map((name, path, f"report_metrics.{name}") for name, path in REPORT_METRICS)


def details(
    session: Session,
    series: dict | None,
    owner: User | None,
    zone: ZoneInfo,
    video_url: str | None,
    analyzed_video_url: str | None,
) -> dict:
    payload = {
        "session_id": session.id,
        "title": session.title,
        "exercise": session.exercise,
        "activity": session.activity,
        "user_name": owner.display_name if owner else "",
        "created_at": created_at(session, zone),
        "status": session.status,
        "progress": session.progress_pct,
        "video_url": video_url,
        "analyzed_video_url": None,
        "metrics": {},
        "angles": {},
        "report_metrics": {},
        "all_timestamps": [],
        "outcome": session.outcome,
    }
    if not session.done:
        payload["stage"] = session.stage
        if session.error:
            payload["error"] = failure_doc(session.error)
        return payload
    w = window(session, series, lift_only=False)
    payload.update(
        {
            "analyzed_video_url": analyzed_video_url,
            "metrics": numeric_metrics(session.metrics),
            "angles": _series_map(w, "angles", series.get("angles", {})),
            "report_metrics": report_metrics(w),
            "all_timestamps": series.get("timestamps_s", []),
            "phases": session.phases,
        }
    )
    payload["quality"] = w.quality()
    return payload
