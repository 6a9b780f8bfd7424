"""Metrics and faults: the headline numbers of a lift and rule-based technique faults.

Every function takes plain arrays (SI units) plus the phase landmarks, and returns plain
dicts ready for result.json.
"""

from __future__ import annotations

import numpy as np

from shared.analysis.kinematics import bridged
from shared.analysis.phases import PhaseResult
from shared.domain.lifts import FULL_EXTENSION_DEG, LOOP_AWAY_M, SLOW_TURNOVER_S

PATH_TOLERANCE_M = 0.01  # Vorobyev types: "touches" the start line within this
EARLY_ARM_BEND_DEG = 150.0  # clear of the +-15 deg that elbow estimates wander by
EARLY_ARM_BEND_MIN_S = 0.1  # a bend must last, not flicker


def _nanmax(values) -> float:
    values = np.asarray(values, dtype=float)
    return float(np.nanmax(values)) if np.isfinite(values).any() else float("nan")


def _r(x, nd=3):
    return None if x is None or not np.isfinite(x) else round(float(x), nd)


def bar_path_type(x_m: np.ndarray, start: int, stop: int) -> str | None:
    """Vorobyev's bar-path type from horizontal bar position (m, + away from the lifter).

    A: after moving toward the lifter the bar crosses the vertical line through its start;
    B: it comes back to touch that line without crossing; C: it stays behind it."""
    seg = x_m[start : stop + 1]
    if len(seg) < 3:
        return None
    back = int(np.argmin(seg))
    forward = float(np.max(seg[back:]))
    if forward > PATH_TOLERANCE_M:
        return "A"
    if forward >= -PATH_TOLERANCE_M:
        return "B"
    return "C"


# The longest gap in the bar's track, from the last frame measured before it to the first
# after, that smoothing may bridge for a peak: a spike dropped or two (at 30 fps, two frames).
PEAK_BRIDGE_S = 0.1


def measured_peaks(t: np.ndarray, measured: np.ndarray) -> np.ndarray:
    """Frames (bool) where a bar peak may be read: where the bar was measured, and inside a
    gap no longer than PEAK_BRIDGE_S between measured frames. Across a longer gap the series
    are a fill, and a peak there would be the fill's, not the bar's."""
    return bridged(t, measured, PEAK_BRIDGE_S)


def lift_metrics(
    t: np.ndarray,
    bar: dict,
    body: dict,
    phases: PhaseResult,
    lifter_height_m: float | None,
    measured: np.ndarray | None = None,
) -> dict:
    """The lift's metrics; `measured` (bool per frame) says where the bar was measured, and
    the bar's speed and power peaks are read only there and across short gaps
    (`measured_peaks`)."""
    m = phases.landmarks
    # Peaks are taken over the lift itself (liftoff to the end of the last phase): a bar
    # dropped from overhead afterwards falls faster and hits harder than any lift.
    start = m.get("liftoff", 0)
    stop = (phases.phases[-1].end_frame if "liftoff" in m else len(t) - 1) + 1
    if measured is not None:
        readable, bar = measured_peaks(t, measured), dict(bar)
        for key in ("speed_mps", "vy_mps", "power_W"):
            bar[key] = np.where(readable, np.asarray(bar[key], dtype=float), np.nan)
    speed = np.asarray(bar["speed_mps"], dtype=float)[start:stop]
    if not np.isfinite(speed).any():
        return {"outcome": phases.outcome, "max_bar_speed": None, "max_power": None, "max_GRF": None}
    i_speed = start + int(np.nanargmax(speed))
    out = {
        "outcome": phases.outcome,
        "max_bar_speed": _r(bar["speed_mps"][i_speed]),
        "max_bar_speed_t_s": _r(t[i_speed]),
        "max_bar_vertical_speed": _r(_nanmax(bar["vy_mps"][start:stop])),
        "max_power": _r(_nanmax(bar["power_W"][start:stop]), 1),
        **_force_peaks(t, np.asarray(body["grf_N"], dtype=float), m, start, stop),
    }
    if "liftoff" in m:
        out["time_to_max_bar_speed_s"] = _r(t[i_speed] - t[m["liftoff"]])
    if "peak_bar_height" in m:
        peak = float(bar["height_m"][m["peak_bar_height"]])
        out["peak_bar_height"] = _r(peak)
        if lifter_height_m and np.isfinite(lifter_height_m):
            out["peak_bar_height_pct"] = _r(100 * peak / lifter_height_m, 1)
    if "lowest_catch" in m:
        catch = float(bar["height_m"][m["lowest_catch"]])
        out["catch_height"] = _r(catch)
        out["drop_under_bar"] = _r(out["peak_bar_height"] - catch)
        x = np.asarray(bar["x_m"])[m["liftoff"] : m["lowest_catch"] + 1]
        out["bar_toward_lifter_m"] = _r(max(0.0, -np.min(x)))
        out["bar_away_from_lifter_m"] = _r(max(0.0, np.max(x)))
        out["bar_path_type"] = bar_path_type(np.asarray(bar["x_m"]), m["liftoff"], m["lowest_catch"])
    if phases.phases and "liftoff" in m:
        end = phases.phases[-1].end_frame
        out["lift_duration_s"] = _r(t[end] - t[m["liftoff"]])
    out["phase_durations_s"] = {p.name: _r(p.end_s - p.start_s) for p in phases.phases}
    return out


def _peak(t, series, lo: int, hi: int, name: str) -> dict:
    """{name: the series' peak over frames lo..hi-1, name_t_s: its time}, both None if none."""
    seg = series[lo:hi]
    if hi <= lo or not np.isfinite(seg).any():
        return {name: None, f"{name}_t_s": None}
    i = lo + int(np.nanargmax(seg))
    return {name: _r(series[i], 1), f"{name}_t_s": _r(t[i])}


def _force_peaks(t, grf, m: dict, start: int, stop: int) -> dict:
    """max_GRF is the drive of the pull, liftoff to the end of the second pull (peak bar
    speed); max_GRF_catch is the landing under the bar, from there to the end of the lift. The
    landing's peak is often the larger, and read as drive it would praise a hard landing."""
    pull_end = m.get("peak_bar_speed", stop - 1) + 1
    return {
        **_peak(t, grf, start, pull_end, "max_GRF"),
        **(_peak(t, grf, pull_end, stop, "max_GRF_catch") if "peak_bar_speed" in m else {}),
    }


def _fault(code, message, frame, t, phases):
    return {
        "code": code,
        "message": message,
        "frame": int(frame),
        "t_s": round(float(t[frame]), 3),
        "phase": phases.at_frame(int(frame)),
    }


def _first_sustained(mask: np.ndarray, t: np.ndarray, min_s: float) -> int | None:
    """First index of a run of True lasting at least min_s seconds."""
    start = None
    for i, on in enumerate(mask):
        if on and start is None:
            start = i
        elif not on:
            start = None
        if start is not None and t[i] - t[start] >= min_s - 1e-9:
            return start
    return None


def find_faults(t: np.ndarray, bar: dict, angles_near: dict, phases: PhaseResult) -> list:
    """Rule-based faults, each on the frame where it shows."""
    m, faults = phases.landmarks, []
    if "peak_bar_speed" not in m:
        return faults
    lo, vmax = m["liftoff"], m["peak_bar_speed"]
    elbow = np.asarray(angles_near["elb"])
    bent = _first_sustained(
        elbow[lo : m.get("knee_rebend", vmax) + 1] < EARLY_ARM_BEND_DEG, t[lo:], EARLY_ARM_BEND_MIN_S
    )
    if bent is not None:
        f = lo + bent
        faults.append(
            _fault(
                "early_arm_bend",
                f"The arms bend ({elbow[f]:.0f}°) before the legs and hips "
                "finish the pull; keep them long until full extension.",
                f,
                t,
                phases,
            )
        )
    window = slice(m.get("knee_rebend", lo), min(len(t), vmax + max(2, (vmax - lo) // 4)) + 1)
    knee, hip = np.asarray(angles_near["kne"])[window], np.asarray(angles_near["hip"])[window]
    if (
        np.isfinite(knee).any()
        and np.isfinite(hip).any()
        and (np.nanmax(knee) < FULL_EXTENSION_DEG or np.nanmax(hip) < FULL_EXTENSION_DEG)
    ):
        f = window.start + int(np.nanargmax(hip))
        faults.append(
            _fault(
                "incomplete_extension",
                f"Hips and knees reach only {np.nanmax(hip):.0f}° and "
                f"{np.nanmax(knee):.0f}° in the second pull; finish the extension before pulling "
                "under.",
                f,
                t,
                phases,
            )
        )
    if "lowest_catch" in m:
        x = np.asarray(bar["x_m"])
        f = vmax + int(np.argmax(x[vmax : m["lowest_catch"] + 1]))
        if x[f] > LOOP_AWAY_M:
            faults.append(
                _fault(
                    "bar_loops_away",
                    f"The bar swings {100 * x[f]:.0f} cm forward of its start "
                    "line; keep it close and pull yourself under it.",
                    f,
                    t,
                    phases,
                )
            )
        turnover_s = t[m["lowest_catch"]] - t[vmax]
        if turnover_s > SLOW_TURNOVER_S:
            faults.append(
                _fault(
                    "slow_turnover",
                    f"{turnover_s:.2f} s from peak bar speed to the catch; the turnover should be quicker.",
                    m["lowest_catch"],
                    t,
                    phases,
                )
            )
    return faults
