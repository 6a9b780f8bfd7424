"""What a coach needs to know about one lift, in the requested units.

`lift_facts()` reads a done session (metrics, phases, faults, quality) and its per-frame
series over the lift, and returns plain numbers at the moments coaches look at: liftoff,
the end of the second pull, the catch. Both coaches (built-in and OpenAI) write from these
facts and nothing else; no name, e-mail or video is ever included.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.domain.errors import BadRequest
from shared.domain.model import Session, User

LB_PER_KG = 2.20462
FT_PER_M = 3.28084
LBF_PER_N = 0.224809
G = 9.81
UNIT_SYSTEMS = ("metric", "imperial")  # measurement_system: the units of coaching text


@dataclass(frozen=True)
class Units:
    system: str  # metric | imperial

    @property
    def imperial(self) -> bool:
        return self.system == "imperial"

    def speed(self, mps: float | None) -> str:
        if mps is None:
            return "n/a"
        return f"{mps * FT_PER_M:.1f} ft/s" if self.imperial else f"{mps:.2f} m/s"

    def length(self, m: float | None) -> str:
        if m is None:
            return "n/a"
        if self.imperial:
            inches = m * FT_PER_M * 12
            return f"{inches:.1f} in" if abs(inches) < 24 else f"{m * FT_PER_M:.2f} ft"
        return f"{m * 100:.0f} cm" if abs(m) < 1 else f"{m:.2f} m"

    def mass(self, kg: float | None) -> str:
        if kg is None:
            return "n/a"
        return f"{kg * LB_PER_KG:.0f} lb" if self.imperial else f"{kg:.1f} kg"

    def force(self, n: float | None) -> str:
        if n is None:
            return "n/a"
        return f"{n * LBF_PER_N:.0f} lbf" if self.imperial else f"{n:.0f} N"


def units_from(raw: str | None) -> Units:
    """A request's `measurement_system` (metric when absent); BadRequest for any other."""
    system = (raw or "metric").strip().lower()
    if system not in UNIT_SYSTEMS:
        raise BadRequest("measurement_system must be metric or imperial")
    return Units(system)


def _at(values: list, frame: int | None, start: int):
    if frame is None or values is None:
        return None
    i = frame - start
    return values[i] if 0 <= i < len(values) else None


def _peak(values: list) -> float | None:
    present = [v for v in values or [] if v is not None]
    return max(present) if present else None


def _low(values: list) -> float | None:
    present = [v for v in values or [] if v is not None]
    return min(present) if present else None


PULL = ("first_pull", "transition", "second_pull")
UNDER_THE_BAR = ("turnover", "catch")


def phase_at(phases: list, t_s: float | None) -> str | None:
    """The phase at time t_s, None outside them all. On a shared boundary, the phase that
    ends there: the landmarks that end phases are peaks (the second pull ends at peak bar
    speed, the turnover at peak bar height)."""
    if t_s is None:
        return None
    return next((p["name"] for p in phases if p["start_s"] - 1e-6 <= t_s <= p["end_s"] + 1e-6), None)


def _moment(value, t_s, phases) -> dict | None:
    """A peak as the coaches get it: its value, when (s from the clip's start) and in which phase."""
    if value is None:
        return None
    return {"value": value, "t_s": None if t_s is None else round(t_s, 3), "phase": phase_at(phases, t_s)}


def _series_peak(values: list | None, t: list, phases: list, within: tuple | None = None) -> dict | None:
    """The largest of a lift's series, over the phases `within` (all when None), as a _moment."""
    best = None
    for v, ts in zip(values or [], t):
        if v is None or (within is not None and phase_at(phases, ts) not in within):
            continue
        if best is None or v > best[0]:
            best = (v, ts)
    return _moment(best[0], best[1], phases) if best else None


def lift_facts(session: Session, series: dict, owner: User | None, lift_start_frame: int) -> dict:
    """Numbers (SI) at the moments that matter, from the engine's stored results.
    `series` covers the lift and starts at `lift_start_frame`."""
    m, landmarks, phases = session.metrics, session.landmarks, session.phases
    body, angles = series.get("body", {}), series.get("angles", {})
    side = session.near_side
    start = lift_start_frame
    liftoff, peak_speed = landmarks.get("liftoff"), landmarks.get("peak_bar_speed")
    owner = owner or User(uid="")
    body_kg = owner.weight_kg
    t = series.get("timestamps_s") or []
    knee = angles.get(f"{side}kne_angle")
    under = [v for v, ts in zip(knee or [], t) if v is not None and phase_at(phases, ts) in UNDER_THE_BAR]
    second_pull = next((p for p in phases if p["name"] == "second_pull"), None)
    transition = next((p for p in phases if p["name"] == "transition"), None)
    return {
        "exercise": session.exercise,
        "outcome": m.get("outcome"),
        "bar_mass_kg": session.barbell_mass_kg,
        "athlete": {"age": owner.age_years, "body_mass_kg": body_kg, "height_cm": owner.height_cm},
        "max_bar_speed_mps": m.get("max_bar_speed"),
        "time_to_max_bar_speed_s": m.get("time_to_max_bar_speed_s"),
        "max_power_W": m.get("max_power"),
        "power_per_kg_W": (m["max_power"] / body_kg) if m.get("max_power") and body_kg else None,
        "max_GRF_N": m.get("max_GRF"),
        "max_GRF_bodyweights": (m["max_GRF"] / (body_kg * G)) if m.get("max_GRF") and body_kg else None,
        "peak_bar_height_m": m.get("peak_bar_height"),
        "peak_bar_height_pct": m.get("peak_bar_height_pct"),
        "catch_height_m": m.get("catch_height"),
        "drop_under_bar_m": m.get("drop_under_bar"),
        "bar_toward_lifter_m": m.get("bar_toward_lifter_m"),
        "bar_away_from_lifter_m": m.get("bar_away_from_lifter_m"),
        "bar_path_type": m.get("bar_path_type"),
        "lift_duration_s": m.get("lift_duration_s"),
        "phase_durations_s": m.get("phase_durations_s") or {},
        "second_pull_s": second_pull and round(second_pull["end_s"] - second_pull["start_s"], 3),
        "transition_s": transition and round(transition["end_s"] - transition["start_s"], 3),
        "peak_hip_speed_mps": _peak(body.get("hip_speed_mps")),
        "shin_angle_at_liftoff_deg": _at(body.get("shin_angle"), liftoff, start),
        "torso_angle_at_liftoff_deg": _at(body.get("torso_angle"), liftoff, start),
        "torso_angle_at_peak_speed_deg": _at(body.get("torso_angle"), peak_speed, start),
        "hip_height_at_liftoff_m": _at(body.get("hip_height_m"), liftoff, start),
        "hip_angle_at_liftoff_deg": _at(angles.get(f"{side}hip_angle"), liftoff, start),
        "hip_angle_max_deg": _peak(angles.get(f"{side}hip_angle")),
        "knee_angle_at_liftoff_deg": _at(angles.get(f"{side}kne_angle"), liftoff, start),
        "knee_angle_max_deg": _peak(angles.get(f"{side}kne_angle")),
        "knee_angle_min_deg": _low(angles.get(f"{side}kne_angle")),
        "shoulder_height_at_liftoff_m": _at(body.get("shoulder_height_m"), liftoff, start),
        "shoulder_height_max_m": _peak(body.get("shoulder_height_m")),
        # Each peak with its time and phase, so that a coach speaks of it only where it means
        # something: the hips are fastest as the lifter drops under the bar, and the ground
        # pushes hardest on the landing in the catch, not in the drive.
        "peaks": {
            "bar_speed": _moment(m.get("max_bar_speed"), m.get("max_bar_speed_t_s"), phases),
            "grf_in_pull": _moment(m.get("max_GRF"), m.get("max_GRF_t_s"), phases),
            "grf_in_catch": _moment(m.get("max_GRF_catch"), m.get("max_GRF_catch_t_s"), phases),
            "hip_speed": _series_peak(body.get("hip_speed_mps"), t, phases),
            "hip_speed_in_pull": _series_peak(body.get("hip_speed_mps"), t, phases, PULL),
        },
        "body_mass_given": bool(body_kg),
        "catch_knee_angle_deg": min(under) if under else None,  # how deep the catch went
        "ends_standing": any(p["name"] == "recovery" for p in phases),
        "faults": [
            {"code": f["code"], "phase": f.get("phase"), "t_s": f.get("t_s"), "message": f.get("message")}
            for f in session.faults
        ],
        "warnings": [w["code"] for w in session.quality.get("warnings", [])],
        "calibration": session.quality.get("calibration"),
    }
