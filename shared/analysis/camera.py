"""Camera motion: how far the view moved from the shot's start, measured on the background.

A hand-held phone drifts, or tilts up to follow the bar: the whole picture moves, and the
bar's path in pixels carries the camera's motion (a view that tilts 17 px to follow a
snatch reads its rise about 10 % low). Corners in the first frame's background, outside
the band the lifter and bar move in (`exclude_x`), are followed to every later frame with
pyramidal Lucas-Kanade flow (on every EVERY-th frame, the frames between interpolated),
each search starting where the last look's shift put them
(so a long pan needs no long search, and nothing drifts as chained frame-to-frame flow
would); the mean displacement of those within half a pixel of the median is the view's
shift. When too few are still followed, the frame becomes the new reference.

A view whose shift never passes STILL_PX is a tripod's, and left alone: the features'
noise is then all there is to read.
"""

from __future__ import annotations

import cv2
import numpy as np

STEP = 2  # features are followed at half size: 0.6 ms a frame cheaper than full, and within 0.5 px
EVERY = 3  # frames between looks; a hand-held view drifts over seconds, and the frames between are interpolated
STILL_PX = 1.5  # frame pixels: a view that never moved more than this is still
MIN_FEATURES = 12  # background corners needed to follow the view
KEEP_SHARE = 0.4  # of the reference's corners still followed, else a new reference
LK = dict(winSize=(21, 21), maxLevel=3, criteria=(cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 30, 0.01))


class CameraMotion:
    """Feed each frame in order (`see`); `shifts_px()` is then each frame's (dx, dy) against the
    first, in frame pixels (a point fixed in the room moves from p to p + shift)."""

    def __init__(self, exclude_x: tuple | None):
        self.exclude_x = exclude_x  # (x0, x1) frame pixels: the lifter's and bar's band; None: do not measure
        self.shifts: list = []
        self.measured = exclude_x is not None
        self._ref = None  # (grey, corners (n, 1, 2), shift of the reference)

    def _corners(self, grey: np.ndarray) -> np.ndarray | None:
        mask = np.full(grey.shape, 255, np.uint8)
        x0, x1 = (int(v // STEP) for v in self.exclude_x)
        mask[:, max(x0, 0) : max(x1, 0)] = 0
        found = cv2.goodFeaturesToTrack(grey, maxCorners=150, qualityLevel=0.01, minDistance=8, mask=mask)
        return found if found is not None and len(found) >= MIN_FEATURES else None

    def see(self, rgb: np.ndarray) -> None:
        if not self.measured:
            self.shifts.append((0.0, 0.0))
            return
        if len(self.shifts) % EVERY:  # between looks: `shifts_px` fills it in
            self.shifts.append((np.nan, np.nan))
            return
        grey = np.ascontiguousarray(rgb[::STEP, ::STEP, 1])
        if self._ref is None:
            corners = self._corners(grey)
            if corners is None:  # a bare background: nothing to follow
                self.measured = False
                self.shifts.append((0.0, 0.0))
                return
            self._ref = (grey, corners, np.zeros(2))
            self.shifts.append((0.0, 0.0))
            return
        ref, corners, base = self._ref
        last = self.shifts[-EVERY] if len(self.shifts) >= EVERY else self.shifts[0]  # the last look's
        guess = (corners + (np.asarray(last) - base) / STEP).astype(np.float32)
        moved, status, _ = cv2.calcOpticalFlowPyrLK(ref, grey, corners, guess, flags=cv2.OPTFLOW_USE_INITIAL_FLOW, **LK)
        ok = status.ravel() == 1
        if ok.sum() < MIN_FEATURES:
            self.shifts.append(tuple(last))
            return
        d = (moved - corners)[ok, 0]
        near = np.linalg.norm(d - np.median(d, axis=0), axis=1) < 0.5  # the background's, not a passer-by's
        shift = base + (d[near] if near.sum() >= MIN_FEATURES // 2 else d).mean(axis=0) * STEP
        self.shifts.append((float(shift[0]), float(shift[1])))
        if ok.mean() < KEEP_SHARE:  # follow from here on
            fresh = self._corners(grey)
            if fresh is not None:
                self._ref = (grey, fresh, shift)

    def shifts_px(self) -> np.ndarray:
        """(frames, 2): each frame's shift; zero throughout for a still or unmeasured view."""
        out = np.asarray(self.shifts, float).reshape(-1, 2)
        looked = np.flatnonzero(np.isfinite(out[:, 0]))
        if not len(looked) or np.abs(out[looked]).max() <= STILL_PX:
            return np.zeros_like(out)
        frames = np.arange(len(out))
        filled = np.stack([np.interp(frames, looked, out[looked, k]) for k in (0, 1)], axis=1)
        if len(looked) >= 2:  # the frames after the last look go on at its pace
            a, b = looked[-2:]
            after = frames > b
            filled[after] = out[b] + (frames[after, None] - b) * (out[b] - out[a]) / (b - a)
        return filled
