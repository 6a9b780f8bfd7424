"""The legs where the plate or the other leg hides them: feet planted where they were last
seen clear of the plate, knees rebuilt from the known thigh and shank lengths, hips bridged
over short gaps. What is only guessed is flagged, so that angles read from it are reported as
not measured rather than printed.
"""

from __future__ import annotations

import numpy as np

from shared.analysis.bar import PLATE_DIAMETER_M
from shared.analysis.body import SIDES
from shared.analysis.kinematics import bridged
from shared.analysis.pose import LANDMARKS

MIN_VISIBILITY = 0.3
TRUNK_TOLERANCE = 0.10
LEG_TOO_LONG, LEG_TOO_SHORT = 0.20, 0.35  # thigh and shank against their clear-frame lengths
# Highest a foot landmark goes above where it is planted: a heel raise lifts the ankle ~0.15 m,
# while MediaPipe folding a crouched lifter's legs puts the ankle ~0.35 m up.
FOOT_MAX_RISE_M = 0.25
# A foot landmark is first trusted when the plate is this many radii away from it, and the
# first few such frames where it stands still say where that foot is planted (see plant_feet):
# each within FOOT_STILL_M of their median, before the bar has risen FOOT_PLANTED_RISE_M or
# reached its highest.
FOOT_CLEAR_RADII, FOOT_ANCHOR_FRAMES = 2.5, 5
FOOT_STILL_M, FOOT_PLANTED_RISE_M = 0.04, 0.7
KNEE_CLEAR_RADII = 1.0
# A joint this near the plate's centre (in radii) is behind the plate. A shoulder there is
# only guessed, and nothing can rebuild it: in a front rack the bar sits on the shoulders and
# the plate covers them, and on rendered cleans with a real rack MediaPipe's shoulder made the
# hip read 10-12° too bent through the catch and recovery (2.7-5.5° RMSE where it showed).
HIDDEN_RADII = 0.95
# A hidden hip is bridged between the frames where it was seen; across a longer gap, or before
# it was first seen and after it was last seen, where it is is a guess, and so is every angle
# read from it: those are reported as not measured (`unmeasured`), not printed.
MAX_BRIDGE_S = 0.5
# See timing_hip: the plate covers the hip this near its centre; a chain this straight is left.
HIP_COVER_RADII, HIP_REACH_MAX = 1.6, 0.93
TRUNK_FOLDED, FOLD_WINDOW_S = 0.6, 1.0  # a trunk this much of its usual length is a folded pose (`_folded`)
LOW_BAR_M, HIP_OFF_PLATE_RADII = 0.10, 1.25  # see _hip_on_low_plate


def point_px(lifter_px: np.ndarray, name: str) -> np.ndarray:
    """(frames, 2) pixels of one landmark, NaN where MediaPipe barely saw it."""
    p = lifter_px[:, LANDMARKS[name]]
    xy = p[:, :2].astype(float).copy()
    xy[~(p[:, 2] >= MIN_VISIBILITY)] = np.nan
    return xy


def outside_unseen(lifter_px: np.ndarray, box: tuple) -> np.ndarray:
    """The pose with every landmark outside the picture `box` (x0, y0, x1, y1) marked unseen:
    MediaPipe places a foot cut off by the frame's edge all the same, and a guess there moved
    the floor 16 cm and the lifter's height 60 cm on a real clip."""
    out = np.array(lifter_px, dtype=float, copy=True)
    x, y = out[..., 0], out[..., 1]
    outside = (x < box[0]) | (x > box[2]) | (y < box[1]) | (y > box[3])
    out[..., 2] = np.where(outside, 0.0, out[..., 2])
    return out


def facing_sign(lifter_px: np.ndarray) -> float:
    """+1 when the lifter faces image right: the nose is ahead of the ears."""
    ears = (point_px(lifter_px, "lear") + point_px(lifter_px, "rear")) / 2
    d = point_px(lifter_px, "nose")[:, 0] - ears[:, 0]
    if not np.isfinite(d).any():
        d = point_px(lifter_px, "ltoe")[:, 0] - point_px(lifter_px, "lhee")[:, 0]
    return 1.0 if np.nanmedian(d) >= 0 else -1.0


def segment_sum_px(lifter_px: np.ndarray, side: str) -> float:
    """Shank + thigh + trunk of one side, each its median length over the clip (pixels)."""
    total = 0.0
    for a, b in (("ank", "kne"), ("kne", "hip"), ("hip", "sho")):
        total += np.nanmedian(np.linalg.norm(point_px(lifter_px, side + a) - point_px(lifter_px, side + b), axis=1))
    return total


def _joint_by_reach(base, tip, base_len, tip_len, sign):
    """The middle joint (n, 2) of a chain from `base` to `tip` whose two segments keep their
    lengths (base_len from the base, tip_len to the tip): where the two circles meet, on the
    side of the line whose x has `sign`."""
    d = tip - base
    dist = np.clip(np.linalg.norm(d, axis=1), abs(tip_len - base_len) + 1e-6, tip_len + base_len)
    u = d / np.linalg.norm(d, axis=1, keepdims=True)
    along = (base_len**2 - tip_len**2 + dist**2) / (2 * dist)
    out = np.sqrt(np.maximum(base_len**2 - along**2, 0.0))
    perp = np.stack([-u[:, 1], u[:, 0]], axis=1)
    perp *= np.where(perp[:, :1] * sign >= 0, 1.0, -1.0)
    return base + u * along[:, None] + perp * out[:, None]


def timing_hip(sho: np.ndarray, hip: np.ndarray, knee: np.ndarray, bar: np.ndarray, radius: float) -> np.ndarray:
    """The hip (n, 2) to time the knee's re-bend by, in the lift's plane with forward +x: where
    the plate covers it (its centre within HIP_COVER_RADII radii) and the chain from shoulder to
    knee is bent (under HIP_REACH_MAX of trunk + thigh), where the trunk and thigh, at their
    lengths in the frames the hip was clear, meet between shoulder and knee, behind the line;
    elsewhere `hip`. As the plate slides over the hip in the transition, MediaPipe's hip swings
    forward by a quarter of a thigh within 3 frames while the joint moves smoothly, and the knee
    read from it turned early: the re-bend was more than 2 frames off on 7 of 30 rendered lifts
    of the random draws, all at 60 fps (1 with this hip). Only the timing: rebuilt from lengths
    MediaPipe reads 10-15 % short in the pull on some lifts, the angle itself can be further
    off than MediaPipe's own near full extension, so the angles reported stay MediaPipe's."""
    far = np.linalg.norm(hip - bar, axis=1)
    seen = np.isfinite(far) & np.isfinite(sho).all(axis=1) & np.isfinite(knee).all(axis=1)
    clear = seen & (far > HIP_COVER_RADII * radius)
    if clear.sum() < 5:
        return hip
    trunk = float(np.median(np.linalg.norm(sho[clear] - hip[clear], axis=1)))
    thigh = float(np.median(np.linalg.norm(hip[clear] - knee[clear], axis=1)))
    chord = np.linalg.norm(sho - knee, axis=1)
    at = seen & (far <= HIP_COVER_RADII * radius) & (chord < HIP_REACH_MAX * (trunk + thigh))
    out = np.array(hip, dtype=float, copy=True)
    out[at] = _joint_by_reach(knee[at], sho[at], thigh, trunk, -1.0)
    return out


def plant_feet(px: np.ndarray, bar_px: np.ndarray, r: float, side: str) -> None:
    """Put each foot landmark where it is planted in the frames before MediaPipe first sees it
    standing still clear of the plate (in place, in `px`).

    The feet stay planted from the setup until the bar is well up. Until then the plate hides
    the foot or the shin above it, and MediaPipe guesses: on the rendered lifts the full model's
    ankle sat 9-39 cm off through the setup and 6-10 cm off through the first pull, while the
    plate was still within 2.5 radii of it. Those frames take the median of the first 5 frames
    (within 10) with the plate further away where the landmark stands still (each within
    FOOT_STILL_M of their median): the first clear looks can still be guesses, as when the plate
    passes the knee and MediaPipe bends the whole leg (an ankle 10-20 cm up and back for a few
    frames), and a planted foot does not move. Looks taken while the plate still covers the knee
    (its centre within KNEE_CLEAR_RADII of that side's knee landmark) come last: through them
    the rendered lifts' ankles sat 10-20 px (4-8 cm) behind the joint, steadily enough to pass
    for planted, and a planted ankle too far back bends a knee rebuilt above it 10° too far;
    they are used only when no still look comes once the knee is clear. Those 5 must come
    before the bar has risen FOOT_PLANTED_RISE_M (to about the hips of a lifter 1.75 m tall,
    where the heels start to rise) and before it is at its highest, else the first still look
    may be the feet landing from the catch: a clip that starts mid-pull never sees the bar rise
    that far, and on a real one the feet stood still first where they landed, 10 px from where
    they had stood. The frames before them, clear or not, take it, under whatever hip MediaPipe
    put there (a hip that makes the trunk the wrong length is bridged or left a guess by
    repair_hidden_legs: the foot stays planted under it). And only when the plate was followed
    through 90 % of the frames before."""
    px_per_m = 2 * r / PLATE_DIAMETER_M
    seen = np.flatnonzero(np.isfinite(bar_px[:, 1]))
    if len(seen) == 0:
        return
    rise_m = (np.median(bar_px[seen[:FOOT_ANCHOR_FRAMES], 1]) - bar_px[:, 1]) / px_per_m
    up = np.flatnonzero(rise_m >= FOOT_PLANTED_RISE_M)
    top = int(np.nanargmin(bar_px[:, 1]))  # image y grows downwards: the bar at its highest
    flat = np.arange(len(px)) < min(up[0] if len(up) else len(px), top)  # the feet are flat until then
    knee_clear = np.linalg.norm(px[:, LANDMARKS[side + "kne"], :2] - bar_px, axis=1) >= KNEE_CLEAR_RADII * r
    for j in ("ank", "hee", "toe"):
        i = LANDMARKS[side + j]
        clear = (np.linalg.norm(px[:, i, :2] - bar_px, axis=1) >= FOOT_CLEAR_RADII * r) & (px[:, i, 2] >= 0.5)
        for looks in (clear & knee_clear & flat, clear & flat):
            early = np.flatnonzero(looks)
            start = _still_window(px[early, i, :2], early, FOOT_STILL_M * px_per_m)
            if start is not None:
                break
        if start is None or early[start] == 0:
            continue
        window = early[start : start + FOOT_ANCHOR_FRAMES]
        if np.isfinite(bar_px[: window[0], 0]).mean() < 0.9:
            continue
        frames = np.arange(len(px)) < window[0]
        px[frames, i, :2] = np.median(px[window, i, :2], axis=0)
        px[frames, i, 2] = np.maximum(px[frames, i, 2], 0.5)


def _still_window(xy: np.ndarray, frames: np.ndarray, still_px: float) -> int | None:
    """Index into `frames` of the first FOOT_ANCHOR_FRAMES of them, spanning fewer than twice as
    many frames, whose points (xy) all lie within still_px of their median; None if none do."""
    n = FOOT_ANCHOR_FRAMES
    for k in range(len(frames) - n + 1):
        if frames[k + n - 1] - frames[k] >= 2 * n:
            continue
        pts = xy[k : k + n]
        if (np.linalg.norm(pts - np.median(pts, axis=0), axis=1) <= still_px).all():
            return k
    return None


def repair_hidden_legs(
    t: np.ndarray,
    lifter_px: np.ndarray,
    bar_px: np.ndarray,
    radius_px: np.ndarray,
    sign: float,
    across: float = 1.0,
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

    `across` is how much a camera turned from side-on shortens forward-back lengths (cos of its
    yaw): the legs are repaired in the lift's own plane, where the thigh and shank keep their
    length whichever way they lean (in the picture a thigh level with the floor looks
    cos(yaw) as long as an upright one, and a knee rebuilt from the upright length was pushed
    forward: 8-14° too bent through the first pull of a clip filmed 20-25° off side-on), and
    the plate's face is a circle of its radius.

    Returns the repaired landmarks and which of them (bool, frames x landmarks) are guesses:
    hips bridged across more than MAX_BRIDGE_S or past the frames they were seen in, knees
    rebuilt from such a hip, and shoulders behind the plate (HIDDEN_RADII)."""
    posed = np.isfinite(lifter_px[..., 0])  # the looks pose took (`_spread`)
    folded = _folded(t, lifter_px)
    lifter_px = np.where(folded[:, None, None], np.nan, lifter_px)
    px, bar_px = _in_plane(lifter_px, 1 / across), _in_plane(bar_px, 1 / across)
    guessed = np.zeros(px.shape[:2], dtype=bool)
    r = float(np.nanmedian(radius_px)) if np.isfinite(radius_px).any() else 0.0
    plate = np.isfinite(bar_px[:, 0]) & (r > 0)
    rise_px = FOOT_MAX_RISE_M * 2 * r / PLATE_DIAMETER_M
    for side in SIDES:
        idx = {j: LANDMARKS[side + j] for j in ("hip", "kne", "ank", "hee", "toe")}
        if r > 0:
            plant_feet(px, bar_px, r, side)
        hidden = {
            j: plate & ~(np.linalg.norm(px[:, i, :2] - bar_px, axis=1) >= HIDDEN_RADII * r) for j, i in idx.items()
        }
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
        # too long or short is not, nor one on the plate's face while the bar is still low.
        hidden["hip"] = (np.abs(trunk_px / trunk - 1) > TRUNK_TOLERANCE) | _hip_on_low_plate(px, bar_px, r, side)
        hidden["hip"] |= folded
        for j in ("hip", "ank", "hee", "toe"):
            seen = ~hidden[j] & (px[:, idx[j], 2] >= MIN_VISIBILITY)
            if hidden[j].any() and seen.sum() >= 2:
                for axis in (0, 1):
                    px[hidden[j], idx[j], axis] = np.interp(t[hidden[j]], t[seen], px[seen, idx[j], axis])
                px[hidden[j], idx[j], 2] = 0.5
            if j == "hip":
                guessed[:, idx[j]] = _spread(hidden[j] & ~bridged(t, seen, MAX_BRIDGE_S), posed[:, idx[j]])
        hip, knee, ankle = (px[:, idx[j], :2] for j in ("hip", "kne", "ank"))
        reach = _joint_by_reach(ankle, hip, shank, thigh, sign)  # the knee, bent the way he faces
        lengths = np.stack([np.linalg.norm(knee - hip, axis=1) / thigh, np.linalg.norm(knee - ankle, axis=1) / shank])
        fits = ((lengths <= 1 + LEG_TOO_LONG) & (lengths >= 1 - LEG_TOO_SHORT)).all(axis=0)
        k = (
            hidden["kne"] | (plate & (np.linalg.norm(reach - bar_px, axis=1) < HIDDEN_RADII * r)) | ~fits
        ) & np.isfinite(reach).all(axis=1)
        px[k, idx["kne"], :2] = reach[k]
        px[k, idx["kne"], 2] = 0.5
        guessed[:, idx["kne"]] = _spread(k & guessed[:, idx["hip"]], posed[:, idx["kne"]])
        # MediaPipe is often unsure of a knee it placed well: one that fits the leg is kept.
        kept = fits & ~k
        px[kept, idx["kne"], 2] = np.maximum(px[kept, idx["kne"], 2], 0.5)
    for side in SIDES if r > 0 else ():
        sho = LANDMARKS[side + "sho"]
        behind = plate & (np.linalg.norm(px[:, sho, :2] - bar_px, axis=1) < HIDDEN_RADII * r)
        guessed[:, sho] = _spread(behind, posed[:, sho])
    return _in_plane(px, across), guessed


def _folded(t: np.ndarray, lifter_px: np.ndarray) -> np.ndarray:
    """Frames (bool) whose trunk (either side's shoulder to hip) is shorter than TRUNK_FOLDED
    of its usual length, the 75th percentile of that side's trunk over FOLD_WINDOW_S either side
    (a lifter walking away from the camera between lifts looks smaller), or points down, the
    shoulder below the hip. MediaPipe can fold the whole skeleton at full visibility: on a 360p
    backlit clip the shoulders came down to the hips on every other look through a set-up and
    for 2 and 4 frames mid-pull, knees and ankles folded up with them; side-on the trunk keeps
    its length, so such a pose is no reading of the lifter. Nor is one upside down: with the
    head and shoulders behind the plate in a front rack, it read a rendered lifter standing up
    from a clean with the shoulders where the hips are and the hips at the shoulders (130-150 px
    off, at full visibility), and no lift puts the shoulders below the hips. Their landmarks
    are dropped and their hips are hidden ones."""
    folded = np.zeros(len(lifter_px), dtype=bool)
    for side in SIDES:
        down = lifter_px[:, LANDMARKS[side + "sho"], :2] - lifter_px[:, LANDMARKS[side + "hip"], :2]
        folded |= down[:, 1] > 0  # image y grows downwards
        trunk = np.linalg.norm(down, axis=1)
        posed = np.flatnonzero(np.isfinite(trunk))
        lo = np.searchsorted(t[posed], t[posed] - FOLD_WINDOW_S)
        hi = np.searchsorted(t[posed], t[posed] + FOLD_WINDOW_S, "right")
        for k, f in enumerate(posed):
            if hi[k] - lo[k] >= 5:
                folded[f] |= trunk[f] < TRUNK_FOLDED * np.percentile(trunk[posed[lo[k] : hi[k]]], 75)
    return folded


def _hip_on_low_plate(px: np.ndarray, bar_px: np.ndarray, r: float, side: str) -> np.ndarray:
    """Frames (bool) where that side's hip lies on the plate's face or just off it (its centre
    within HIP_OFF_PLATE_RADII, 0.28 m) while the bar is within LOW_BAR_M of its resting height:
    no lifter's hip can be there. Set up over a bar on the floor, the hip is above the knee and
    behind the bar, 0.3 m or more from its centre even for a short lifter in a low start (the
    plate is 0.45 m across whoever lifts it); where the plate hides the knees, MediaPipe can fold
    the legs and put the hip on the plate, 60 px (a quarter of a metre) from the joint through a
    whole set-up on a rendered clean, while the trunk kept its length: 0.86-1.11 radii from the
    plate's centre, against the joint's 1.61."""
    if not r > 0:
        return np.zeros(len(px), dtype=bool)
    y = bar_px[:, 1]
    rest = np.nanpercentile(y, 95) if np.isfinite(y).any() else np.nan  # image y grows downwards
    low = (rest - y) * PLATE_DIAMETER_M / (2 * r) < LOW_BAR_M
    return low & (np.linalg.norm(px[:, LANDMARKS[side + "hip"], :2] - bar_px, axis=1) < HIP_OFF_PLATE_RADII * r)


def _in_plane(px: np.ndarray, stretch: float) -> np.ndarray:
    """A copy of pixel points (..., 2 or more) with x stretched by `stretch`."""
    out = np.array(px, dtype=float, copy=True)
    out[..., 0] *= stretch
    return out


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


def unless_guessed(guessed: np.ndarray, side: str, joints: tuple, values: np.ndarray) -> np.ndarray:
    """A series read from these joints of that side, NaN (not measured) where any was guessed."""
    where = guessed[:, [LANDMARKS[side + j] for j in joints]].any(axis=1)
    return np.where(where, np.nan, values)
