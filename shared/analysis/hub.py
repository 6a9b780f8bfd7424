"""The plate's centre by its hub: the sleeve's end and the middle of the plate round it.

From the side the bar's axis points at the camera, so the sleeve end sits in front of the
plate and the plate in front of the lifter: the body passes behind, and the hub is the one
part of the plate that nothing covers. It is small and has sharp inner edges, so it is still
there when a fast bar's blur or a plate the grey of the wall behind it (steel, backlit) has
lost the rim. `PlateTracker` matches it round its prediction and places the plate by it where
the rim is lost, or where the rim's fit disagrees with a clear match, or with a good one nearer
the bar's motion than a fit seen on few rays (`Hub.place`). Its offset from the rim's
centre follows the fits that agree with it (HUB_FOLLOWS a frame): on real clips the nearer
sleeve end moves a few % further than the plate's centre as the bar rises, and a collar turns
with it. Once the clip is tracked, `steadied` takes the rim fits' frame-to-frame wander out of
the track where the hub matched well.

A hub is used only where its picture is its own: with some contrast, and matching itself
clearly worse when moved a little (a plain disc matches itself anywhere on its face).
"""

from __future__ import annotations

import cv2
import numpy as np

HUB_RADII = 0.3  # the template's half-size, in plate radii: the sleeve end and the plate round it
HUB_MIN_HALF = 4  # px: a 360p plate's hub is still 9 px square
HUB_MATCH = 0.6  # normalised correlation from which the hub is taken as found
HUB_CONTRAST = 6.0  # grey levels (standard deviation) a usable hub shows
HUB_SHIFT, HUB_DISTINCT = 0.1, 0.9  # moved this many radii, a usable hub matches itself less than this
# The hub is looked for HUB_REACH_RADII round the prediction plus what the bar's speed covers.
# Rim fits within HUB_AGREES radii (>= HUB_AGREES_PX) of it set the offset (their mean, then HUB_FOLLOWS
# of the way: a camera a few metres off sees the nearer sleeve end move 2-4 % further than the
# plate's face, so the offset drifts as the bar rises, and at 5 % a frame it lagged ~20 frames
# of that drift). It places the plate where the rim is lost (near the prediction),
# or where the rim's fit strays (to the body, a ghost, the wall) and the hub matched clearly
# (HUB_OVERRULES), or matched well (HUB_OVERRULES_WEAK) against a rim seen on few rays (`Hub.wins`).
HUB_REACH_RADII, HUB_FOLLOWS, HUB_AGREES, HUB_AGREES_PX = 0.5, 0.2, 0.1, 2.0
HUB_OVERRULES, HUB_OVERRULES_WEAK = 0.9, 0.8
STILL_OFFSET_RADII = 0.05  # a hub that moved less than this has not moved (`steadied`)


def _subpixel(three: np.ndarray) -> float:
    """Offset (-0.5..0.5) of a peak from the middle of three samples, by a parabola."""
    if len(three) != 3:
        return 0.0
    a, b, c = (float(v) for v in three)
    denom = a - 2 * b + c
    return 0.0 if denom >= 0 else float(np.clip(0.5 * (a - c) / denom, -0.5, 0.5))


def best_match(response: np.ndarray) -> tuple:
    """(x, y) of a matchTemplate response's peak, sub-pixel, and the peak's value."""
    _, peak, _, (mx, my) = cv2.minMaxLoc(response)
    xy = np.array([mx + _subpixel(response[my, mx - 1 : mx + 2]), my + _subpixel(response[my - 1 : my + 2, mx])])
    return xy, float(peak)


def _around(gray: np.ndarray, centre: np.ndarray, half: int) -> np.ndarray:
    """The (2*half+1)^2 patch centred on `centre` (sub-pixel), edges repeated past the frame."""
    side = 2 * half + 1
    return cv2.getRectSubPix(gray, (side, side), (float(centre[0]), float(centre[1])), patchType=cv2.CV_32F)


class Hub:
    """The hub's picture in the frame the tracker starts on, and where it is in later ones."""

    def __init__(self, gray: np.ndarray, centre: np.ndarray, radius_px: float):
        self.half = max(int(round(HUB_RADII * radius_px)), HUB_MIN_HALF)
        self.template = _around(gray, centre, self.half)
        shift = max(int(np.ceil(HUB_SHIFT * radius_px)), 1)
        moved = cv2.matchTemplate(_around(gray, centre, self.half + shift), self.template, cv2.TM_CCOEFF_NORMED)
        ring = np.concatenate([moved[0], moved[-1], moved[:, 0], moved[:, -1]])
        self.usable = float(self.template.std()) >= HUB_CONTRAST and float(ring.max()) < HUB_DISTINCT
        self.offset, self._agreed = np.zeros(2), 0  # the rim's centre less the hub's; agreeing fits seen
        self.seen = (np.nan,) * 4  # this frame's match: x, y, correlation, 1 where it placed the plate

    def find(self, gray: np.ndarray, predicted: np.ndarray, reach_px: float) -> tuple | None:
        """(centre, correlation) of the best match within `reach_px` of `predicted`, or None
        when the hub is not usable or nothing there matches it well enough."""
        if not self.usable:
            return None
        at = np.round(np.asarray(predicted, dtype=float))
        n = self.half + int(np.ceil(reach_px))
        offset, peak = best_match(cv2.matchTemplate(_around(gray, at, n), self.template, cv2.TM_CCOEFF_NORMED))
        return None if peak < HUB_MATCH else (at + offset - (n - self.half), peak)

    def place(
        self,
        gray: np.ndarray,
        predicted: np.ndarray,
        rim: tuple | None,
        weak: bool,
        radius_px: float,
        travel_px: float,
        rescue_px: float,
    ) -> tuple | None:
        """The plate's (centre, score) this frame: the rim's fit (`rim`, None where it was lost;
        `weak` where it was seen on few rays), or the hub's placing where it wins. A rim fit that
        agrees with the hub moves the offset between them. `travel_px` is how far the bar's speed
        carries it in a frame; a lost rim's plate is placed only within `rescue_px` of the
        prediction."""
        hub = self.find(gray, predicted, HUB_REACH_RADII * radius_px + 1.5 * travel_px)
        self.seen = (np.nan,) * 4 if hub is None else (*hub[0], hub[1], 0.0)
        if hub is None:
            return rim
        at = hub[0] + self.offset
        if rim is None:
            if np.linalg.norm(at - predicted) >= rescue_px:  # too far off to place the plate, or to steady it
                self.seen = (np.nan,) * 4
                return None
            self.seen = (*hub[0], hub[1], 1.0)
            return at, 0.5 * hub[1]
        off = float(np.linalg.norm(rim[0] - at))
        if off <= max(HUB_AGREES * radius_px, HUB_AGREES_PX):  # their mean, then HUB_FOLLOWS of the way
            self._agreed += 1
            self.offset += max(HUB_FOLLOWS, 1 / self._agreed) * (rim[0] - at)
            return rim
        if off < HUB_REACH_RADII * radius_px and self.wins(rim, weak, at, hub[1], predicted):
            self.seen = (*hub[0], hub[1], 1.0)
            return at, 0.5 * hub[1]
        return rim

    @staticmethod
    def wins(rim: tuple, weak: bool, at: np.ndarray, peak: float, predicted: np.ndarray) -> bool:
        """Whether the hub, matched at `at` with correlation `peak`, places the plate where the
        rim's fit disagrees: where it matched clearly, or where the rim was `weak` (seen on few
        rays, as a blurred rim at 360p is: fits 3-4 px off) and the hub matched well and nearer
        where the bar's motion puts it. A blurred hub can match well off along the blur, and
        the motion tells which of the two strayed."""
        if peak >= HUB_OVERRULES:
            return True
        nearer = np.linalg.norm(at - predicted) < np.linalg.norm(rim[0] - predicted)
        return bool(weak and peak >= HUB_OVERRULES_WEAK and nearer)


STEADY_MATCH, STEADY_S, OFFSET_S = 0.8, 0.3, 1.0
PARALLAX_MAX, PARALLAX_MIN_MOVE = 0.1, 2.0  # bound on the sleeve end's parallax; px the pairs must move


def steadied(bar_px: np.ndarray, hub: np.ndarray, t_s: np.ndarray, radius_px: np.ndarray) -> np.ndarray:
    """The track `bar_px` with the rim's jitter taken out where the hub matched well (`hub`:
    each frame's `Hub.seen`). A moving rim's fit wanders 2-5 px from frame to frame (blur, the
    body behind it, a change plate's rim), and at 30 fps each pixel is 0.1 m/s; the hub's match
    moves with the plate to a few tenths of a pixel, but its offset from the plate's centre
    drifts (the nearer sleeve end's parallax, a turned camera). So there the plate is the hub
    plus the median of the rim's offsets from it over OFFSET_S either side (a centred window,
    so a drift does not lag), the parallax (`parallax`) taken out first. The window is a
    second: with the parallax out what is left drifts slowly, and a rim fit can be biased for
    a good part of the pull (a red plate in front of red shorts, seen only at its sides: 3-5
    px low for 0.3 s at 360p); over 0.3 s either side those fits were the majority, and the
    track took 0.08 m/s of speed from their bias fading. A fit further than the agreement
    window from that median is left as the tracker decided unless the hub matched clearly
    (HUB_OVERRULES) within its reach: a rim wandering 5-9 px round a blurred second pull once agreed with the tracker's
    lagging offset and stood, and the steps between it and its steadied neighbours read as
    speed. Frames the hub placed take the median of their neighbours'.
    `radius_px`: each frame's plate radius; `t_s` the file's clock (a slow-motion clip's window
    then spans less of the lift's own time, which only makes it narrower)."""
    hub = np.reshape(hub, (-1, 4))
    out = bar_px.copy()
    d = bar_px - hub[:, :2]
    good = np.isfinite(d).all(axis=1) & (hub[:, 2] >= STEADY_MATCH)
    measured = np.flatnonzero(good & (hub[:, 3] == 0))  # the rim placed the plate
    k = parallax(d[measured], hub[measured, :2], t_s[measured])
    d = d + k * hub[:, :2]  # the offset less the part that grows with the hub's place in the picture
    agrees = np.maximum(HUB_AGREES * radius_px, HUB_AGREES_PX)
    for i in np.flatnonzero(good):
        near = measured[np.abs(t_s[measured] - t_s[i]) <= OFFSET_S]
        if len(near) < 3:
            continue
        # A plate standing still keeps one offset from its hub: where it stood still for STEADY_S
        # or more, its frames take the offset from those (a set-up's window reaching into the
        # pull drifted a still bar up 4 mm before liftoff, read as the rise starting 2 frames early).
        still = near[np.linalg.norm(hub[near, :2] - hub[i, :2], axis=1) <= STILL_OFFSET_RADII * radius_px[i]]
        if len(still) >= 3 and t_s[still[-1]] - t_s[still[0]] >= STEADY_S:
            near = still
        offset = np.median(d[near], axis=0)
        off = np.linalg.norm(d[i] - offset)
        clear = hub[i, 2] >= HUB_OVERRULES and off < HUB_REACH_RADII * radius_px[i]
        if hub[i, 3] == 1 or off <= agrees[i] or clear:
            out[i] = hub[i, :2] * (1 - k) + offset
    return out


def parallax(d: np.ndarray, hub_xy: np.ndarray, t_s: np.ndarray) -> float:
    """k in: the rim's centre less the hub's moves by -k times the hub's move. The sleeve end is
    nearer the camera than the plate's face, so it shows (1 + k) times as far from the picture's
    centre (the real clips: k 0.02-0.04). Fitted on pairs of frames within STEADY_S of each other
    (what drifts slowly, a collar turning, cancels), least squares with the pairs past 3 scaled
    MADs dropped once; 0 without PARALLAX_MIN_MOVE of motion among them, or past PARALLAX_MAX.
    Taking it out before the windowed median matters in a fast pull: the plate rises a radius
    or two within STEADY_S, and the offset's median over frames of the whole rise was a pixel off
    (0.07 m/s at 360p)."""
    i, j = np.nonzero(np.triu(np.abs(t_s[:, None] - t_s[None, :]) <= STEADY_S, 1))
    moved, change = hub_xy[i] - hub_xy[j], d[i] - d[j]
    if len(i) < 10 or np.median(np.linalg.norm(moved, axis=1)) < PARALLAX_MIN_MOVE:
        return 0.0
    keep = np.ones(len(i), dtype=bool)
    for _ in range(2):
        k = -float((change[keep] * moved[keep]).sum() / max((moved[keep] ** 2).sum(), 1e-9))
        resid = np.linalg.norm(change + k * moved, axis=1)
        keep = resid <= 3 * 1.4826 * np.median(resid) + 1e-9
    return k if abs(k) <= PARALLAX_MAX else 0.0  # past it, what moves the offset is not parallax
