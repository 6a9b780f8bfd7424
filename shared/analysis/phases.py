"""Phases: the standard landmarks of a lift, found on smoothed bar height, bar vertical
speed and knee angle.

  setup        clip start        -> liftoff (bar vertical speed first passes 0.15 m/s for good)
  first_pull   liftoff           -> first peak of knee extension
  transition   knee peak         -> deepest knee re-bend
  second_pull  re-bend           -> peak bar vertical speed
  turnover     peak bar speed    -> peak bar height
  catch        peak bar height   -> lowest catch position
  recovery     lowest catch      -> standing (the rise has slowed to a quarter of its peak speed)

A clean & jerk then adds jerk_dip (dip start -> dip bottom), jerk_drive (-> peak bar
speed), jerk_catch (-> lowest catch) and jerk_recovery (-> standing).
The outcome is "complete", "missed" (the bar comes back down to the floor) or "no_lift".
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy.signal import find_peaks

LIFTOFF_SPEED_MPS = 0.15
MIN_LIFT_M = 0.30
# Smallest knee re-bend taken for the transition. Pose models read its depth differently
# (15° of truth reads 5-14°), so the deepest one is taken, not the first past a high bar.
KNEE_REBEND_MIN_DEG = 2.0


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


def _liftoff(h, vy, rest):
    lifted = _first(h > rest + MIN_LIFT_M)
    if lifted is None:
        return None
    below = np.flatnonzero(vy[:lifted] < LIFTOFF_SPEED_MPS)
    return int(below[-1] + 1) if len(below) else 0


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


def _knee_landmarks(knee, start, stop):
    """First peak of knee extension and the deepest re-bend before the second pull: the
    knee trough with the greatest depth between liftoff and peak bar speed, and the most
    extended knee before it. A first-pull wobble deeper than the re-bend would win; pose
    models read the re-bend 5-14° deep, wobbles have been under 4°."""
    seg = knee[start:stop + 1]
    if len(seg) < 3 or not np.isfinite(seg).all():
        return None, None
    troughs, props = find_peaks(-seg, prominence=KNEE_REBEND_MIN_DEG)
    if len(troughs):
        rebend = int(troughs[np.argmax(props["prominences"])])
    elif seg.max() - seg[-1] >= KNEE_REBEND_MIN_DEG:  # still re-bending at peak bar speed
        rebend = len(seg) - 1
    else:
        return None, None
    return start + int(np.argmax(seg[:rebend + 1])), start + rebend


def find_phases(t, h, vy, knee, exercise: str) -> PhaseResult:
    """Phases of one lift. t (s), bar height h (m) and vertical speed vy (m/s), knee angle (deg)."""
    t, h, vy, knee = (np.asarray(a, dtype=float) for a in (t, h, vy, knee))
    n = len(t)
    rest = float(np.nanmedian(h[:max(3, min(n, 5))]))
    liftoff = _liftoff(h, vy, rest)
    if liftoff is None:
        return PhaseResult("no_lift", [Phase("setup", 0, n - 1, float(t[0]), float(t[-1]))], {})
    pull_end = min(n, _first(t >= t[liftoff] + 1.2) or n)
    vmax = liftoff + int(np.argmax(vy[liftoff:pull_end]))
    apex = _local_max_after(vy, vmax)
    marks = {"liftoff": liftoff, "peak_bar_speed": vmax, "peak_bar_height": apex}
    knee_peak, rebend = _knee_landmarks(knee, liftoff, vmax)
    if knee_peak is None:  # no re-bend seen: the transition is left empty at mid-pull
        knee_peak = rebend = liftoff + (vmax - liftoff) // 2
    marks.update(first_knee_extension=knee_peak, knee_rebend=rebend)
    bounds = [("setup", 0, liftoff), ("first_pull", liftoff, knee_peak), ("transition", knee_peak, rebend),
              ("second_pull", rebend, vmax), ("turnover", vmax, apex)]
    lowest = _local_min_after(vy, apex)
    # Standing up from the catch is looked for before any later dip (a jerk's drive is faster).
    next_dip = _first(vy < -LIFTOFF_SPEED_MPS, lowest + 1)
    standing = _standing(vy, lowest, next_dip)
    # Missed: the bar is back near the floor before the lifter stood up with it (dropping the
    # bar after standing is how a good lift ends, not a miss).
    if h[lowest] < rest + 0.5 * (h[apex] - rest) or \
            (standing is None and h[lowest:].min() < rest + 0.2):
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
    marks.update(jerk_dip=dip, jerk_dip_bottom=bottom, jerk_peak_bar_speed=drive,
                 jerk_lowest_catch=lowest, jerk_standing=stand)
    return [("jerk_dip", dip, bottom), ("jerk_drive", bottom, drive), ("jerk_catch", drive, lowest),
            ("jerk_recovery", lowest, stand)]


def _result(outcome, bounds, marks, t):
    phases = [Phase(name, int(a), int(b), float(t[a]), float(t[b])) for name, a, b in bounds]
    return PhaseResult(outcome, phases, {k: int(v) for k, v in marks.items()})
