"""Measure: turn the lifter's pixels and the plate track into SI series.

Calibration comes from the plate's outer silhouette (0.450 m across); a clip with no plate
face to measure by is refused, never scaled from a guessed height. Heights are
above the floor, which is the plate's bottom at rest (or the feet without a plate);
x is horizontal, positive the way the lifter faces, from the bar's start.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from shared.analysis import perspective
from shared.analysis.bar import PLATE_DIAMETER_M
from shared.analysis.body import (
    ANGLE_JOINTS,
    JOINTS,
    LINE_READS,
    READS,
    SIDES,
    body_lines,
    centre_of_mass,
    included_angle,
    joint_angles,
    point,
)
from shared.analysis.calibration import (
    RING_INSIDE_RIM_PCT,
    calibrate,
    clear_outlines,
    heights_seen_m,
    lifter_plane_factor,
    outer_ring,
    still_frames,
    turn_shortening,
)
from shared.analysis.errors import NoLifterFound
from shared.analysis.kinematics import bar_dynamics, fill_gaps, reject_spikes, smooth_derivatives
from shared.analysis.legs import facing_sign, point_px, repair_hidden_legs, segment_sum_px, timing_hip, unless_guessed
from shared.analysis.pose import LANDMARKS

if TYPE_CHECKING:
    from shared.analysis.pipeline import AnalysisOptions

KEYPOINT_CUTOFF_HZ = 6.0
# The bar: a 2nd-order Butterworth (forwards and backwards) differentiated on its spline. The
# 4th-order one rings: on an exact lift it overshoots the peak bar speed by 0.04 m/s, which
# central differences happened to cancel at 30 fps but not at 60 fps.
BAR_FILTER = {"cutoff_hz": 5.5, "order": 2, "spline_derivative": True}
DEFAULT_BODY_MASS_KG = 75.0
ANGLE_KEYS = {"ankle": "ank", "knee": "kne", "hip": "hip", "shoulder": "sho", "elbow": "elb"}
KEYPOINT_NAMES = [f"{s}{j}" for s in SIDES for j in JOINTS]


# The least jump off the bar's path read as a spike: 2 mm, and never finer than the picture
# resolves: a small plate (360p: ~8 mm a pixel) is placed to a pixel or so in a blurred pull,
# and a finer floor cut its real path there into gaps. Nor finer than a bar can leave a smooth
# path in one frame: its acceleration turns by up to SPIKE_ACCEL_MPS2 from one frame to the next
# (the pull against the hips, the turnover, the catch's landing), half that times the frame
# interval squared off its path: 1.7 cm at 30 fps, 4 mm at 60. Finer, at 30 fps the rendered
# lifts lost true frames at the hips in every pull and at a snatch's top, its height with them.
SPIKE_FLOOR_M, SPIKE_FLOOR_PX, SPIKE_ACCEL_MPS2 = 0.002, 1.5, 30.0


# The fastest a bar moves: a bar dropped from 2 m lands at ~6.3 m/s; lifts peak near 2.5 m/s.
MAX_BAR_SPEED_MPS = 7.0
JUMP_TOLERANCE_M = 0.03  # what placement noise adds to a move between two frames
MOVING_MPS = 0.3  # a bar rising or falling faster than this (smoothed) is moving
TIMING_JOINTS = ("ank", "kne", "hip", "sho")  # the knee the phases time by, and the hip's reach


def drop_jumps(t: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Which samples (bool) stay: those the bar can reach from the last one kept, at
    MAX_BAR_SPEED_MPS (plus JUMP_TOLERANCE_M). A tracker that let go of the plate and took up
    something else (a plate on a rack, a circle of clutter) jumps further than a bar moves,
    and every sample on it is dropped until it is back within reach of the bar's last place,
    or far enough in time for the bar to have got there."""
    keep = np.isfinite(x) & np.isfinite(y)
    last = None
    for i in np.flatnonzero(keep):
        if last is not None:
            reach = MAX_BAR_SPEED_MPS * (t[i] - t[last]) + JUMP_TOLERANCE_M
            if np.hypot(x[i] - x[last], y[i] - y[last]) > reach:
                keep[i] = False
                continue
        last = i
    return keep


def spike_floor_m(px_per_m: float, frame_s: float = 0.0) -> float:
    """The least jump (m) off the bar's smooth path that `reject_spikes` may call a spike, for
    frames `frame_s` apart."""
    return max(SPIKE_FLOOR_M, SPIKE_FLOOR_PX / px_per_m, SPIKE_ACCEL_MPS2 * frame_s**2 / 2)


def forward_px_per_m(px_per_m: float, camera_yaw_deg: float | None) -> float:
    """Pixels per metre along the lifter's forward-back line, seen by a camera turned
    `camera_yaw_deg` from side-on: shortened by cos(yaw), as the plate's face is (its minor /
    major axis). Heights are not shortened."""
    return px_per_m * (float(np.cos(np.radians(camera_yaw_deg))) if camera_yaw_deg is not None else 1.0)


def hands_on_bar(lifter_px: np.ndarray, bar_px: np.ndarray) -> np.ndarray:
    """Wrists at the tracked bar: the hands grip it, and side-on the near plate hides them,
    so MediaPipe's wrists there are guesses that would bend the arms that are straight."""
    px = lifter_px.copy()
    on = np.isfinite(bar_px[:, 0])
    for side in SIDES:
        px[on, LANDMARKS[side + "wri"], :2] = bar_px[on]
        px[on, LANDMARKS[side + "wri"], 2] = np.maximum(px[on, LANDMARKS[side + "wri"], 2], 0.5)
    return px


def near_side(lifter_px: np.ndarray) -> str:
    vis = {s: np.nanmean(lifter_px[:, [LANDMARKS[s + j] for j in ("hip", "kne", "ank")], 2]) for s in SIDES}
    return max(vis, key=lambda s: -np.inf if np.isnan(vis[s]) else vis[s])


@dataclass
class Measured:
    """What `build_series` measured on each analysed frame, in SI units (NaN where not
    measured), and what the person filming should know (`warnings`)."""

    scale: dict  # px_per_m (analysis pixels), its source, uncertainty, camera yaw, perspective
    bar: dict  # smoothed: x_m, height_m, vx/vy/speed (m/s), force_N, power_W
    keypoints: dict  # {side}{joint}x / v in metres
    angles: dict  # the joints asked for, degrees; guessed spans NaN
    body: dict  # torso and shin lines, hip height and speed; guessed spans NaN
    near: dict  # the near side's angle per joint, guessed spans NaN (for the faults)
    knee_bridged: np.ndarray  # the near knee, hidden spans bridged (for the phases)
    knee_raw: np.ndarray  # the same, unsmoothed
    com_acc_mps2: np.ndarray  # the centre of mass's vertical acceleration
    bar_raw: dict  # unsmoothed x_m and height_m
    lifter_px: np.ndarray  # (frames, 33, 3) the pose, hidden legs repaired
    near_side: str  # l | r
    facing: str  # left | right
    lifter_height_m: float  # given, else seen
    lifter_height_seen_m: float
    lifter_height_seen_flat_m: float  # with no perspective: the least the clip allows
    bar_coverage: float  # share of frames with the plate found
    warnings: list = field(default_factory=list)


def _held_outside(values: np.ndarray, measured: np.ndarray) -> np.ndarray:
    """values, held at the first measured one before it and at the last one after it."""
    at = np.flatnonzero(measured)
    out = np.array(values, dtype=float, copy=True)
    if len(at):
        out[: at[0]], out[at[-1] + 1 :] = out[at[0]], out[at[-1]]
    return out


def build_series(
    t: np.ndarray,
    lifter_px: np.ndarray,
    bar_px: np.ndarray,
    radius_px: np.ndarray,
    options: AnalysisOptions,
    rim_aspect: np.ndarray | None = None,
    rim_score: np.ndarray | None = None,
    frame_long_side_px: float | None = None,
    outline_measured: bool = True,
) -> Measured:
    """Pose and plate pixels to SI series. `rim_aspect` is each frame's rim minor / major axis
    (NaN where the rim was not fitted), `rim_score` the share of rays it was seen on, and
    `frame_long_side_px` the analysed frame's long side, for the lifter's distance behind the
    plate; all optional. `outline_measured` False says radius_px is the plate's strongest edge,
    which may be a ring inside its rim."""
    sign = facing_sign(lifter_px)
    side = near_side(lifter_px)  # from MediaPipe's own visibilities, before repairs set them
    lifter_px, guessed = repair_hidden_legs(t, lifter_px, bar_px, radius_px, sign, across=turn_shortening(rim_aspect))
    leg_trunk_px = segment_sum_px(lifter_px, side)
    bar_ok = np.isfinite(bar_px[:, 0])
    scale, floor_px, floor_from, x0_px, warnings = calibrate(lifter_px, bar_px, radius_px, rim_aspect, rim_score)
    if not outline_measured:
        scale["uncertainty_pct"] = max(scale["uncertainty_pct"], RING_INSIDE_RIM_PCT)
    scale["outline_measured"] = bool(outline_measured)
    px_per_m = scale["px_per_m"]
    if not (np.isfinite(px_per_m) and px_per_m > 0 and np.isfinite(floor_px)):
        raise NoLifterFound(
            "Neither the plate nor the lifter's legs were seen well enough to measure "
            "anything; film side-on with the whole body and the plate in view."
        )
    lifter_px = hands_on_bar(lifter_px, bar_px)

    # the scale at each height: the plate's size where it stood still, low and high
    still = still_frames(bar_px, radius_px)
    clear = np.isfinite(radius_px if rim_score is None else clear_outlines(radius_px, rim_score))
    r0, slope = perspective.gradient(floor_px - bar_px[still, 1], radius_px[still], outer_ring, clear[still])
    radius = px_per_m * PLATE_DIAMETER_M / 2
    if slope and floor_from == "plate":  # the floor line lies a radius below the resting hub
        floor_px, r0 = perspective.refloor(floor_px, radius, r0, slope)
    floor_px_per_m, relative_slope = (2 * r0 / PLATE_DIAMETER_M, slope / r0) if slope else (px_per_m, 0.0)
    scale["perspective_pct_per_m"] = round(100 * relative_slope * floor_px_per_m, 2)
    if relative_slope:
        warnings.append(
            f"The plate looks {abs(scale['perspective_pct_per_m']):.1f} % {'smaller' if slope < 0 else 'larger'} "
            "for every metre it rises (a camera low down and tilted, or close): heights and speeds use its size at "
            "each height. Film level with the bar, from farther away, for one scale."
        )
    across = forward_px_per_m(px_per_m, scale["camera_yaw_deg"]) / px_per_m  # the turn's shortening

    def to_m(xy):
        u = floor_px - xy[:, 1]
        local = perspective.local_px_per_m(u, floor_px_per_m, relative_slope)
        return sign * (xy[:, 0] - x0_px) / (local * across), perspective.heights_m(u, floor_px_per_m, relative_slope)

    keypoints = {}
    for key in KEYPOINT_NAMES:
        x, v = to_m(point_px(lifter_px, key))
        keypoints[key + "x"] = smooth_derivatives(t, x, cutoff_hz=KEYPOINT_CUTOFF_HZ)[0]
        keypoints[key + "v"] = smooth_derivatives(t, v, cutoff_hz=KEYPOINT_CUTOFF_HZ)[0]

    bx, bh = to_m(bar_px)
    # Spikes are judged on the residual from a smooth path, in metres, against its spread where
    # the bar moves: a still bar placed by its hub (`hub.steadied`) barely strays from its path,
    # and against that spread a fast pull's frames would all read as spikes.
    floor = spike_floor_m(px_per_m, float(np.median(np.diff(t))) if len(t) > 1 else 0.0)
    # on the smoothed rise: a glitch's neighbours in raw differences read as moving
    moving = np.abs(smooth_derivatives(t, bh, **BAR_FILTER)[1]) > MOVING_MPS if np.isfinite(bh).sum() >= 9 else None
    bx, bh = (reject_spikes(t, bx, floor=floor, judged=moving), reject_spikes(t, bh, floor=floor, judged=moving))
    reachable = drop_jumps(t, bx, bh)
    bx, bh = np.where(reachable, bx, np.nan), np.where(reachable, bh, np.nan)
    x_m, vx, _ = smooth_derivatives(t, bx, **BAR_FILTER)
    h_m, vy, ay = smooth_derivatives(t, bh, **BAR_FILTER)
    force, power = bar_dynamics(vy, ay, options.bar_mass_kg)
    bar = {
        "x_m": x_m,
        "height_m": h_m,
        "vx_mps": vx,
        "vy_mps": vy,
        "speed_mps": np.hypot(vx, vy),
        "force_N": force,
        "power_W": power,
    }

    angles = joint_angles(keypoints)
    near = {j: unless_guessed(guessed, side, READS[j], angles[f"{side}{j}_angle"]) for j in ANGLE_JOINTS}
    raw = {j: np.stack([fill_gaps(t, c) for c in to_m(point_px(lifter_px, side + j))], -1) for j in TIMING_JOINTS}
    hip = timing_hip(raw["sho"], raw["hip"], raw["kne"], np.stack([x_m, h_m], -1), PLATE_DIAMETER_M / 2)
    smoothed_hip = np.stack([smooth_derivatives(t, c, cutoff_hz=KEYPOINT_CUTOFF_HZ)[0] for c in hip.T], -1)
    # The phases time by the knee where a hip was guessed too, between the frames it was
    # measured in; before the first and after the last, a knee read from a hip held still is
    # no timing (its turn where the real one takes over read as a re-bend), so it is held.
    knee_bridged, knee_raw = (
        _held_outside(included_angle(ankle, knee, h), np.isfinite(near["kne"]))
        for ankle, knee, h in (
            (point(keypoints, side, "ank"), point(keypoints, side, "kne"), smoothed_hip),
            (raw["ank"], raw["kne"], hip),
        )
    )
    chosen = ANGLE_KEYS.values() if "all" in options.joints else [ANGLE_KEYS[j] for j in options.joints]
    angles = {k: unless_guessed(guessed, k[0], READS[k[1:4]], v) for k, v in angles.items() if k[1:4] in chosen}

    lines = {
        k: unless_guessed(guessed, side, LINE_READS[k], v) if k in LINE_READS else v
        for k, v in body_lines(keypoints, side).items()
    }
    hx = smooth_derivatives(t, keypoints[f"{side}hipx"])[1]
    hv = smooth_derivatives(t, keypoints[f"{side}hipv"])[1]
    head = np.stack(to_m((point_px(lifter_px, "lear") + point_px(lifter_px, "rear")) / 2), axis=-1)
    head = np.stack([fill_gaps(t, head[:, 0]), fill_gaps(t, head[:, 1])], axis=-1)
    com_v = centre_of_mass(keypoints, head)[:, 1]
    com_acc = smooth_derivatives(t, com_v, cutoff_hz=KEYPOINT_CUTOFF_HZ)[2]
    if not options.body_mass_kg:
        warnings.append(f"Body mass not given; ground reaction force assumes {DEFAULT_BODY_MASS_KG:.0f} kg.")
    body = {**lines, "hip_speed_mps": np.hypot(hx, hv)}
    plane = lifter_plane_factor(px_per_m * PLATE_DIAMETER_M / 2, frame_long_side_px)
    seen_height, seen_flat = heights_seen_m(leg_trunk_px, px_per_m, plane)
    if not (np.isfinite(seen_height) or options.lifter_height_m):
        warnings.append(
            "The lifter's height could not be measured: the legs and trunk were not seen whole. Heights as a "
            "share of the lifter's are left out; give the height in the profile."
        )
    lifter_height = options.lifter_height_m or seen_height
    return Measured(
        warnings=warnings,
        # Under a perspective the scale reported is the floor's, which the change per metre counts
        # from: the median over every still frame is no height's (the set-up and overhead mixed)
        scale={**scale, "px_per_m": round(floor_px_per_m, 3)},
        bar=bar,
        keypoints=keypoints,
        angles=angles,
        body=body,
        com_acc_mps2=com_acc,
        lifter_height_seen_m=float(seen_height),
        lifter_height_seen_flat_m=float(seen_flat),
        near=near,
        knee_bridged=knee_bridged,
        knee_raw=knee_raw,
        near_side=side,
        facing="right" if sign > 0 else "left",
        lifter_height_m=float(lifter_height),
        bar_coverage=float(bar_ok.mean()),
        bar_raw={"x_m": bx, "height_m": bh},
        lifter_px=lifter_px,
    )
