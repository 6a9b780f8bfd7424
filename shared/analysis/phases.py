"""Phases: the standard landmarks of a lift, found on smoothed bar height, bar vertical
speed and knee angle.

  setup        clip start        -> liftoff (the first frame the bar is off the floor; see _liftoff)
  first_pull   liftoff           -> first peak of knee extension
  transition   knee peak         -> deepest knee re-bend
  second_pull  re-bend           -> peak bar vertical speed
  turnover     peak bar speed    -> peak bar height
  catch        peak bar height   -> lowest catch position
  recovery     lowest catch      -> standing (the rise has slowed to a quarter of its peak speed)

A clean & jerk then adds jerk_dip (dip start -> dip bottom), jerk_drive (-> peak bar
speed), jerk_catch (-> lowest catch) and jerk_recovery (-> standing).
The outcome is "complete", "missed" (the bar comes back down to the floor) or "no_lift".

A clip may hold several lifts: `split_lifts` cuts it into one window per lift, and each is
phased on its own (`find_lift_phases`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy.optimize import nnls
from scipy.signal import find_peaks

LIFTOFF_SPEED_MPS = 0.15  # a dip or a fall starts when the bar moves this fast
MIN_LIFT_M = 0.30
LIFTOFF_RISE_M = 0.001  # off the floor: the fitted rise has lifted the bar a millimetre
ONSET_FIT_TOP_M = 0.05  # the rise's start is fitted on the bar's first 5 cm up
ONSET_LOOKBACK_S = 0.6  # and the frames up to this long before them
ON_FLOOR_M = 0.03  # a bar this near its resting height after the lift is back on the floor
# Smallest knee re-bend taken for the transition. Pose models read its depth differently
# (15° of truth reads 5-14°), so the deepest one is taken, not the first past a high bar.
KNEE_REBEND_MIN_DEG = 2.0
# A later dip within this many degrees of the deepest one's knee angle is the same re-bend
# read twice (pose noise splits its trough, and the saddle between leaves the later dip little
# prominence). The later one is taken: the knees re-bend just before they drive the second
# pull, and which of two near-equal dips wins must not rest on a fraction of a degree.
KNEE_REBEND_TIE_DEG = 3.0
REBEND_FIT_S = 0.15  # the re-bend's turn is fitted on the unsmoothed knee this near the smoothed trough
# The second pull's peak speed is the last peak of the rise this close to the fastest (and
# standing this far above the dips beside it): see _second_pull_peak.
SECOND_PULL_SHARE = 0.8
SECOND_PULL_PROMINENCE_MPS = 0.1


@dataclass
class Phase:
    name: str
    start_frame: int
    end_frame: int
    start_s: float = 0.0
    end_s: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class PhaseResult:
    outcome: str
    phases: list
    landmarks: dict  # landmark name -> frame index

    def shifted(self, offset: int) -> PhaseResult:
        """The same phases and landmarks, `offset` frames later (a window's frames to the clip's)."""
        moved = [Phase(p.name, p.start_frame + offset, p.end_frame + offset, p.start_s, p.end_s) for p in self.phases]
        return PhaseResult(self.outcome, moved, {k: v + offset for k, v in self.landmarks.items()})

    def at_frame(self, i: int) -> str | None:
        """The phase frame i is in (the later one on a shared boundary), or None between phases."""
        name = None
        for p in self.phases:
            if p.start_frame <= i <= p.end_frame:
                name = p.name
        return name


def _first(mask: np.ndarray, start: int = 0, stop: int | None = None) -> int | None:
    idx = np.flatnonzero(mask[start:stop])
    return int(start + idx[0]) if len(idx) else None


def rest_level(h_raw: np.ndarray, stop: int) -> tuple[float, float]:
    """The bar's resting height and the track's noise about it (m, a scaled MAD), from the
    frames before `stop` that sit within 2 cm of their median."""
    seg = h_raw[: max(stop, 1)]
    seg = seg[np.isfinite(seg)]
    if not len(seg):
        return float("nan"), 0.0
    level = float(np.median(seg))
    near = seg[np.abs(seg - level) < 0.02]
    level = float(np.median(near)) if len(near) else level
    return level, float(1.4826 * np.median(np.abs(near - level))) if len(near) else 0.0


def _onset_s(t, y):
    """When a rise from 0 starts: the t0 that best fits y = a u^2 + b u^3 (u = t - t0 >= 0,
    a, b >= 0: the bar leaves the floor at rest and speeds up) to samples (t, y). Searched at
    every sample, then on a twentieth of a frame about the best; returns (t0, (a, b))."""

    def fit(t0):
        u = np.clip(t - t0, 0, None)
        coef, resid = nnls(np.stack([u**2, u**3], axis=1), y)
        return resid, float(t0), (float(coef[0]), float(coef[1]))

    dt = float(np.median(np.diff(t)))
    coarse = min((fit(t0) for t0 in t[:-1]), key=lambda f: f[0])[1]
    return min((fit(t0) for t0 in np.arange(coarse - dt, coarse + dt, dt / 20)), key=lambda f: f[0])[1:]


def _liftoff(t, h, h_raw, rest_guess):
    """The first frame the bar is off the floor, or None when it never rises MIN_LIFT_M.

    A speed threshold finds the bar already moving: on a slow start it is frames late. So
    the rest level and noise come from the frames before the rise, and the rise's start is
    fitted on the raw track's first 5 cm (bar height as a constant-jerk start, a u^2 + b u^3
    after t0): liftoff is the first frame the fitted rise has lifted the bar 1 mm. A fit uses
    every frame, so it places the start better than the first frame out of the noise band."""
    lifted = _first(h > rest_guess + MIN_LIFT_M)
    if lifted is None:
        return None
    below = np.flatnonzero(h[:lifted] < rest_guess + ONSET_FIT_TOP_M)
    if not len(below):
        return 0
    rise = int(below[-1]) + 1  # the smoothed bar passes 5 cm here
    rest, _ = rest_level(h_raw, rise)
    if not np.isfinite(rest):
        return _first(h > rest_guess + LIFTOFF_RISE_M) or 0
    up = h_raw - rest
    top = _first(np.isfinite(up) & (up > ONSET_FIT_TOP_M), rise)
    top = rise if top is None else top
    start = _first(t >= t[top] - ONSET_LOOKBACK_S) or 0
    window = np.arange(start, top + 1)
    window = window[np.isfinite(up[window])]
    if len(window) < 4:
        return rise
    t0, (a, b) = _onset_s(t[window], up[window])
    u = np.clip(t - t0, 0, None)
    off = _first((a * u**2 + b * u**3 > LIFTOFF_RISE_M) & (t > t0))
    return rise if off is None else min(off, top)


def bar_off_floor(h: np.ndarray, phases: PhaseResult) -> np.ndarray:
    """Frames (bool) in which the bar is off the floor: from liftoff until it is back within
    ON_FLOOR_M of its resting height after the peak (put down or dropped), or the clip ends.
    The resting height is read in the lift's own set-up (its first phase)."""
    h = np.asarray(h, dtype=float)
    off = np.zeros(len(h), bool)
    m = phases.landmarks
    if "liftoff" not in m:
        return off
    begin = phases.phases[0].start_frame if phases.phases else 0
    rest = float(np.nanmedian(h[begin : max(m["liftoff"], begin + 1)]))
    peak = m.get("peak_bar_height", m["liftoff"])
    down = _first(h <= rest + ON_FLOOR_M, peak)
    off[m["liftoff"] : len(h) if down is None else down] = True
    return off


def split_lifts(h: np.ndarray) -> list[tuple[int, int]]:
    """Frame windows (first, last), one per lift, that together cover the clip.

    The floor level is where the bar rests (its lowest 5 cm of heights). A lift is a rise of
    more than MIN_LIFT_M above it, from the last frame the bar rests before the rise until the
    first frame it is back within ON_FLOOR_M of the floor (put down, dropped or missed) or the
    clip ends; rises with no rest between them (a clean, then its jerk) are one lift. The
    windows meet half-way between one lift's return to the floor and the next one's start, so
    each lift keeps the set-up before it. A clip with no such rise is one window."""
    h = np.asarray(h, dtype=float)
    n = len(h)
    seen = np.isfinite(h)
    if n == 0 or not seen.any():
        return [(0, max(n - 1, 0))]
    low = float(np.nanmin(h))
    floor = float(np.nanmedian(h[seen & (h < low + 0.05)]))
    up = seen & (h > floor + MIN_LIFT_M)
    resting = seen & (h <= floor + ON_FLOOR_M)
    spans: list[list[int]] = []
    i = _first(up)
    while i is not None:
        before = np.flatnonzero(resting[:i])
        begin = int(before[-1]) if len(before) else 0
        end = _first(resting, i)
        end = n - 1 if end is None else end
        if spans and begin <= spans[-1][1]:
            spans[-1][1] = end
        else:
            spans.append([begin, end])
        i = _first(up, end + 1) if end < n - 1 else None
    if not spans:
        return [(0, n - 1)]
    cuts = [(a[1] + b[0]) // 2 for a, b in zip(spans, spans[1:])]
    firsts, lasts = [0] + [c + 1 for c in cuts], cuts + [n - 1]
    return list(zip(firsts, lasts))


def find_lift_phases(
    t: np.ndarray, h: np.ndarray, vy: np.ndarray, knee: np.ndarray, exercise: str, **raw: np.ndarray
) -> list[PhaseResult]:
    """Phases of every lift in the clip (`split_lifts`), each on the clip's frame numbers;
    `raw`: the unsmoothed series `find_phases` takes (h_raw, knee_raw)."""
    t, h, vy, knee = (np.asarray(a, dtype=float) for a in (t, h, vy, knee))
    raw = {k: np.asarray(v, dtype=float) for k, v in raw.items() if v is not None}
    out = []
    for first, last in split_lifts(h):
        cut = slice(first, last + 1)
        found = find_phases(t[cut], h[cut], vy[cut], knee[cut], exercise, **{k: v[cut] for k, v in raw.items()})
        out.append(found.shifted(first))
    return out


def primary_lift(lifts: list[PhaseResult]) -> int:
    """Which lift the top-level phases and metrics describe: the first made, else the first."""
    return next((k for k, p in enumerate(lifts) if p.outcome == "complete"), 0)


def _local_max_after(vy, start):
    """First index after start where the bar stops rising."""
    i = _first(vy <= 0, start)
    return (len(vy) - 1) if i is None else i


def _local_min_after(vy, start):
    i = _first(vy >= 0, start)
    return (len(vy) - 1) if i is None else i


def _standing(vy, start, stop=None):
    stop = len(vy) if stop is None else stop
    if stop - start < 2:
        return None
    peak = start + int(np.argmax(vy[start:stop]))
    if vy[peak] <= 0.05:
        return None
    return _first(vy <= 0.25 * vy[peak], peak, stop)


def _second_pull_peak(vy, liftoff, pull_end):
    """The end of the second pull: the last peak of the bar's rising speed before it stops
    rising, among those within SECOND_PULL_SHARE of the fastest. A first pull can come out as
    fast as the second, or faster by a few hundredths of noise (a blurred plate at 30 fps
    read 0.2 m/s fast there); the bar is driven up until just before it tops out, so the
    last such peak is the second pull's, whichever is higher."""
    fastest = liftoff + int(np.argmax(vy[liftoff:pull_end]))
    top = _local_max_after(vy, fastest)
    seg = vy[liftoff : top + 1]
    peaks, _ = find_peaks(seg, prominence=SECOND_PULL_PROMINENCE_MPS)
    peaks = [int(p) for p in peaks if seg[p] >= SECOND_PULL_SHARE * vy[fastest]]
    return liftoff + peaks[-1] if peaks else fastest


def _knee_landmarks(knee, start, stop):
    """First peak of knee extension and the deepest re-bend before the second pull: the
    knee trough with the greatest depth between liftoff and peak bar speed (or a later one
    within KNEE_REBEND_TIE_DEG of its angle), and the most extended knee before it. A first-pull
    wobble deeper than the re-bend would win; pose models read the re-bend 5-14° deep,
    wobbles have been under 4°."""
    seg = knee[start : stop + 1]
    if len(seg) < 3 or not np.isfinite(seg).all():
        return None, None
    troughs, props = find_peaks(-seg, prominence=KNEE_REBEND_MIN_DEG)
    if len(troughs):
        best = int(np.argmax(props["prominences"]))
        same = troughs[best:][seg[troughs[best:]] <= seg[troughs[best]] + KNEE_REBEND_TIE_DEG]
        rebend = int(same[-1])
    elif seg.max() - seg[-1] >= KNEE_REBEND_MIN_DEG:  # still re-bending at peak bar speed
        rebend = len(seg) - 1
    else:
        return None, None
    return start + int(np.argmax(seg[: rebend + 1])), start + rebend


def _rebend_frame(t: np.ndarray, knee_raw: np.ndarray, rebend: int, after: int, before: int) -> int:
    """The re-bend's frame: where the knees' slow bend turns into the second pull's snap, the
    knot of the best continuous two-line fit (falling, then rising) to the unsmoothed knee
    within REBEND_FIT_S of the smoothed trough `rebend` (and between frames `after` and
    `before`). The bottom of that lopsided V is flat on its slow side, and pose noise of a few
    degrees put the lowest single reading anywhere along it: up to 3 frames early at 60 fps.
    A zero-phase filter moves the trough the same way. The fit's knot rests on every frame
    near the turn. With under 5 frames to fit, the lowest reading is taken."""
    near = np.flatnonzero((np.abs(t - t[rebend]) <= REBEND_FIT_S) & np.isfinite(knee_raw))
    # not onto peak bar speed (an empty second pull) unless the smoothed knee was still bending there
    last = before if rebend == before else before - 1
    near = near[(near > after) & (near <= last)]
    if len(near) < 5:
        return int(near[np.argmin(knee_raw[near])]) if len(near) else rebend
    best, knot = np.inf, None
    for k in near[2:-2]:
        dt = t[near] - t[k]
        design = np.stack([np.ones(len(near)), np.minimum(dt, 0), np.maximum(dt, 0)], axis=1)
        coef = np.linalg.lstsq(design, knee_raw[near], rcond=None)[0]
        sse = float(np.sum((design @ coef - knee_raw[near]) ** 2))
        if coef[1] <= 0 <= coef[2] and sse < best:
            best, knot = sse, int(k)
    return knot if knot is not None else int(near[np.argmin(knee_raw[near])])


def find_phases(
    t: np.ndarray,
    h: np.ndarray,
    vy: np.ndarray,
    knee: np.ndarray,
    exercise: str,
    h_raw: np.ndarray | None = None,
    knee_raw: np.ndarray | None = None,
) -> PhaseResult:
    """Phases of one lift. t (s), bar height h (m) and vertical speed vy (m/s), smoothed;
    knee angle (deg), smoothed; h_raw and knee_raw unsmoothed (h_raw NaN where the bar was not
    seen, knee_raw bridged across unseen spans; without them, h and knee): h_raw for liftoff,
    knee_raw for the re-bend's frame, where a zero-phase filter moves the turn of a lopsided
    curve (`_rebend_frame`)."""
    t, h, vy, knee = (np.asarray(a, dtype=float) for a in (t, h, vy, knee))
    h_raw = h if h_raw is None else np.asarray(h_raw, dtype=float)
    knee_raw = knee if knee_raw is None else np.asarray(knee_raw, dtype=float)
    n = len(t)
    rest = float(np.nanmedian(h[: max(3, min(n, 5))]))
    liftoff = _liftoff(t, h, h_raw, rest)
    if liftoff is None:
        return PhaseResult("no_lift", [Phase("setup", 0, n - 1, float(t[0]), float(t[-1]))], {})
    pull_end = min(n, _first(t >= t[liftoff] + 1.2) or n)
    vmax = _second_pull_peak(vy, liftoff, pull_end)
    apex = _local_max_after(vy, vmax)
    marks = {"liftoff": liftoff, "peak_bar_speed": vmax, "peak_bar_height": apex}
    knee_peak, rebend = _knee_landmarks(knee, liftoff, vmax)
    if knee_peak is None:  # no re-bend seen: the transition is left empty at mid-pull
        knee_peak = rebend = liftoff + (vmax - liftoff) // 2
    else:
        rebend = _rebend_frame(t, knee_raw, rebend, knee_peak, vmax)
    marks.update(first_knee_extension=knee_peak, knee_rebend=rebend)
    bounds = [
        ("setup", 0, liftoff),
        ("first_pull", liftoff, knee_peak),
        ("transition", knee_peak, rebend),
        ("second_pull", rebend, vmax),
        ("turnover", vmax, apex),
    ]
    lowest = _local_min_after(vy, apex)
    # Standing up from the catch is looked for before any later dip (a jerk's drive is faster).
    next_dip = _first(vy < -LIFTOFF_SPEED_MPS, lowest + 1)
    standing = _standing(vy, lowest, next_dip)
    # Missed: the bar is back near the floor before the lifter stood up with it (dropping the
    # bar after standing is how a good lift ends, not a miss).
    if h[lowest] < rest + 0.5 * (h[apex] - rest) or (standing is None and h[lowest:].min() < rest + 0.2):
        return _result("missed", bounds, marks, t)
    marks.update(lowest_catch=lowest)
    bounds += [("catch", apex, lowest)]
    if standing is None:
        return _result("complete", bounds + [("recovery", lowest, n - 1)], marks, t)
    marks["standing"] = standing
    bounds.append(("recovery", lowest, standing))
    if exercise == "clean_and_jerk":
        bounds += _jerk(h, vy, t, standing, marks)
    return _result("complete", bounds, marks, t)


def _jerk(h, vy, t, standing, marks):
    dip = _first(vy < -LIFTOFF_SPEED_MPS, standing)
    if dip is None:
        return []
    above = np.flatnonzero(vy[:dip] >= -0.05)
    dip = int(above[-1] + 1) if len(above) else dip
    bottom = _local_min_after(vy, dip + 1)
    stop = min(len(t), _first(t >= t[bottom] + 0.6) or len(t))
    drive = bottom + int(np.argmax(vy[bottom:stop]))
    apex = _local_max_after(vy, drive)
    lowest = _local_min_after(vy, apex)
    stand = _standing(vy, lowest) or len(t) - 1
    marks.update(
        jerk_dip=dip, jerk_dip_bottom=bottom, jerk_peak_bar_speed=drive, jerk_lowest_catch=lowest, jerk_standing=stand
    )
    return [
        ("jerk_dip", dip, bottom),
        ("jerk_drive", bottom, drive),
        ("jerk_catch", drive, lowest),
        ("jerk_recovery", lowest, stand),
    ]


def _result(outcome, bounds, marks, t):
    phases = [Phase(name, int(a), int(b), float(t[a]), float(t[b])) for name, a, b in bounds]
    return PhaseResult(outcome, phases, {k: int(v) for k, v in marks.items()})
