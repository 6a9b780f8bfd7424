"""Bar: find the bumper plate near the wrists, then track its centre frame by frame.

Tracking is template matching in a window around the constant-velocity prediction,
re-anchored on the plate's rim: the strongest edge is sampled along rays from the centre
and a circle is fitted to it, which gives a sub-pixel centre (rings inside the rim are
concentric with it, and the strongest edge is the most exact in a blurred frame). Where
the plate stands still, `rim.outer_rim` measures its outer silhouette for the scale. HoughCircles finds
the plate in the first place. The tracker never waits for pose: pose only says where
to look for the plate before liftoff.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from shared.analysis.pose import LANDMARKS
from shared.analysis.rim import outer_rim

PLATE_DIAMETER_M = 0.450  # IWF bumper plates
RIM_RADIUS_TOLERANCE = 0.03
OUTLINE_AGREES = 0.03  # of the radius: the silhouette's centre and the track's agree
STILL_RADII = 0.05  # a plate that moved less than this many radii since the last frame stands still
_RAYS = np.linspace(0, 2 * np.pi, 72, endpoint=False)


@dataclass
class PlateObservation:
    x_px: float
    y_px: float
    radius_px: float
    score: float  # 0..1, how well the rim fitted
    # This frame's outer silhouette (`rim.outer_rim`): its major semi-axis and minor / major
    # ratio, NaN where it was not measured (the plate moving, or placed by the template)
    rim_radius_px: float = float("nan")
    aspect: float = float("nan")


def _gray(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


def fit_circle(points: np.ndarray):
    """Least-squares (Kasa) circle through points (n, 2): returns cx, cy, r."""
    x, y = points[:, 0], points[:, 1]
    A = np.column_stack([x, y, np.ones_like(x)])
    b = x**2 + y**2
    (c0, c1, c2), *_ = np.linalg.lstsq(A, b, rcond=None)
    cx, cy = c0 / 2, c1 / 2
    return cx, cy, float(np.sqrt(max(c2 + cx**2 + cy**2, 0.0)))


def refine_on_rim(gray: np.ndarray, cx: float, cy: float, r: float):
    """Sub-pixel plate circle from the strongest edge along rays near radius r.

    Returns (cx, cy, r, score), where score is the fraction of rays that agree with the fit,
    or None when too few rays see an edge (plate out of frame or hidden)."""
    h, w = gray.shape
    radii = np.linspace(0.75 * r, 1.25 * r, 41)
    xs = cx + np.outer(np.cos(_RAYS), radii)
    ys = cy + np.outer(np.sin(_RAYS), radii)
    inside = (xs >= 1) & (xs < w - 2) & (ys >= 1) & (ys < h - 2)
    profile = cv2.remap(gray, xs.astype(np.float32), ys.astype(np.float32),
                        cv2.INTER_LINEAR).astype(np.float32)
    grad = np.abs(np.diff(profile, axis=1))
    grad[~(inside[:, 1:] & inside[:, :-1])] = 0
    best = grad.argmax(axis=1)
    strength = grad[np.arange(len(_RAYS)), best]
    good = strength > max(8.0, 0.35 * np.median(strength[strength > 0]) if (strength > 0).any() else 8.0)
    if good.sum() < 18:
        return None
    edge_r = (radii[best] + radii[best + 1]) / 2
    pts = np.column_stack([cx + np.cos(_RAYS) * edge_r, cy + np.sin(_RAYS) * edge_r])[good]
    for _ in range(2):  # drop rays that caught the body or clutter instead of the rim
        fx, fy, fr = fit_circle(pts)
        resid = np.abs(np.hypot(pts[:, 0] - fx, pts[:, 1] - fy) - fr)
        keep = resid < max(1.5, 2.5 * np.median(resid))
        if keep.sum() < 18:
            return None
        pts = pts[keep]
    fx, fy, fr = fit_circle(pts)
    return fx, fy, fr, len(pts) / len(_RAYS)


def find_plate(rgb: np.ndarray, person: np.ndarray) -> PlateObservation | None:
    """The plate in this person's hands, from HoughCircles on a half-size image.

    `person` is one pose (33, 3) in pixels. A bumper plate is 0.45 m across, about 0.9 of
    the hip-to-shoulder length, so only radii near that are searched; among the circles
    the one nearest the wrists wins, with the plate resting on the floor by the feet as a
    tie-breaker (before liftoff it does)."""
    hips = np.nanmean(person[[LANDMARKS["lhip"], LANDMARKS["rhip"]], :2], axis=0)
    shoulders = np.nanmean(person[[LANDMARKS["lsho"], LANDMARKS["rsho"]], :2], axis=0)
    torso = float(np.linalg.norm(hips - shoulders))
    wrists = person[[LANDMARKS["lwri"], LANDMARKS["rwri"]], :2]
    wrists = wrists[np.isfinite(wrists).all(axis=1)]
    if not np.isfinite(torso) or torso < 10 or not len(wrists):
        return None
    feet_y = np.nanmax(person[[LANDMARKS[k] for k in ("lank", "rank", "lhee", "rhee", "ltoe", "rtoe")], 1])
    gray = _gray(rgb)
    small = cv2.GaussianBlur(cv2.resize(gray, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA), (5, 5), 1.2)
    lo, hi = 0.25 * torso, 0.8 * torso
    circles = cv2.HoughCircles(small, cv2.HOUGH_GRADIENT, dp=1, minDist=lo / 2, param1=100, param2=30,
                               minRadius=max(int(lo / 2), 4), maxRadius=max(int(hi / 2), 5))
    if circles is None:
        return None
    best, best_score = None, np.inf
    for x, y, r in circles[0] * 2:
        near_hands = np.min(np.hypot(wrists[:, 0] - x, wrists[:, 1] - y)) / r
        if near_hands > 1.2:
            continue
        on_floor = abs(y + r - feet_y) / r if np.isfinite(feet_y) else 0.0
        score = near_hands + 0.5 * min(on_floor, 2.0)
        if score < best_score:
            best, best_score = (x, y, r), score
    if best is None:
        return None
    fit = refine_on_rim(gray, *best)
    if not fit:
        return None
    return PlateObservation(*fit, *_outline(gray, fit[0], fit[1], fit[2]))


def _outline(gray, cx: float, cy: float, r: float) -> tuple:
    """(rim radius, aspect) of the plate's outer silhouette about a tracked centre, or NaNs
    when it cannot be measured there or its centre disagrees with the track's."""
    rim = outer_rim(gray, cx, cy, r)
    if rim is None or np.hypot(rim.x_px - cx, rim.y_px - cy) > OUTLINE_AGREES * r:
        return float("nan"), float("nan")
    return rim.radius_px, rim.aspect


def _subpixel(three: np.ndarray) -> float:
    """Offset (-0.5..0.5) of a peak from the middle of three samples, by a parabola."""
    if len(three) != 3:
        return 0.0
    a, b, c = (float(v) for v in three)
    denom = a - 2 * b + c
    return 0.0 if denom >= 0 else float(np.clip(0.5 * (a - c) / denom, -0.5, 0.5))


class PlateTracker:
    """Follows one plate through a clip. Call `update(rgb, t_s)` for every frame.

    Template matching runs at half resolution; the rim fit then works at full resolution."""

    def __init__(self, first: PlateObservation, rgb: np.ndarray, t_s: float):
        self.radius_px = first.radius_px
        self._pos = np.array([first.x_px, first.y_px])
        self._vel = np.zeros(2)
        self._t = t_s
        self._half_px = int(round(first.radius_px * 1.15 / 2))  # template half-size, half-res pixels
        self.misses = 0  # frames in a row without the plate
        self._template = self._patch(_gray(rgb), self._pos)

    def _crop(self, gray, centre, half):
        """A (2*half+1)^2 half-resolution crop centred on a full-resolution point."""
        h, w = gray.shape
        x0, y0 = int(round(centre[0])) - 2 * half - 1, int(round(centre[1])) - 2 * half - 1
        x1, y1 = x0 + 4 * half + 2, y0 + 4 * half + 2
        roi = gray[max(y0, 0):max(min(y1, h), 1), max(x0, 0):max(min(x1, w), 1)]
        roi = cv2.copyMakeBorder(roi, max(-y0, 0), max(y1 - h, 0) + max(1 - roi.shape[0], 0),
                                 max(-x0, 0), max(x1 - w, 0) + max(1 - roi.shape[1], 0), cv2.BORDER_REPLICATE)
        return cv2.resize(roi, (2 * half + 1, 2 * half + 1), interpolation=cv2.INTER_AREA).astype(np.float32)

    def _patch(self, gray, centre):
        return self._crop(gray, centre, self._half_px)

    def update(self, rgb: np.ndarray, t_s: float) -> PlateObservation | None:
        gray = _gray(rgb)
        dt = max(t_s - self._t, 1e-3)
        predicted = self._pos + self._vel * dt
        margin = int(max(0.35 * self.radius_px, 1.5 * np.linalg.norm(self._vel) * dt) / 2) + 3
        half = self._half_px + margin
        window = self._crop(gray, predicted, half)
        response = cv2.matchTemplate(window, self._template, cv2.TM_CCOEFF_NORMED)
        _, peak, _, (mx, my) = cv2.minMaxLoc(response)
        offset = np.array([mx + _subpixel(response[my, mx - 1:mx + 2]), my + _subpixel(response[my - 1:my + 2, mx])])
        matched = np.round(predicted) + 2 * (offset - margin)
        fit = refine_on_rim(gray, matched[0], matched[1], self.radius_px)
        # Motion blur smears the rim; a fit whose radius grew is following the smear, not the plate.
        if fit is not None and np.hypot(fit[0] - matched[0], fit[1] - matched[1]) < 0.15 * self.radius_px \
                and abs(fit[2] / self.radius_px - 1) < RIM_RADIUS_TOLERANCE:
            centre, score = np.array(fit[:2]), fit[3]
            self.radius_px = 0.9 * self.radius_px + 0.1 * fit[2]
            self._template = 0.85 * self._template + 0.15 * self._patch(gray, centre)
            # The scale is read where the plate stands still: a moving rim is blurred.
            still = np.linalg.norm(centre - self._pos) < STILL_RADII * self.radius_px
            rim, aspect = _outline(gray, *centre, self.radius_px) if still else (float("nan"), float("nan"))
        elif peak > 0.5:
            centre, score, rim, aspect = matched, 0.5 * peak, float("nan"), float("nan")
        else:
            # Lost: coast, slowing down and staying in the frame, until the caller gives up.
            self.misses += 1
            self._t, self._vel = t_s, 0.5 * self._vel
            self._pos = np.clip(predicted, 0, [gray.shape[1] - 1, gray.shape[0] - 1])
            return None
        self.misses = 0
        self._vel = 0.5 * self._vel + 0.5 * (centre - self._pos) / dt
        self._pos, self._t = centre, t_s
        return PlateObservation(centre[0], centre[1], self.radius_px, float(score), rim, aspect)
