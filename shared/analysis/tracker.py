"""The plate tracked frame by frame, once `bar.find_plate` has found it.

Tracking is template matching round the constant-velocity prediction, re-anchored on the
plate's rim: the strongest edge along rays from the centre, fitted by a circle, gives a
sub-pixel centre (rings inside the rim share it; the strongest edge is the most exact in a
blurred frame). The hub (`hub.Hub`: the sleeve end and the plate round it, which nothing
covers from the side) places the plate where the rim is lost or strays from a clear match.
Where the plate stands still, `rim.outer_rim` measures its outer silhouette for the scale."""

from __future__ import annotations

import collections

import cv2
import numpy as np

from shared.analysis.bar import (
    PLATE_DIAMETER_M,
    SEARCH_TRIES,
    PlateObservation,
    bar_gray,
    refine_on_rim,
    silhouette,
)
from shared.analysis.hub import Hub, best_match
from shared.analysis.rim import Squash, known_circle, outline_about

RIM_RADIUS_TOLERANCE = 0.03
EDGE_CIRCLE_SCORE = 0.5  # of the rays: a strongest-edge circle seen on fewer may be on limbs
TEMPLATE_REACH_RADII = 0.3  # 7 cm: 4x how far 40 m/s^2 moves a bar off its predicted path in 1/30 s
SEARCH_RADII = 2.0  # a lost rim is looked for this many radii round the prediction
# A circle found afresh is the plate only within reach of the prediction: the bar cannot leave
# its path by more than REFIND_M plus what a velocity REFIND_MPS off (a bar's top speed: the
# tracker's own may lag that far behind) and REFIND_MPS2 of acceleration add over the time
# since it was last seen. A circle in the background 0.3 m off was taken for the blurred
# plate in one frame of a real clip's distinct pictures (bench.real).
REFIND_M, REFIND_MPS, REFIND_MPS2 = 0.10, 2.5, 40.0
SEARCH_CANNY = 50  # a low-contrast plate (steel on a grey wall), blurred, has soft edges
STILL_RADII = 0.05  # a plate that moved less than this many radii since the last frame stands still
OUTLINES_EVERY_FRAME, OUTLINE_STEP = 60, 4
# The rim is fitted as the ellipse the last SHAPES_KEPT outlines read show, once SHAPES_NEEDED
# are read and three in four of them are under ROUND_ASPECT (11 deg turned: a circle fit sits
# within 1 % of a radius of the centre). On a real clip four outlines read 0.95-0.997 with axes
# all round: fitted as that ellipse, its scale moved 3.4 % and its yaw 6.8 -> 16 deg.
SHAPES_KEPT, SHAPES_NEEDED, ROUND_ASPECT = 30, 8, 0.98


class PlateTracker:
    """Follows one plate through a clip, `update(rgb, t_s)` on every frame (RGB or grey; in
    either direction of time, given as increasing `t_s`). Template matching runs at half
    resolution; the rim fit and the hub's match at full resolution."""

    def __init__(self, first: PlateObservation, rgb: np.ndarray, t_s: float):
        self.radius_px = first.radius_px  # the strongest edge's circle, which the tracker fits
        # the outer rim, where it was measured: a plate's rings lie between the two
        self.outer_px = first.rim_radius_px if np.isfinite(first.rim_radius_px) else first.radius_px
        self._pos = np.array([first.x_px, first.y_px])
        self._rim_pos = self._pos  # where the last rim fit put the plate: it stands still if it stays
        self._vel = np.zeros(2)
        self._t = t_s
        self._seen_t, self._seen_pos = t_s, self._pos  # when and where the plate was last found
        self._half_px = int(round(first.radius_px * 1.15 / 2))  # template half-size, half-res pixels
        self.misses = 0  # frames in a row without the plate
        self._still_frames = self._outlines_read = 0  # in this still stretch: frames, outlines measured
        self._faint = first.faint
        self._shapes = collections.deque(maxlen=SHAPES_KEPT)  # (aspect, major axis) of the outlines read
        if np.isfinite(first.aspect):  # the silhouette it was found by: the whole track is fitted alike
            self._shapes.append((first.aspect, first.axis_deg if np.isfinite(first.axis_deg) else 90.0))
        gray = self._gray(rgb, self._pos)
        self._template, self._hub = self._patch(gray, self._pos), Hub(gray, self._pos, first.radius_px)

    def _crop(self, gray, centre, half):
        """A (2*half+1)^2 half-resolution crop centred on a full-resolution point."""
        h, w = gray.shape
        x0, y0 = int(round(centre[0])) - 2 * half - 1, int(round(centre[1])) - 2 * half - 1
        x1, y1 = x0 + 4 * half + 2, y0 + 4 * half + 2
        roi = gray[max(y0, 0) : max(min(y1, h), 1), max(x0, 0) : max(min(x1, w), 1)]
        roi = cv2.copyMakeBorder(
            roi,
            max(-y0, 0),
            max(y1 - h, 0) + max(1 - roi.shape[0], 0),
            max(-x0, 0),
            max(x1 - w, 0) + max(1 - roi.shape[1], 0),
            cv2.BORDER_REPLICATE,
        )
        return cv2.resize(roi, (2 * half + 1, 2 * half + 1), interpolation=cv2.INTER_AREA).astype(np.float32)

    def _squash(self) -> Squash | None:
        """The plate's ellipse as its outlines read so far show it (the median aspect, the mean
        major axis), for the rim fits; None before SHAPES_NEEDED are read, or where they do not
        show it clearly turned (ROUND_ASPECT)."""
        if len(self._shapes) < SHAPES_NEEDED:
            return None
        aspect, axis = np.array(self._shapes).T
        if np.percentile(aspect, 75) > ROUND_ASPECT:  # not clearly turned: a near-circle's axis is any
            return None
        doubled = np.radians(2 * axis)
        axis = float(np.degrees(np.arctan2(np.sin(doubled).mean(), np.cos(doubled).mean())) / 2)
        return Squash(float(np.median(aspect)), axis)

    def learn_shapes(self, other: PlateTracker) -> None:
        """Take up the plate's ellipse as another tracker of it read it (one that tracked it
        back through the set-up from where this one found it mid-lift), so that both place it
        one way."""
        if not self._shapes:
            self._shapes.extend(other._shapes)

    def _patch(self, gray, centre):
        return self._crop(gray, centre, self._half_px)

    def _rim(self, gray, near: np.ndarray):
        """(centre, score) of the plate's rim fitted about `near`, or None unless it is the
        tracked plate: centred near there, and the size of one of its rings. The strongest edge
        can move from a band inside the rim to the rim itself as motion blur softens the band,
        and the rings share the plate's centre; a fit bigger than the outer rim, or smaller than
        the ring tracked, is following something else."""
        lo, hi = min(self.radius_px, self.outer_px), max(self.radius_px, self.outer_px)
        squash = self._squash()
        fit = refine_on_rim(gray, near[0], near[1], self.radius_px, squash)
        # The strongest edge's circle is the most exact in a blurred frame, where it is most of
        # the rim; where a plain plate's rim is faint it can settle on limbs: then the circle of
        # the plate's size that the most edges lie on.
        if (
            fit is None
            or fit[3] < EDGE_CIRCLE_SCORE
            or not lo * (1 - RIM_RADIUS_TOLERANCE) < fit[2] < hi * (1 + RIM_RADIUS_TOLERANCE)
        ):
            fit = known_circle(gray, near[0], near[1], lo, hi, squash)
        if fit is None or np.hypot(fit[0] - near[0], fit[1] - near[1]) >= 0.15 * self.radius_px:
            return None
        if abs(fit[2] / self.radius_px - 1) < RIM_RADIUS_TOLERANCE:
            self.radius_px = 0.9 * self.radius_px + 0.1 * fit[2]
        return np.array(fit[:2]), fit[3]

    def _refind_px(self, t_s: float) -> float:
        """How far from the prediction a plate found afresh may be (REFIND_M...)."""
        tau = t_s - self._seen_t
        return (REFIND_M + REFIND_MPS * tau + 0.5 * REFIND_MPS2 * tau**2) * 2 * self.outer_px / PLATE_DIAMETER_M

    def _search(self, gray, predicted: np.ndarray, dt: float, accept_px: float):
        """The plate's rim looked for afresh round the prediction: circles of the plate's size
        (HoughCircles at half size) within reach of it, nearest first, and kept only within
        `accept_px` of the prediction. Where the template lost a fast or plain plate (one that
        looks like the background), the rim is still a circle of known size."""
        reach = SEARCH_RADII * self.radius_px + 2 * float(np.linalg.norm(self._vel)) * dt
        h, w = gray.shape
        x0, y0 = (int(max(v - reach, 0)) for v in predicted)
        x1, y1 = int(min(predicted[0] + reach, w)), int(min(predicted[1] + reach, h))
        if x1 - x0 < self.radius_px or y1 - y0 < self.radius_px:
            return None
        small = cv2.GaussianBlur(
            cv2.resize(gray[y0:y1, x0:x1], None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA), (5, 5), 1.2
        )
        r = self.radius_px / 2
        circles = cv2.HoughCircles(
            small,
            cv2.HOUGH_GRADIENT,
            dp=1,
            minDist=r,
            param1=SEARCH_CANNY,
            param2=15,
            minRadius=max(int(0.85 * r), 4),
            maxRadius=int(1.15 * r) + 1,
        )
        if circles is None:
            return None
        found = circles[0][:, :2] * 2 + [x0, y0]
        for near in found[np.argsort(np.linalg.norm(found - predicted, axis=1))][:SEARCH_TRIES]:
            rim = self._rim(gray, near)
            if rim is not None:
                return rim if np.linalg.norm(rim[0] - predicted) <= accept_px else None
        return None

    def _outline_due(self) -> bool:
        """Whether to read the outline on this frame of a still stretch: on every one until it
        has been measured on OUTLINES_EVERY_FRAME of the stretch, then on every OUTLINE_STEP-th
        (a long set-up or rest gives hundreds, and a few dozen fix the median the scale takes;
        each costs ~3.5 ms). Frames where it could not be measured (the plate cut by the
        frame's edge) do not count."""
        self._still_frames += 1
        return self._outlines_read < OUTLINES_EVERY_FRAME or self._still_frames % OUTLINE_STEP == 0

    def _gray(self, rgb: np.ndarray, centre: np.ndarray) -> np.ndarray:
        """The frame in grey; for a faint plate (found with its local contrast brought up), the
        grey levels round `centre` (2 radii either way) stretched to the full range. Stretched
        afresh on each frame: levels fixed where the plate was found (in front of a dark box)
        whitened both a red plate and the backlit wall once it rose in front of that wall."""
        gray = bar_gray(rgb)
        if not self._faint:
            return gray
        r = int(2 * self.radius_px)
        x, y = int(centre[0]), int(centre[1])
        around = gray[max(0, y - r) : max(0, y + r), max(0, x - r) : max(0, x + r)]
        if not around.size:  # predicted off the frame
            return gray
        lo, hi = np.percentile(around, (2, 98))
        gain = 255.0 / max(float(hi - lo), 1.0)
        return cv2.convertScaleAbs(gray, alpha=gain, beta=-float(lo) * gain)

    def _matched(self, gray, predicted: np.ndarray, dt: float):
        """(centre, correlation) of the whole plate's best match round the prediction (half size)."""
        margin = int(max(0.35 * self.radius_px, 1.5 * np.linalg.norm(self._vel) * dt) / 2) + 3
        window = self._crop(gray, predicted, self._half_px + margin)
        offset, peak = best_match(cv2.matchTemplate(window, self._template, cv2.TM_CCOEFF_NORMED))
        return np.round(predicted) + 2 * (offset - margin), peak

    def update(self, rgb: np.ndarray, t_s: float) -> PlateObservation | None:
        dt = max(t_s - self._t, 1e-3)
        predicted = self._pos + self._vel * dt
        gray = self._gray(rgb, predicted)
        matched, peak = self._matched(gray, predicted, dt)
        rim = self._rim(gray, matched) or self._search(gray, predicted, dt, self._refind_px(t_s))
        weak = rim is not None and rim[1] < EDGE_CIRCLE_SCORE
        reach = TEMPLATE_REACH_RADII * self.radius_px  # a lost rim's plate is placed only this near
        rim = self._hub.place(gray, predicted, rim, weak, self.radius_px, float(np.linalg.norm(self._vel)) * dt, reach)
        outline, by_template = None, False
        if rim is not None:
            centre, score = rim
            self._template = 0.85 * self._template + 0.15 * self._patch(gray, centre)
            # The outline is read where the plate stands still (a moving rim is blurred), for the
            # scale only: the track keeps to one way of placing the plate, so no step between the
            # two ways shows up as speed.
            still = np.linalg.norm(centre - self._rim_pos) < STILL_RADII * self.radius_px
            if not still:  # each still stretch (set-up, rack, overhead, rest) is read afresh
                self._still_frames = self._outlines_read = 0
            if still and self._outline_due():
                outline = outline_about(gray, *centre, self.radius_px)
                if outline is not None:
                    self.outer_px = 0.9 * self.outer_px + 0.1 * outline.radius_px
                    self._outlines_read += 1
                    self._shapes.append((outline.aspect, outline.axis_deg))
            self._rim_pos = centre
        elif peak > 0.5 and np.linalg.norm(matched - predicted) < TEMPLATE_REACH_RADII * self.radius_px:
            # The template alone, only near where the bar can be: it cannot leave its path by
            # more than a few centimetres in a frame, and a template far off it has found a limb.
            centre, score, by_template = matched, 0.5 * peak, True
        else:
            # Lost: coast, slowing down and staying in the frame, until the caller gives up.
            self.misses += 1
            self._t, self._vel = t_s, 0.5 * self._vel
            self._pos = np.clip(predicted, 0, [gray.shape[1] - 1, gray.shape[0] - 1])
            return None
        if self.misses:  # found again: its speed since it was last seen, not from where it coasted to
            self._vel = (centre - self._seen_pos) / max(t_s - self._seen_t, 1e-3)
        else:
            self._vel = 0.5 * self._vel + 0.5 * (centre - self._pos) / dt
        self.misses = 0
        self._pos, self._t, self._seen_t, self._seen_pos = centre, t_s, t_s, centre
        return PlateObservation(
            *centre,
            self.radius_px,
            float(score),
            faint=self._faint,
            hub=self._hub.seen,
            by_template=by_template,
            **silhouette(outline),
        )
