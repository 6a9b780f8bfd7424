"""Where pose runs: on every frame in and around each lift, a few looks a second elsewhere.

Most of a real clip is set-up, chalking and walking about, and pose is most of the engine's
time. The bar tracker is cheap and runs on every frame first (`passes.bar_pass`), so the
frames where the bar is off its resting level are known before pose runs: pose then takes
every frame from DENSE_BEFORE_S before the bar starts to move until DENSE_AFTER_S after it last
rises (the lifter standing up from the catch, or out of a jerk's dip), and SPARSE_HZ looks a
second elsewhere, enough to pick the lifter out and read the set-up. Lowering or dropping the
bar after the lift, which no phase or metric reads, gets the sparse looks. A clip whose bar was
not tracked well enough to tell gets pose on every frame.
"""

from __future__ import annotations

import numpy as np

DENSE_BEFORE_S = 1.0  # the set-up the phases and the setup snapshot read, and the pose tracker's warm-up
DENSE_AFTER_S = 1.0  # the recovery after the bar is back down
SPARSE_HZ = 5.0  # looks a second elsewhere: 0.2 s apart, which the stored series fill (coverage.MAX_FILL_S)
MOVING_RADII = 0.25  # the bar has left its resting level once it is this many plate radii above it
# and it is rising where it goes up more than this many radii (2 cm) over RISE_S about a frame
# (pose noise on a held bar is a few mm; standing up from a catch lifts it 20-50 cm in ~1 s)
RISE_RADII, RISE_S = 0.1, 0.2
MIN_TRACKED = 0.5  # the share of frames with the bar below which pose runs on every frame


def pose_frames(t_s: np.ndarray, bar_y_px: np.ndarray, radius_px: np.ndarray) -> np.ndarray:
    """Which frames (bool) pose runs on, from each frame's time (s), the plate centre's image
    row (px, NaN where it was not seen) and radius (px).

    Dense: frames within DENSE_BEFORE_S before to DENSE_AFTER_S after any frame in which the
    bar was not seen, or is above its resting level (by MOVING_RADII) no later than the last
    frame of that stretch above it where it rises (RISE_RADII over RISE_S). The resting level
    is the lowest the bar sits in the clip (the largest image row). Sparse: the first frame of
    each 1 / SPARSE_HZ elsewhere. Every frame when the bar was seen in fewer than MIN_TRACKED
    of them."""
    t = np.asarray(t_s, dtype=float)
    y = np.asarray(bar_y_px, dtype=float)
    n = len(t)
    seen = np.isfinite(y)
    if n == 0 or seen.mean() < MIN_TRACKED or not np.isfinite(radius_px).any():
        return np.ones(n, bool)
    radius = float(np.nanmedian(radius_px))
    rest = float(np.nanpercentile(y[seen], 95))
    active = ~seen | _lifted(t, y, rest - MOVING_RADII * radius, RISE_RADII * radius)
    # each active frame marks the frames within reach of it: +1 where a reach starts, -1 after it ends
    at = np.flatnonzero(active)
    starts = np.searchsorted(t, t[at] - DENSE_BEFORE_S, side="left")
    ends = np.searchsorted(t, t[at] + DENSE_AFTER_S, side="right")
    marks = np.zeros(n + 1, int)
    np.add.at(marks, starts, 1)
    np.add.at(marks, ends, -1)
    dense = np.cumsum(marks[:n]) > 0
    slot = np.floor((t - t[0]) * SPARSE_HZ)
    sparse = np.r_[True, slot[1:] != slot[:-1]]
    return dense | sparse


def _lifted(t: np.ndarray, y: np.ndarray, above_row: float, rise_px: float) -> np.ndarray:
    """Frames (bool) where the bar (row y, px; NaN where not seen) is above image row
    `above_row`, up to the last frame of each such stretch where it rises by rise_px over
    RISE_S about that frame; a stretch where it never does, all of it."""
    up = np.where(np.isfinite(y), y, np.inf) < above_row
    before = np.searchsorted(t, t - RISE_S / 2, side="left")
    after = np.searchsorted(t, t + RISE_S / 2, side="right") - 1  # at most len(t) - 1
    rising = up & (y[after] < y[before] - rise_px)  # NaN compares False
    out = np.zeros(len(t), bool)
    edges = np.flatnonzero(np.diff(np.r_[0, up.astype(int), 0]))
    for start, stop in zip(edges[::2], edges[1::2]):
        rises = np.flatnonzero(rising[start:stop])
        out[start : start + rises[-1] + 1 if len(rises) else stop] = True
    return out
