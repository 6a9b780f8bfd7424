"""Time base: put the lift back on its own clock where the file's clock runs otherwise.

Speeds are distances over times, and the times come from the file. Two ways they lie:

- **Lost pictures.** A re-encoded or struggling phone clip loses pictures: 30 fps footage
  with every sixth picture dropped in a 25 fps stream, or a picture missing now and then in
  a stream stamped as if none were. Across a lost picture the bar moves two steps in one
  frame interval. Where the bar moves fast and smoothly, a step that is twice its
  neighbours' mean (`missing_steps`) marks one. Lost on a fixed cadence, the stream is a
  rate conversion that keeps wall time, so the clip's span is shared out again in whole
  picture intervals; lost at random, each lost picture adds the interval it missed.
- **Slow motion.** A phone films at 120-240 pictures a second and plays them at 30: the lift
  runs 4-8 times slower. The clip's own capture rate says so where the container carries
  one (Android's `com.android.capture.fps`). Otherwise physics does: a lift's bar rises at
  well over MIN_PULL_MPS at its fastest, and a dropped bar falls at g, so the fall's
  acceleration on the file's clock gives the factor (`free_fall_mps2`). A clip whose pull is
  too slow for a lift and which holds neither is refused (`SlowMotion`): its speeds cannot
  be known.

Everything here works on the bar's pixel track and the plate's radius (for metres), before
any series is built, so the whole engine runs on the corrected clock.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from shared.analysis.bar import PLATE_DIAMETER_M
from shared.analysis.errors import SlowMotion

G_MPS2 = 9.81
SLOW_FROM = 1.3  # a capture rate this many times the file's is slow motion
# A snatch or clean pull peaks at 1.3-2.2 m/s; a bar that rose LIFT_RISE_M never faster than
# MIN_PULL_MPS on the file's clock was filmed in slow motion.
MIN_PULL_MPS = 0.8
LIFT_RISE_M = 0.9
FALL_MIN_M = 0.4  # a drop this long, speeding up all the way, is a free fall to measure
FALL_FIT_RMS_M = 0.01  # and a parabola through it within this (m, RMS)
FALL_STEP_M = 0.002  # a step down less than this is the bar at rest (the tracker's noise), not falling
# Lost pictures (`missing_steps`): a step is judged where the bar moves at least MIN_STEP_PX
# in it, on WINDOW samples each side; one reading must fit LOST_FIT times better than the
# other, and a fit better than FIT_FLOOR_PX (RMS) counts as that.
MIN_STEP_PX = 4.0
WINDOW = 3
LOST_FIT = 3.0
FIT_FLOOR_PX = 0.5
MIN_LOST = 2  # lost pictures found before the clock is changed
CADENCE_AGREE = 0.9  # of the steps checked that fit one cadence of lost pictures: a fixed cadence


@dataclass
class TimeBase:
    """How the clip's clock was corrected: `slow_motion` (world seconds per file second is
    1 / slow_motion) and where it came from, and the pictures found lost."""

    slow_motion: float = 1.0
    slow_motion_source: str | None = None  # "capture_rate" (the container) | "free_fall"
    lost_pictures: int = 0
    checked_steps: int = 0  # steps where the bar moved enough to tell a lost picture
    lost_cadence: int | None = None  # every n-th step, when the pictures were lost on a cadence

    def to_dict(self) -> dict:
        return {
            "slow_motion": round(self.slow_motion, 3),
            "slow_motion_source": self.slow_motion_source,
            "lost_pictures": self.lost_pictures,
            "checked_steps": self.checked_steps,
            "lost_cadence": self.lost_cadence,
        }

    def warnings(self) -> list:
        out = []
        if self.slow_motion_source:
            how = "the clip's capture rate" if self.slow_motion_source == "capture_rate" else "the dropped bar's fall"
            out.append(
                {
                    "code": "slow_motion",
                    "message": (
                        f"The video is slow motion, {self.slow_motion:.1f} times slower than the lift (from {how}); "
                        "every time and speed is given on the lift's own clock."
                    ),
                }
            )
        if self.lost_pictures:
            how = f"every {self.lost_cadence}th picture" if self.lost_cadence else "pictures here and there"
            out.append(
                {
                    "code": "lost_frames",
                    "message": (
                        f"The video lost {how} ({self.lost_pictures} found where the bar moves); the bar's times "
                        "were corrected from the regularity of its motion. Upload the camera's original file for "
                        "exact speeds."
                    ),
                }
            )
        return out


def missing_steps(t_s: np.ndarray, bar_px: np.ndarray) -> tuple:
    """Per step between samples (n - 1): whether a picture was lost in it (0 or 1), and
    whether the bar moved enough, and smoothly enough, there to tell (`checked`).

    A step is judged on the bar's positions at the WINDOW samples each side of it. A
    quadratic in time (per coordinate: the bar accelerates) goes through them twice: once on
    the stamped times, once with the step's interval doubled. The one that fits LOST_FIT
    times better decides; when neither does, or the bar moved under MIN_STEP_PX, the step
    is not judged."""
    t_s, p = np.asarray(t_s, float), np.asarray(bar_px, float)
    n = len(t_s)
    lost, checked = np.zeros(max(n - 1, 0), int), np.zeros(max(n - 1, 0), bool)
    for k in range(WINDOW - 1, n - 1 - WINDOW):
        window = slice(k - WINDOW + 1, k + WINDOW + 1)  # samples k-2..k+3: the step k -> k+1 in the middle
        pts = p[window]
        if not np.isfinite(pts).all() or np.hypot(*(p[k + 1] - p[k])) < MIN_STEP_PX:
            continue
        t = t_s[window] - t_s[k]
        later = np.arange(2 * WINDOW) >= WINDOW
        fits = [_fit_rms(t + later * extra, pts) for extra in (0.0, t_s[k + 1] - t_s[k])]
        if max(fits) >= LOST_FIT * max(min(fits), FIT_FLOOR_PX):
            checked[k] = True
            lost[k] = fits[1] < fits[0]
    return lost, checked


def _fit_rms(t: np.ndarray, pts: np.ndarray) -> float:
    """RMS distance (px) of the points from the quadratic in t that fits them best."""
    basis = np.stack([np.ones_like(t), t, t * t], axis=1)
    residual = pts - basis @ np.linalg.lstsq(basis, pts, rcond=None)[0]
    return float(np.sqrt(np.mean(np.sum(residual**2, axis=1))))


def _cadence(lost: np.ndarray, checked: np.ndarray) -> int | None:
    """The cadence n when pictures were lost on every n-th step: at least 3 lost, n the
    greatest common divisor of the gaps between them, and CADENCE_AGREE of the steps checked
    lost exactly where that cadence says."""
    at = np.flatnonzero(lost)
    n = int(np.gcd.reduce(np.diff(at))) if len(at) >= 3 else 0
    if n < 2:
        return None
    on_cadence = np.arange(len(lost)) % n == at[0] % n
    return n if np.mean(on_cadence[checked] == lost[checked].astype(bool)) >= CADENCE_AGREE else None


def _with_lost(t_s: np.ndarray, lost: np.ndarray, checked: np.ndarray) -> tuple:
    """Times with the lost pictures' intervals put back, and the cadence (None: at random)."""
    dt = np.diff(t_s)
    cadence = _cadence(lost, checked)
    if cadence:  # a rate conversion: the same cadence all through, and the clip's span kept
        phase = int(np.flatnonzero(lost)[0]) % cadence
        units = 1 + (np.arange(len(dt)) % cadence == phase)
        steps = dt * units * dt.sum() / (dt * units).sum()
    else:
        steps = dt * (1 + lost)
    return t_s[0] + np.concatenate([[0.0], np.cumsum(steps)]), cadence


def _heights_m(bar_px: np.ndarray, radius_px: np.ndarray) -> np.ndarray:
    px_per_m = 2 * float(np.nanmedian(radius_px)) / PLATE_DIAMETER_M
    return -np.asarray(bar_px, float)[:, 1] / px_per_m


def fastest_rise_mps(t_s: np.ndarray, height_m: np.ndarray) -> tuple:
    """(The bar's fastest rise, m/s, over 3 samples; how far it rose in all, m)."""
    ok = np.isfinite(height_m)
    t, h = t_s[ok], height_m[ok]
    if len(h) < 4:
        return 0.0, 0.0
    rate = (h[3:] - h[:-3]) / (t[3:] - t[:-3])
    return float(rate.max()), float(h.max() - np.percentile(h, 5))


def free_fall_mps2(t_s: np.ndarray, height_m: np.ndarray) -> float | None:
    """The acceleration (m/s², file clock) of the clip's free falls, or None without one: a
    stretch where the bar drops FALL_MIN_M or more, every step by FALL_STEP_M or more, faster
    all the way to its fastest near the end (a bar lowered by hand slows before the floor),
    that a parabola fits. The fastest is read over 3 steps: a blurred plate's track jitters
    by a centimetre a step as it falls (on a 4x slow-motion render the fastest single step
    came at 60 % of the fall)."""
    found = []
    ok = np.isfinite(height_m)
    d = np.diff(height_m)
    falling = ok[1:] & ok[:-1] & (d <= -FALL_STEP_M)
    k = 0
    while k < len(falling):
        if not falling[k]:
            k += 1
            continue
        end = k
        while end < len(falling) and falling[end]:
            end += 1
        a, b = k, end  # samples a..b, falling all the way
        k = end
        if height_m[a] - height_m[b] < FALL_MIN_M or b - a < 6:
            continue
        h3, t3 = height_m[a : b + 1], t_s[a : b + 1]
        fastest = a + 1 + int(np.argmax((h3[:-3] - h3[3:]) / (t3[3:] - t3[:-3])))  # b - a >= 6
        if fastest < a + 0.7 * (b - a):  # slowed before the floor: lowered, not dropped
            continue
        t, h = t_s[a : fastest + 1], height_m[a : fastest + 1]
        if len(t) < 5:
            continue
        coef = np.polyfit(t - t[0], h, 2)
        if np.sqrt(np.mean((np.polyval(coef, t - t[0]) - h) ** 2)) <= FALL_FIT_RMS_M and coef[0] < 0:
            found.append(-2 * coef[0])
    return float(np.median(found)) if found else None


def correct(t_s: np.ndarray, bar_px: np.ndarray, radius_px: np.ndarray, capture_fps: float | None, fps: float) -> tuple:
    """The samples' times on the lift's own clock, and the `TimeBase` that says how: lost
    pictures put back first, then slow motion taken out. Raises `SlowMotion` for a clip
    whose pull is too slow for a lift on the file's clock with nothing to correct it by."""
    t_s = np.asarray(t_s, float)
    base = TimeBase()
    lost, checked = missing_steps(t_s, bar_px)
    base.checked_steps = int(checked.sum())
    if lost.sum() >= MIN_LOST:
        t_s, base.lost_cadence = _with_lost(t_s, lost, checked)
        base.lost_pictures = int(lost.sum())
    if not np.isfinite(radius_px).any():
        return t_s, base
    height_m = _heights_m(bar_px, radius_px)
    factor, source = None, None
    if capture_fps and capture_fps >= SLOW_FROM * fps:
        factor, source = capture_fps / fps, "capture_rate"
    else:
        pull_mps, rise_m = fastest_rise_mps(t_s, height_m)
        if rise_m >= LIFT_RISE_M and pull_mps < MIN_PULL_MPS:
            fall = free_fall_mps2(t_s, height_m)
            if fall is None or G_MPS2 / fall < SLOW_FROM**2:
                raise SlowMotion(
                    f"The bar rose {rise_m:.1f} m but never faster than {pull_mps:.2f} m/s on the video's clock, far "
                    "slower than any lift: this looks like slow motion, and the video says neither its capture rate "
                    "nor shows the bar dropped to time it by. Upload the clip at normal speed."
                )
            factor, source = float(np.sqrt(G_MPS2 / fall)), "free_fall"
    if factor:
        t_s = t_s[0] + (t_s - t_s[0]) / factor
        base.slow_motion, base.slow_motion_source = factor, source
    return t_s, base
