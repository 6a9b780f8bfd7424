"""Calibration: the plate's size and turn from its outer silhouette where it stood still, the
floor and the horizontal origin, and the lifter's height seen against the plate. A clip with no
plate face to measure by is refused, never scaled from a guessed height.
"""

from __future__ import annotations

import numpy as np

from shared.analysis.bar import PLATE_DIAMETER_M
from shared.analysis.errors import NoBarFound, NotSideView
from shared.analysis.legs import point_px
from shared.analysis.quality import filmed_side_on

STATURE_PER_LEG_AND_TRUNK = 0.779  # (shank + thigh + trunk) / standing height, Winter
NOT_SIDE_VIEW_DEG = 40.0  # a plate face turned further is refused: the bar path would read 1 - cos short
EDGE_PLACEMENT_PX = 0.5  # how well one rim fit places the plate's edge, at best
RING_GAP = 0.02  # of the radius: per-frame rim fits further apart than this are on different rings
OUTER_RING_SHARE, MIN_RING_FRAMES = 0.25, 5  # the rim must be found in this share of the still frames, and 5
# A height seen outside this span is no lifter's: a pose gone wrong (legs cut off by the frame,
# a crossed skeleton), not a measurement.
HUMAN_HEIGHT_M = (1.3, 2.2)
# The near plate's face is about 0.75 m out from the lifter's midline (collar 0.655 m, then the
# big plates); a phone's main camera has a focal length of about 0.72 of the frame's long side
# (26 mm equivalent, about 69 deg across).
PLATE_TO_LIFTER_M, FOCAL_PER_LONG_SIDE = 0.75, 0.72
# A plate is measured on at least this many frames' outlines: a real one stands still in the
# set-up or the catch for many; a circle of clutter near the hands passes for one a frame or two.
MIN_PLATE_FRAMES = 3
# A bevel ring or band this far inside the rim can pass for its edge; the picture shows the two
# apart only where the ring lies RESOLVED_RING_PX or more inside the rim (`plate_calibration`).
RING_INSIDE_RIM_PCT, RESOLVED_RING_PX = 8.0, 2.5
# An outline seen on fewer than this share of the rays the clip's best-seen outlines were seen on
# (their 90th percentile) is an ellipse through a few arcs, of nearly any size (`clear_outlines`).
CLEAR_OUTLINE = 0.75


def still_frames(bar_px: np.ndarray, rim_radius_px: np.ndarray) -> np.ndarray:
    """Frames whose own rim fit is there and where the plate barely moved: blur widens a
    moving rim."""
    step = np.linalg.norm(np.diff(bar_px, axis=0, prepend=bar_px[:1]), axis=1)
    still = np.isfinite(rim_radius_px) & (step < 0.05 * np.nanmedian(rim_radius_px))
    return still if still.sum() >= 3 else np.isfinite(rim_radius_px)


def clear_outlines(rim_radius_px: np.ndarray, rim_score: np.ndarray) -> np.ndarray:
    """The outline radii, NaN where the outline was seen on under CLEAR_OUTLINE of the rays the
    clip's best-seen outlines were (`rim_score`: each frame's share of rays, NaN where none was
    measured). A plate on the floor shows its rim between shins, shoes and the floor line: a
    steel plate's lip, backlit at 720p, read 5.7 % small there on 39 % of the rays, and right
    overhead on 50-74 %. Unchanged where fewer than MIN_RING_FRAMES outlines would be left."""
    scored = np.isfinite(rim_radius_px) & np.isfinite(rim_score)
    if scored.sum() < MIN_RING_FRAMES:
        return rim_radius_px
    clear = scored & (rim_score >= CLEAR_OUTLINE * np.percentile(rim_score[scored], 90))
    if clear.sum() < MIN_RING_FRAMES:
        return rim_radius_px
    return np.where(clear | ~scored, rim_radius_px, np.nan)


def outer_ring(radii: np.ndarray) -> np.ndarray:
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
    scatter alone would understate it), and at least half of RING_INSIDE_RIM_PCT on a plate too
    small for such a ring to show apart from its rim (a radius under 31 px: at 360p a black
    plate's bevel ring, 1.6 px wide, merged into the step from its dark face, and the outline
    sat on the face's edge, 3-6 % small); `camera_yaw_deg`, how far the plate's face is turned
    from the image plane, from the rim's minor / major axis; and `frames`, how many fits."""
    still = still_frames(bar_px, rim_radius_px)
    radii = outer_ring(rim_radius_px[still])
    radius = float(np.median(radii))
    spread = 1.4826 * float(np.median(np.abs(radii - radius)))
    relative = np.hypot(spread / np.sqrt(len(radii)), EDGE_PLACEMENT_PX) / radius
    if RING_INSIDE_RIM_PCT / 100 * radius < RESOLVED_RING_PX:
        relative = max(relative, RING_INSIDE_RIM_PCT / 200)
    aspect = rim_aspect[still & np.isfinite(rim_aspect)] if rim_aspect is not None else np.array([])
    yaw = float(np.degrees(np.arccos(np.clip(np.median(aspect), 0, 1)))) if len(aspect) else None
    return {
        "radius_px": radius,
        "uncertainty_pct": round(100 * float(relative), 2),
        "camera_yaw_deg": None if yaw is None else round(yaw, 1),
        "frames": int(len(radii)),
    }


def turn_shortening(rim_aspect: np.ndarray | None) -> float:
    """cos(yaw) of a camera turned from side-on, from the rim's median minor / major axis over
    every frame it was fitted on (1 where it never was), for the leg repair, which runs before
    `plate_calibration` reads the yaw over the still frames alone."""
    aspect = rim_aspect[np.isfinite(rim_aspect)] if rim_aspect is not None else np.array([])
    return float(np.clip(np.median(aspect), 0.5, 1.0)) if len(aspect) else 1.0


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


def calibrate(
    lifter_px: np.ndarray,
    bar_px: np.ndarray,
    radius_px: np.ndarray,
    aspect: np.ndarray | None,
    rim_score: np.ndarray | None = None,
) -> tuple[dict, float, str, float, list[str]]:
    """(scale, floor_px, floor_from, x0_px, warnings): px per metre, the floor line and what
    it was read on (`plate`, the resting plate's bottom, or `feet`), the horizontal origin,
    from the plate, and what to tell the person filming. The scale is read on the
    clear outlines (`clear_outlines`, where `rim_score` says how each was seen). Without a
    plate face to measure by, nothing is scaled from a guess: the clip is refused
    (NoBarFound, NotSideView), as it is when the plate's face is turned past
    NOT_SIDE_VIEW_DEG."""
    bar_ok = np.isfinite(bar_px[:, 0])
    if not (bar_ok.any() and np.isfinite(radius_px).any()):
        raise _refusal(lifter_px)
    plate = plate_calibration(bar_px, radius_px if rim_score is None else clear_outlines(radius_px, rim_score), aspect)
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
    feet = np.concatenate([point_px(lifter_px, n)[:, 1] for n in ("lhee", "rhee", "ltoe", "rtoe")])
    feet_floor_px = float(np.nanpercentile(feet, 95)) if np.isfinite(feet).any() else np.nan
    # The plate's lowest bottom edge is the floor when it was seen resting there
    # (a high percentile, so one bad frame cannot move the floor). Feet below it say the plate
    # never reached the floor (a clip from the hang, or begun mid-pull). Feet above it do
    # not move the floor: a plate cannot sink into it, and MediaPipe places feet the frame
    # cuts off, or the plate hides, all the same (16 cm high on a real clip).
    floor_px, floor_from = plate_floor_px(bar_px, radius), "plate"
    warnings = []
    if np.isfinite(feet_floor_px) and feet_floor_px - floor_px > 0.4 * radius:
        warnings.append("The plate was not seen resting on the floor; heights are measured from the feet.")
        floor_px, floor_from = feet_floor_px, "feet"
    x0_px = float(np.median(bar_px[np.flatnonzero(bar_ok)[:5], 0]))
    return scale, floor_px, floor_from, x0_px, warnings


def plate_floor_px(bar_px: np.ndarray, radius_px: float) -> float:
    """The floor line under a plate `radius_px` big that rested there: the hub's lowest y (a high
    percentile, so one bad frame cannot move it) plus a radius."""
    return float(np.nanpercentile(bar_px[:, 1], 99)) + radius_px


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


def heights_seen_m(leg_trunk_px: float, px_per_m: float, plane_factor: float) -> tuple:
    """The lifter's height seen in the clip (`estimated_height_m`) and the least the clip allows
    (no perspective: a long lens far away); both NaN where it is no lifter's (HUMAN_HEIGHT_M)."""
    seen = estimated_height_m(leg_trunk_px, px_per_m, plane_factor)
    if not HUMAN_HEIGHT_M[0] <= seen <= HUMAN_HEIGHT_M[1]:
        return float("nan"), float("nan")
    return float(seen), float(estimated_height_m(leg_trunk_px, px_per_m, 1.0))
