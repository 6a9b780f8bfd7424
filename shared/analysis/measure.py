"""Measure: turn the lifter's pixels and the plate track into SI series.

Calibration comes from the plate's outer silhouette (0.450 m across); a clip with no plate
face to measure by is refused, never scaled from a guessed height. Heights are
above the floor, which is the plate's bottom at rest (or the feet without a plate);
x is horizontal, positive the way the lifter faces, from the bar's start.
"""

from __future__ import annotations

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
    joint_angles,
)
from shared.analysis.errors import NoBarFound, NoLifterFound, NotSideView
from shared.analysis.kinematics import bar_dynamics, bridged, fill_gaps, reject_spikes, smooth_derivatives
from shared.analysis.pose import LANDMARKS
from shared.analysis.quality import filmed_side_on

if TYPE_CHECKING:
    from shared.analysis.pipeline import AnalysisOptions

MIN_VISIBILITY = 0.3
TRUNK_TOLERANCE = 0.10
LEG_TOO_LONG, LEG_TOO_SHORT = 0.20, 0.35  # thigh and shank against their clear-frame lengths
# Highest a foot landmark goes above where it is planted: a heel raise lifts the ankle ~0.15 m,
# while MediaPipe folding a crouched lifter's legs puts the ankle ~0.35 m up.
FOOT_MAX_RISE_M = 0.25
# A foot landmark is first trusted when the plate is this many radii away from it, and the
# first few such frames say where that foot is planted (see plant_feet).
FOOT_CLEAR_RADII, FOOT_ANCHOR_FRAMES = 2.5, 5
# A hidden hip is bridged between the frames where it was seen; across a longer gap, or before
# it was first seen and after it was last seen, where it is is a guess, and so is every angle
# read from it: those are reported as not measured (`unmeasured`), not printed.
MAX_BRIDGE_S = 0.5
KEYPOINT_CUTOFF_HZ = 6.0
# The bar: a 2nd-order Butterworth (forwards and backwards) differentiated on its spline. The
# 4th-order one rings: on an exact lift it overshoots the peak bar speed by 0.04 m/s, which
# central differences happened to cancel at 30 fps but not at 60 fps.
BAR_FILTER = {"cutoff_hz": 5.5, "order": 2, "spline_derivative": True}
DEFAULT_BODY_MASS_KG = 75.0
STATURE_PER_LEG_AND_TRUNK = 0.779  # (shank + thigh + trunk) / standing height, Winter
# The near plate's face is about 0.75 m out from the lifter's midline (collar 0.655 m, then the
# big plates); a phone's main camera has a focal length of about 0.72 of the frame's long side
# (26 mm equivalent, about 69 deg across).
PLATE_TO_LIFTER_M, FOCAL_PER_LONG_SIDE = 0.75, 0.72
NOT_SIDE_VIEW_DEG = 40.0  # a plate face turned further is refused: the bar path would read 1 - cos short
ANGLE_KEYS = {"ankle": "ank", "knee": "kne", "hip": "hip", "shoulder": "sho", "elbow": "elb"}
KEYPOINT_NAMES = [f"{s}{j}" for s in SIDES for j in JOINTS]
EDGE_PLACEMENT_PX = 0.5  # how well one rim fit places the plate's edge, at best
RING_INSIDE_RIM_PCT = 8.0  # a bevel ring or band this far inside the rim can pass for its edge
RING_GAP = 0.02  # of the radius: per-frame rim fits further apart than this are on different rings
OUTER_RING_SHARE, MIN_RING_FRAMES = 0.25, 5  # the rim must be found in this share of the still frames, and 5


# The least jump off the bar's path read as a spike: 2 mm, and never finer than the picture
# resolves: a small plate (360p: ~8 mm a pixel) is placed to a pixel or so in a blurred pull,
# and a finer floor cut its real path there into gaps.
SPIKE_FLOOR_M, SPIKE_FLOOR_PX = 0.002, 1.5
# A plate is measured on at least this many frames' outlines: a real one stands still in the
# set-up or the catch for many; a circle of clutter near the hands passes for one a frame or two.
MIN_PLATE_FRAMES = 3


# The fastest a bar moves: a bar dropped from 2 m lands at ~6.3 m/s; lifts peak near 2.5 m/s.
MAX_BAR_SPEED_MPS = 7.0
JUMP_TOLERANCE_M = 0.03  # what placement noise adds to a move between two frames


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


def spike_floor_m(px_per_m: float) -> float:
    """The least jump (m) off the bar's smooth path that `reject_spikes` may call a spike."""
    return max(SPIKE_FLOOR_M, SPIKE_FLOOR_PX / px_per_m)


def forward_px_per_m(px_per_m: float, camera_yaw_deg: float | None) -> float:
    """Pixels per metre along the lifter's forward-back line, seen by a camera turned
    `camera_yaw_deg` from side-on: shortened by cos(yaw), as the plate's face is (its minor /
    major axis). Heights are not shortened."""
    return px_per_m * (float(np.cos(np.radians(camera_yaw_deg))) if camera_yaw_deg is not None else 1.0)


def _px(lifter_px, name):
    p = lifter_px[:, LANDMARKS[name]]
    xy = p[:, :2].astype(float).copy()
    xy[~(p[:, 2] >= MIN_VISIBILITY)] = np.nan
    return xy


def facing_sign(lifter_px: np.ndarray) -> float:
    """+1 when the lifter faces image right: the nose is ahead of the ears."""
    ears = (_px(lifter_px, "lear") + _px(lifter_px, "rear")) / 2
    d = _px(lifter_px, "nose")[:, 0] - ears[:, 0]
    if not np.isfinite(d).any():
        d = _px(lifter_px, "ltoe")[:, 0] - _px(lifter_px, "lhee")[:, 0]
    return 1.0 if np.nanmedian(d) >= 0 else -1.0


def _segment_sum_px(lifter_px, side):
    total = 0.0
    for a, b in (("ank", "kne"), ("kne", "hip"), ("hip", "sho")):
        total += np.nanmedian(np.linalg.norm(_px(lifter_px, side + a) - _px(lifter_px, side + b), axis=1))
    return total


def _knee_by_reach(hip, ankle, thigh_px, shank_px, sign):
    """Knee (n, 2) where thigh and shank of known length meet, bent the way the lifter faces."""
    d = hip - ankle
    dist = np.clip(np.linalg.norm(d, axis=1), abs(thigh_px - shank_px) + 1e-6, thigh_px + shank_px)
    u = d / np.linalg.norm(d, axis=1, keepdims=True)
    along = (shank_px**2 - thigh_px**2 + dist**2) / (2 * dist)
    out = np.sqrt(np.maximum(shank_px**2 - along**2, 0.0))
    perp = np.stack([-u[:, 1], u[:, 0]], axis=1)
    perp *= np.where(perp[:, :1] * sign >= 0, 1.0, -1.0)
    return ankle + u * along[:, None] + perp * out[:, None]


def plant_feet(px: np.ndarray, bar_px: np.ndarray, r: float, side: str) -> None:
    """Put each foot landmark where it is planted in the frames before MediaPipe first sees it
    clear of the plate (in place, in `px`).

    The feet stay planted from the setup until the bar is well up. Until then the plate hides
    the foot or the shin above it, and MediaPipe guesses: on the rendered lifts the full model's
    ankle sat 9-39 cm off through the setup and 6-10 cm off through the first pull, while the
    plate was still within 2.5 radii of it. Those frames take the median of the landmark's first
    5 frames with the plate further away. Not where the trunk is the wrong length (10 % off its
    median once the feet are clear): that hip is misplaced, and a true ankle under a wrong hip
    bends the knee further from the truth than MediaPipe's own guess does. And only when the
    plate was followed through 90 % of the frames before, and the 5 clear frames come within
    10: otherwise the first clear look may come after the feet have moved (the catch)."""
    sho, hip = LANDMARKS[side + "sho"], LANDMARKS[side + "hip"]
    trunk = np.linalg.norm(px[:, hip, :2] - px[:, sho, :2], axis=1)
    for j in ("ank", "hee", "toe"):
        i = LANDMARKS[side + j]
        clear = np.flatnonzero(
            (np.linalg.norm(px[:, i, :2] - bar_px, axis=1) >= FOOT_CLEAR_RADII * r) & (px[:, i, 2] >= 0.5)
        )
        if len(clear) < FOOT_ANCHOR_FRAMES or clear[0] == 0:
            continue
        first = clear[0]
        if (
            clear[FOOT_ANCHOR_FRAMES - 1] - first >= 2 * FOOT_ANCHOR_FRAMES
            or np.isfinite(bar_px[:first, 0]).mean() < 0.9
        ):
            continue
        frames = np.arange(len(px)) < first
        frames &= np.abs(trunk / np.nanmedian(trunk[first:]) - 1) <= TRUNK_TOLERANCE
        px[frames, i, :2] = np.median(px[clear[:FOOT_ANCHOR_FRAMES], i, :2], axis=0)
        px[frames, i, 2] = np.maximum(px[frames, i, 2], 0.5)


def repair_hidden_legs(
    t: np.ndarray, lifter_px: np.ndarray, bar_px: np.ndarray, radius_px: np.ndarray, sign: float
) -> tuple[np.ndarray, np.ndarray]:
    """Legs behind the plate: MediaPipe only guesses there, so drop what the plate hides
    and what cannot be where it was put.

    Feet are first put where they are planted until they are seen clear of the plate
    (`plant_feet`); frames where the plate hid them still do not count as clear ones for the
    segment lengths below (on the rendered lifts, counting them cost a clip its phases). Feet are
    bridged in time (they stay planted through the pull) where they lie on the
    plate, or more than 0.25 m (at the plate's scale) above where that landmark is planted:
    in a crouched setup MediaPipe often folds the legs and lifts the ankle to knee height,
    while a heel raise lifts it ~0.15 m. Hips that make the trunk more than 10 % longer or
    shorter than in clear frames are bridged too (side-on, its length cannot change: that
    hip is misplaced, as in a crouched setup). A knee is rebuilt where the thigh and shank,
    at the lengths measured in clear frames, meet between hip and ankle when MediaPipe's
    guess or that reconstruction lies on the plate, or when the guess makes the thigh or
    shank more than 20 % longer or 35 % shorter than in clear frames (side-on, a segment
    turned out of the plane only looks shorter). Repaired landmarks get visibility 0.5; a
    knee MediaPipe was unsure of (< 0.3) but that fits the leg is kept and counted as seen
    (0.5): heavy often places it well and calls it unsure. Without a plate only the trunk
    and leg-length rules apply.

    Returns the repaired landmarks and which of them (bool, frames x landmarks) are guesses:
    hips bridged across more than MAX_BRIDGE_S or past the frames they were seen in, and
    knees rebuilt from such a hip."""
    px = lifter_px.copy()
    guessed = np.zeros(px.shape[:2], dtype=bool)
    r = float(np.nanmedian(radius_px)) if np.isfinite(radius_px).any() else 0.0
    plate = np.isfinite(bar_px[:, 0]) & (r > 0)
    rise_px = FOOT_MAX_RISE_M * 2 * r / PLATE_DIAMETER_M
    for side in SIDES:
        idx = {j: LANDMARKS[side + j] for j in ("hip", "kne", "ank", "hee", "toe")}
        if r > 0:
            plant_feet(px, bar_px, r, side)
        hidden = {j: plate & ~(np.linalg.norm(px[:, i, :2] - bar_px, axis=1) >= 0.95 * r) for j, i in idx.items()}
        for j in ("ank", "hee", "toe") if r > 0 else ():
            y = px[:, idx[j], 1]
            planted = ~hidden[j] & (px[:, idx[j], 2] >= 0.5)
            if planted.sum() >= 5:  # image y grows downwards: the planted foot is among the lowest
                hidden[j] |= y < np.percentile(y[planted], 90) - rise_px
        clear = ~hidden["kne"] & ~hidden["ank"] & (px[:, [idx["hip"], idx["kne"], idx["ank"]], 2] >= 0.5).all(axis=1)
        if clear.sum() < 5:
            continue
        thigh = float(np.median(np.linalg.norm(px[clear, idx["hip"], :2] - px[clear, idx["kne"], :2], axis=1)))
        shank = float(np.median(np.linalg.norm(px[clear, idx["kne"], :2] - px[clear, idx["ank"], :2], axis=1)))
        sho = LANDMARKS[side + "sho"]
        trunk_px = np.linalg.norm(px[:, idx["hip"], :2] - px[:, sho, :2], axis=1)
        trunk = float(np.median(trunk_px[clear]))
        # A hip behind the plate is often still right (the seat shows); one that makes the trunk
        # too long or short is not.
        hidden["hip"] = np.abs(trunk_px / trunk - 1) > TRUNK_TOLERANCE
        for j in ("hip", "ank", "hee", "toe"):
            seen = ~hidden[j] & (px[:, idx[j], 2] >= MIN_VISIBILITY)
            if hidden[j].any() and seen.sum() >= 2:
                for axis in (0, 1):
                    px[hidden[j], idx[j], axis] = np.interp(t[hidden[j]], t[seen], px[seen, idx[j], axis])
                px[hidden[j], idx[j], 2] = 0.5
            if j == "hip":
                posed = np.isfinite(lifter_px[:, idx[j], 0])
                guessed[:, idx[j]] = _spread(hidden[j] & ~bridged(t, seen, MAX_BRIDGE_S), posed)
        hip, knee, ankle = (px[:, idx[j], :2] for j in ("hip", "kne", "ank"))
        reach = _knee_by_reach(hip, ankle, thigh, shank, sign)
        lengths = np.stack([np.linalg.norm(knee - hip, axis=1) / thigh, np.linalg.norm(knee - ankle, axis=1) / shank])
        fits = ((lengths <= 1 + LEG_TOO_LONG) & (lengths >= 1 - LEG_TOO_SHORT)).all(axis=0)
        k = (hidden["kne"] | (plate & (np.linalg.norm(reach - bar_px, axis=1) < 0.95 * r)) | ~fits) & np.isfinite(
            reach
        ).all(axis=1)
        px[k, idx["kne"], :2] = reach[k]
        px[k, idx["kne"], 2] = 0.5
        guessed[:, idx["kne"]] = _spread(k & guessed[:, idx["hip"]], np.isfinite(lifter_px[:, idx["kne"], 0]))
        # MediaPipe is often unsure of a knee it placed well: one that fits the leg is kept.
        kept = fits & ~k
        px[kept, idx["kne"], 2] = np.maximum(px[kept, idx["kne"], 2], 0.5)
    return px, guessed


def _spread(flags: np.ndarray, posed: np.ndarray) -> np.ndarray:
    """Flags on the frames pose ran on, carried to the frames between them that it skipped
    (filled in later from their neighbours): such a frame is flagged when either posed
    neighbour is."""
    at = np.flatnonzero(posed)
    if len(at) == 0:
        return flags.copy()
    after = np.minimum(np.searchsorted(at, np.arange(len(flags))), len(at) - 1)
    before = np.maximum(np.searchsorted(at, np.arange(len(flags)), side="right") - 1, 0)
    return np.where(posed, flags, flags[at[after]] | flags[at[before]])


def _unless(guessed: np.ndarray, side: str, joints: tuple, values: np.ndarray) -> np.ndarray:
    """A series read from these joints of that side, NaN (not measured) where any was guessed."""
    where = guessed[:, [LANDMARKS[side + j] for j in joints]].any(axis=1)
    return np.where(where, np.nan, values)


def hands_on_bar(lifter_px: np.ndarray, bar_px: np.ndarray) -> np.ndarray:
    """Wrists at the tracked bar: the hands grip it, and side-on the near plate hides them,
    so MediaPipe's wrists there are guesses that would bend the arms that are straight."""
    px = lifter_px.copy()
    on = np.isfinite(bar_px[:, 0])
    for side in SIDES:
        px[on, LANDMARKS[side + "wri"], :2] = bar_px[on]
        px[on, LANDMARKS[side + "wri"], 2] = np.maximum(px[on, LANDMARKS[side + "wri"], 2], 0.5)
    return px


def _still(bar_px, rim_radius_px) -> np.ndarray:
    """Frames whose own rim fit is there and where the plate barely moved: blur widens a
    moving rim."""
    step = np.linalg.norm(np.diff(bar_px, axis=0, prepend=bar_px[:1]), axis=1)
    still = np.isfinite(rim_radius_px) & (step < 0.05 * np.nanmedian(rim_radius_px))
    return still if still.sum() >= 3 else np.isfinite(rim_radius_px)


def _outer_ring(radii: np.ndarray) -> np.ndarray:
    """The fits that found the rim itself. A frame's outline can settle on a ring inside the
    rim (a bevel, a lip) where the rim is faint against the background there; rings are
    smaller than the rim, never larger. So where the fits fall into tight groups of sizes
    apart, the outermost group seen in at least OUTER_RING_SHARE of the frames (and
    MIN_RING_FRAMES) is the rim; fits merely scattered stay together."""
    r = np.sort(radii)
    gap = RING_GAP * np.median(r)
    groups = np.split(r, np.flatnonzero(np.diff(r) > gap) + 1)
    if len(groups) < 2:
        return r
    for g in reversed(groups):  # a ring: found often, and tight (scattered fits are no ring)
        if (
            len(g) >= max(MIN_RING_FRAMES, OUTER_RING_SHARE * len(r))
            and 1.4826 * np.median(np.abs(g - np.median(g))) < gap / 2
        ):
            return g
    return r


def plate_calibration(bar_px: np.ndarray, rim_radius_px: np.ndarray, rim_aspect: np.ndarray | None) -> dict:
    """The plate's radius (px) over the frames where it stood still, with what it is worth.

    Returns `radius_px`; `uncertainty_pct`, the radius's standard error over those frames
    combined with half a pixel of edge placement (the fits share the same edges, so their
    scatter alone would understate it); `camera_yaw_deg`, how far the plate's face is turned
    from the image plane, from the rim's minor / major axis; and `frames`, how many fits."""
    still = _still(bar_px, rim_radius_px)
    radii = _outer_ring(rim_radius_px[still])
    radius = float(np.median(radii))
    spread = 1.4826 * float(np.median(np.abs(radii - radius)))
    relative = np.hypot(spread / np.sqrt(len(radii)), EDGE_PLACEMENT_PX) / radius
    aspect = rim_aspect[still & np.isfinite(rim_aspect)] if rim_aspect is not None else np.array([])
    yaw = float(np.degrees(np.arccos(np.clip(np.median(aspect), 0, 1)))) if len(aspect) else None
    return {
        "radius_px": radius,
        "uncertainty_pct": round(100 * float(relative), 2),
        "camera_yaw_deg": None if yaw is None else round(yaw, 1),
        "frames": int(len(radii)),
    }


def near_side(lifter_px: np.ndarray) -> str:
    vis = {s: np.nanmean(lifter_px[:, [LANDMARKS[s + j] for j in ("hip", "kne", "ank")], 2]) for s in SIDES}
    return max(vis, key=lambda s: -np.inf if np.isnan(vis[s]) else vis[s])


def _refusal(lifter_px) -> Exception:
    """Why there is no plate face to measure by: the camera is round to the front or back (the
    lifter's shoulders spread apart), or there is no barbell."""
    if not filmed_side_on(lifter_px):
        return NotSideView(
            "No plate face could be seen: the lift was not filmed from the side. Film from the "
            "side, level with the bar, so that the plate shows as a disc."
        )
    return NoBarFound(
        "No barbell plate was found. Film a lift with a bumper plate on the bar, from the side, level with the bar."
    )


def _calibrate(lifter_px, bar_px, radius_px, aspect):
    """(scale, floor_px, x0_px, warnings): px per metre, the floor line and the horizontal
    origin, from the plate, and what to tell the person filming. Without a plate face to
    measure by, nothing is scaled from a guess: the clip is refused (NoBarFound,
    NotSideView), as it is when the plate's face is turned past NOT_SIDE_VIEW_DEG."""
    bar_ok = np.isfinite(bar_px[:, 0])
    if not (bar_ok.any() and np.isfinite(radius_px).any()):
        raise _refusal(lifter_px)
    plate = plate_calibration(bar_px, radius_px, aspect)
    if plate["frames"] < MIN_PLATE_FRAMES:  # a circle seen once is no plate to measure by
        raise _refusal(lifter_px)
    if plate["camera_yaw_deg"] is not None and plate["camera_yaw_deg"] > NOT_SIDE_VIEW_DEG:
        raise NotSideView(
            f"The camera is turned about {plate['camera_yaw_deg']:.0f}° from side-on. Film from the "
            "side, level with the bar, square to the plate."
        )
    radius = plate["radius_px"]
    scale = {
        "px_per_m": 2 * radius / PLATE_DIAMETER_M,
        "source": "plate",
        "uncertainty_pct": plate["uncertainty_pct"],
        "camera_yaw_deg": plate["camera_yaw_deg"],
        "plate_frames": plate["frames"],
    }
    feet = np.concatenate([_px(lifter_px, n)[:, 1] for n in ("lhee", "rhee", "ltoe", "rtoe")])
    feet_floor_px = float(np.nanpercentile(feet, 95)) if np.isfinite(feet).any() else np.nan
    # The plate's lowest bottom edge is the floor when it was seen resting there
    # (a high percentile, so one bad frame cannot move the floor).
    floor_px = float(np.nanpercentile(bar_px[:, 1], 99)) + radius
    warnings = []
    if np.isfinite(feet_floor_px) and abs(floor_px - feet_floor_px) > 0.4 * radius:
        warnings.append("The plate was not seen resting on the floor; heights are measured from the feet.")
        floor_px = feet_floor_px
    x0_px = float(np.median(bar_px[np.flatnonzero(bar_ok)[:5], 0]))
    return scale, floor_px, x0_px, warnings


def lifter_plane_factor(radius_px: float, frame_long_side_px: float | None) -> float:
    """How much smaller the lifter looks than the near plate: he stands PLATE_TO_LIFTER_M
    behind it. The camera's distance comes from the plate's size and a phone's usual focal
    length; 1 when either is unknown."""
    if not (frame_long_side_px and np.isfinite(radius_px) and radius_px > 0):
        return 1.0
    distance_m = FOCAL_PER_LONG_SIDE * frame_long_side_px * PLATE_DIAMETER_M / (2 * radius_px)
    return distance_m / (distance_m + PLATE_TO_LIFTER_M)


def estimated_height_m(leg_trunk_px: float, px_per_m: float, plane_factor: float) -> float:
    """Standing height from the summed shank, thigh and trunk lengths, in the lifter's plane."""
    return leg_trunk_px / (px_per_m * plane_factor) / STATURE_PER_LEG_AND_TRUNK


def build_series(
    t: np.ndarray,
    lifter_px: np.ndarray,
    bar_px: np.ndarray,
    radius_px: np.ndarray,
    options: AnalysisOptions,
    rim_aspect: np.ndarray | None = None,
    frame_long_side_px: float | None = None,
    outline_measured: bool = True,
) -> dict:
    """Pose and plate pixels to SI series. `rim_aspect` is each frame's rim minor / major axis
    (NaN where the rim was not fitted) and `frame_long_side_px` the analysed frame's long
    side, for the lifter's distance behind the plate; both optional. `outline_measured` False
    says radius_px is the plate's strongest edge, which may be a ring inside its rim. The
    series come with `warnings`: what the person filming should know."""
    sign = facing_sign(lifter_px)
    side = near_side(lifter_px)  # from MediaPipe's own visibilities, before repairs set them
    lifter_px, guessed = repair_hidden_legs(t, lifter_px, bar_px, radius_px, sign)
    leg_trunk_px = _segment_sum_px(lifter_px, side)
    bar_ok = np.isfinite(bar_px[:, 0])
    scale, floor_px, x0_px, warnings = _calibrate(lifter_px, bar_px, radius_px, rim_aspect)
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
    still = _still(bar_px, radius_px)
    r0, slope = perspective.gradient(floor_px - bar_px[still, 1], radius_px[still], _outer_ring)
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
        x, v = to_m(_px(lifter_px, key))
        keypoints[key + "x"] = smooth_derivatives(t, x, cutoff_hz=KEYPOINT_CUTOFF_HZ)[0]
        keypoints[key + "v"] = smooth_derivatives(t, v, cutoff_hz=KEYPOINT_CUTOFF_HZ)[0]

    bx, bh = to_m(bar_px)
    # Spikes are judged on the residual from a smooth path, in metres.
    floor = spike_floor_m(px_per_m)
    bx, bh = (reject_spikes(t, bx, floor=floor), reject_spikes(t, bh, floor=floor))
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
    knee_bridged = angles[f"{side}kne_angle"]  # where a hip was guessed too: the phases time by it
    near = {j: _unless(guessed, side, READS[j], angles[f"{side}{j}_angle"]) for j in ANGLE_JOINTS}
    chosen = ANGLE_KEYS.values() if "all" in options.joints else [ANGLE_KEYS[j] for j in options.joints]
    angles = {k: _unless(guessed, k[0], READS[k[1:4]], v) for k, v in angles.items() if k[1:4] in chosen}

    lines = {
        k: _unless(guessed, side, LINE_READS[k], v) if k in LINE_READS else v
        for k, v in body_lines(keypoints, side).items()
    }
    hx = smooth_derivatives(t, keypoints[f"{side}hipx"])[1]
    hv = smooth_derivatives(t, keypoints[f"{side}hipv"])[1]
    head = np.stack(to_m((_px(lifter_px, "lear") + _px(lifter_px, "rear")) / 2), axis=-1)
    head = np.stack([fill_gaps(t, head[:, 0]), fill_gaps(t, head[:, 1])], axis=-1)
    com_v = centre_of_mass(keypoints, head)[:, 1]
    com_acc = smooth_derivatives(t, com_v, cutoff_hz=KEYPOINT_CUTOFF_HZ)[2]
    if not options.body_mass_kg:
        warnings.append(f"Body mass not given; ground reaction force assumes {DEFAULT_BODY_MASS_KG:.0f} kg.")
    body = {**lines, "hip_speed_mps": np.hypot(hx, hv)}
    plane = lifter_plane_factor(px_per_m * PLATE_DIAMETER_M / 2, frame_long_side_px)
    seen_height = estimated_height_m(leg_trunk_px, px_per_m, plane)
    lifter_height = options.lifter_height_m or seen_height
    return {
        "warnings": warnings,
        "scale": {**scale, "px_per_m": round(px_per_m, 3)},
        "bar": bar,
        "keypoints": keypoints,
        "angles": angles,
        "body": body,
        "com_acc_mps2": com_acc,
        "lifter_height_seen_m": float(seen_height),
        # with no perspective at all (a long lens far away): the least the clip allows
        "lifter_height_seen_flat_m": float(estimated_height_m(leg_trunk_px, px_per_m, 1.0)),
        "near": near,
        "knee_bridged": knee_bridged,
        "near_side": side,
        "facing": "right" if sign > 0 else "left",
        "lifter_height_m": float(lifter_height),
        "bar_coverage": float(bar_ok.mean()),
        "bar_raw": {"x_m": bx, "height_m": bh},
        "lifter_px": lifter_px,
    }
