"""The read payloads, formatted from what the engine wrote. Pure functions: a finished
session document, its per-frame series (result.json's shape) and the owner's profile in,
the spec's JSON out. Every number comes from the session's results.

The analysis and summary payloads are given the series of the lift only (`lift_frames`:
the first phase's start to the last phase's end), the frames the engine's peak metrics
are taken over; a bar dropped afterwards would otherwise outrun the lift. `null` marks a
frame where the value could not be measured.
"""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson

from shared.lifts import EXERCISE_TITLES

MM_PER_M = 1000.0
ANALYSIS_METRICS = ("power_output", "ground_reaction_force", "barbell_velocity", "hip_velocity", "shin_angle",
                    "hip_height", "torso_angle", "hip_angle", "knee_angle", "bar_height", "barbell_trajectory",
                    "vertical_shoulder_height")


def user_zone(user: dict | None) -> ZoneInfo:
    """The user's IANA timezone, falling back to UTC."""
    try:
        return ZoneInfo((user or {}).get("timezone") or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def outcome(session: dict) -> str | None:
    """How the lift ended (complete, missed, no_lift), None before the session is done."""
    return (session.get("metrics") or {}).get("outcome")


def numeric_metrics(metrics: dict) -> dict:
    """The spec's `metrics`: each key maps to a number."""
    return {k: v for k, v in metrics.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}


def created_at(session: dict, zone: ZoneInfo) -> dict:
    local: datetime = session["created_at"].astimezone(zone)
    return {"date": local.strftime("%d/%m/%Y"), "time": local.strftime("%I:%M %p")}


def user_information(user: dict | None) -> dict:
    """`weight` in kg and `height` in cm, as the spec's example."""
    user = user or {}
    return {"display_name": user.get("display_name", ""), "age": user.get("age"), "weight": user.get("weight_kg"),
            "height": user.get("height_cm")}


def lift_frames(session: dict) -> tuple[int, int] | None:
    """Frames [start, stop) of the lift: the first phase's start to the last phase's end."""
    phases = session.get("phases") or []
    return (phases[0]["start_frame"], phases[-1]["end_frame"] + 1) if phases else None


def _scaled(values: list, factor: float = 1.0, digits: int = 3) -> list:
    out = []
    for v in values:
        if v is None:
            out.append(None)
        elif factor == MM_PER_M:
            out.append(int(round(v * factor)))
        else:
            out.append(round(v * factor, digits))
    return out


def _range(values: list, digits: int = 3) -> dict:
    present = [v for v in values if v is not None]
    return {"min": round(min(present), digits) if present else None,
            "max": round(max(present), digits) if present else None, "values": values}


def _near(session: dict) -> str:
    return (session.get("quality") or {}).get("near_side") or "l"


# ---- GET .../export/
def export(session: dict, series: dict, joints: list[str] | None = None) -> dict:
    angles = series.get("angles", {})
    if joints and "all" not in joints:
        wanted = {j[:3] for j in joints}
        angles = {k: v for k, v in angles.items() if k[1:4] in wanted}
    return {"keypoints": series.get("keypoints", {}), "angles": angles,
            "all_timestamps": series.get("timestamps_s", []), "metrics": numeric_metrics(session["metrics"]),
            "activity": session["activity"]}


def csv_columns(series: dict) -> dict:
    """One column per series: time, bar (prefixed `bar_`), keypoints, angles, body."""
    columns = {"t_s": series.get("timestamps_s", [])}
    columns.update({f"bar_{k}": v for k, v in series.get("bar", {}).items()})
    for group in ("keypoints", "angles", "body"):
        columns.update(series.get(group, {}))
    return columns


def export_csv(series: dict) -> str:
    """`series` with None or NaN for unmeasured frames, written as empty cells. Numbers need no
    quoting, so rows are joined directly: a 2-minute clip has ~400,000 cells, and
    csv.writer takes several times longer."""
    columns = csv_columns(series)
    # orjson formats floats several times faster than repr (NaN comes out as null).
    cells = [orjson.dumps(values)[1:-1].decode().split(",") if values else [] for values in columns.values()]
    body = "\n".join(map(",".join, zip(*cells)))
    return ",".join(columns) + "\n" + body.replace("null", "") + "\n"


# ---- GET .../analysis/
# What quality tells a client beside the warnings: how the clip was scaled and how sure that is.
ANALYSIS_QUALITY = ("calibration", "calibration_uncertainty_pct", "camera_yaw_deg", "sources", "pose_coverage",
                    "bar_coverage")


def bar_path_px(session: dict, bar: dict) -> dict:
    """The bar's centre per frame in the video's display pixels (upright, square pixels), and
    the scale there, so a client can draw on the original video. Sessions analysed before
    engine 2.0 have no pixel path and a scale in the engine's working pixels (`pixels` null)."""
    scale, video = session.get("scale") or {}, session.get("analysis_video") or {}
    return {"x": _scaled(bar.get("x_px", []), digits=1), "y": _scaled(bar.get("y_px", []), digits=1),
            "px_per_m": scale.get("px_per_m"), "pixels": scale.get("pixels"),
            "video_width": video.get("width"), "video_height": video.get("height")}


def analysis(session: dict, series: dict, owner: dict | None, zone: ZoneInfo, image_urls: dict,
             comments: dict) -> dict:
    t = series.get("timestamps_s", [])
    bar, body, angles, side = series.get("bar", {}), series.get("body", {}), series.get("angles", {}), _near(session)
    phases = session.get("phases") or []
    quality = session.get("quality") or {}
    return {
        "exercise": session["exercise"],
        "outcome": outcome(session),
        "key_metrics": {
            "power_output": _scaled(bar.get("power_W", []), digits=1),
            "ground_reaction_force": _scaled(body.get("grf_N", []), digits=1),
            "barbell_velocity": _scaled(bar.get("speed_mps", [])),
        },
        "body_positioning": {
            "hip_velocity": _scaled(body.get("hip_speed_mps", [])),
            "shin_angle": _scaled(body.get("shin_angle", []), digits=1),
            "hip_height": _scaled(body.get("hip_height_m", []), MM_PER_M),
            "torso_angle": _scaled(body.get("torso_angle", []), digits=1),
        },
        "joint_angles": {f"{joint}_angle": _scaled(angles[f"{side}{key}_angle"], digits=1)
                         for joint, key in (("hip", "hip"), ("knee", "kne"), ("ankle", "ank"), ("shoulder", "sho"),
                                            ("elbow", "elb"))
                         if f"{side}{key}_angle" in angles},
        "barbell_positioning": {
            "bar_height": _scaled(bar.get("height_m", []), MM_PER_M),
            "barbell_trajectory": _scaled(bar.get("x_m", []), MM_PER_M),
            "vertical_shoulder_height": _scaled(body.get("shoulder_height_m", []), MM_PER_M),
        },
        "timestamps_ms": [int(round(v * 1000)) for v in t],
        "phase_data": {p["name"]: {"image_url": image_urls[p["name"]]} for p in phases if p["name"] in image_urls},
        "chart_data": {p["name"]: {"start": int(round(p["start_s"] * 1000)), "end": int(round(p["end_s"] * 1000))}
                       for p in phases},
        "faults": session.get("faults") or [],
        "quality": {"warnings": quality.get("warnings", []),
                    **{k: quality.get(k) for k in ANALYSIS_QUALITY}},
        "bar_path_px": bar_path_px(session, bar),
        "user_information": user_information(owner),
        "session_date": created_at(session, zone)["date"],
        "comments": comments,
    }


# ---- GET .../summary/
def summary(session: dict, series: dict, owner: dict | None, zone: ZoneInfo, summary_text: dict | None) -> dict:
    bar, body = series.get("bar", {}), series.get("body", {})
    height = _scaled(bar.get("height_m", []))
    payload = {
        "exercise_type": EXERCISE_TITLES[session["exercise"]],
        "outcome": outcome(session),
        "velocity": {"bar_velocity": _range(_scaled(bar.get("speed_mps", [])))},
        "power": {"ground_reaction_force": _range(_scaled(body.get("grf_N", []), digits=1), 1),
                  "power": _range(_scaled(bar.get("power_W", []), digits=1), 1)},
        "stability": {"total_time": session["metrics"].get("lift_duration_s"),
                      "bar_height": {"max": _range(height)["max"], "values": height},
                      "bar_trajectory": {"xAxis": _scaled(bar.get("x_m", [])), "yAxis": height}},
        "user_information": user_information(owner),
        "session_date": created_at(session, zone)["date"],
    }
    if summary_text:
        payload["summary_text"] = summary_text
    return payload


# ---- GET .../ (details)
def report_metrics(series: dict) -> dict:
    """Per-frame report series over the whole clip, SI units: m/s, m, W, N."""
    bar, body = series.get("bar", {}), series.get("body", {})
    return {"barbell_velocity": bar.get("speed_mps", []), "bar_height": bar.get("height_m", []),
            "power_output": bar.get("power_W", []), "ground_reaction_force": body.get("grf_N", []),
            "hip_height": body.get("hip_height_m", []), "shoulder_height": body.get("shoulder_height_m", [])}


def details(session: dict, series: dict | None, owner: dict | None, zone: ZoneInfo, video_url: str | None,
            analyzed_video_url: str | None) -> dict:
    payload = {
        "session_id": session["id"], "title": session["title"], "exercise": session["exercise"],
        "activity": session["activity"], "user_name": (owner or {}).get("display_name", ""),
        "created_at": created_at(session, zone), "status": session["status"],
        "progress": session.get("progress", 0), "video_url": video_url, "analyzed_video_url": None,
        "metrics": {}, "angles": {}, "report_metrics": {}, "all_timestamps": [], "outcome": outcome(session),
    }
    if session["status"] != "done":
        payload["stage"] = session.get("stage")
        if session.get("error"):
            payload["error"] = session["error"]
        return payload
    payload.update({"analyzed_video_url": analyzed_video_url, "metrics": numeric_metrics(session["metrics"]),
                    "angles": series.get("angles", {}), "report_metrics": report_metrics(series),
                    "all_timestamps": series.get("timestamps_s", []), "phases": session.get("phases", [])})
    return payload
