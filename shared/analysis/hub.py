"""The plate's centre by its hub: the sleeve's end and the middle of the plate round it.

From the side the bar's axis points at the camera, so the sleeve end sits in front of the
plate and the plate in front of the lifter: the body passes behind, and the hub is the one
part of the plate that nothing covers. It is small and has sharp inner edges, so it is still
there when a fast bar's blur or a plate the grey of the wall behind it (steel, backlit) has
lost the rim. `PlateTracker` matches it round its prediction and places the plate by it where
the rim is lost, or where a clear match and the rim's fit disagree. Its offset from the rim's
centre follows the rim slowly: on real clips a close camera sees the sleeve's end move against
the plate's centre as the bar rises, and a collar turns with it.

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

    def find(self, gray: np.ndarray, predicted: np.ndarray, reach_px: float) -> tuple | None:
        """(centre, correlation) of the best match within `reach_px` of `predicted`, or None
        when the hub is not usable or nothing there matches it well enough."""
        if not self.usable:
            return None
        at = np.round(np.asarray(predicted, dtype=float))
        n = self.half + int(np.ceil(reach_px))
        offset, peak = best_match(cv2.matchTemplate(_around(gray, at, n), self.template, cv2.TM_CCOEFF_NORMED))
        return None if peak < HUB_MATCH else (at + offset - (n - self.half), peak)
