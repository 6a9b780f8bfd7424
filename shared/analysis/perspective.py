"""Perspective: the plate's apparent size along the bar's path, for a local scale.

A phone on the floor, tilted up, sees the plate 7-10 % smaller overhead than at the floor;
one scale for the whole path then reads heights and speeds short at the top. The plate
stands still at the floor in the set-up and again overhead or in the rack, so its radius
at both heights is measured on sharp frames. A straight line through radius against
height above the floor (`gradient`) gives the scale at every height, and heights are then
the integral of 1 / scale from the floor (`to_metres`). A change smaller than MIN_CHANGE
over the path, or than NOISE_FACTOR times what the fit's scatter allows, is none: the
scale then stays one number, as for a level camera.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

MIN_SPAN_SHARE = 0.5  # of the plate's highest still height: still frames must reach this far up and down
MIN_CHANGE = 0.04  # over the path: less is within what rim fits at the floor misread (3 % at 360p)
NOISE_FACTOR = 3.0
MIN_END_FRAMES = 3  # still frames wanted near the floor and near the top
RIM_AGREE = 0.01  # a fit within this share of the larger end's rim has found that rim
SHARED_RIM_SHARE = 0.25  # of one end's fits on the other end's rim: the ends share that rim
HELD_GAP = 0.5  # plate radii: still frames further apart in height than this were held at two heights


def gradient(
    u_px: np.ndarray, radius_px: np.ndarray, rim: Callable | None = None, clear: np.ndarray | None = None
) -> tuple:
    """(radius at the floor, px; its change per px of height above the floor), from still
    frames' plate radii `radius_px` at heights `u_px` above the floor; (median, 0.0) when
    the frames do not span the path or the change is not worth a local scale. `rim` keeps,
    of the radii at one height, those that found the rim itself (`calibration.outer_ring`: a
    fit can settle on a ring inside it, differently at each height). The sizes are read on
    the outlines `clear` marks (all by default; `calibration.clear_outlines`), as the scale
    is: at 4K the set-up's outlines seen on 69-72 % of the rays read 2 % over the rim, those
    seen on every ray a bevel ring 7 % inside it, and the rim's own, seen on 78 %, lay
    between. Every outline still counts as a sign that the rim showed at a height."""
    rim = rim or (lambda r: r)
    ok = np.isfinite(u_px) & np.isfinite(radius_px)
    u, r = u_px[ok], radius_px[ok]
    flat = (float(np.median(r)) if len(r) else float("nan"), 0.0)
    if len(r) < 2 * MIN_END_FRAMES or np.ptp(u) <= 0:
        return flat
    top = u.max()
    low, high = u < (1 - MIN_SPAN_SHARE) * top, u > MIN_SPAN_SHARE * top
    if low.sum() < MIN_END_FRAMES or high.sum() < MIN_END_FRAMES:
        return flat
    read = np.ones(len(u), bool) if clear is None else np.asarray(clear)[ok]
    heights = _held_heights(u[read], r[read], rim)
    ends = [
        [rims for h, rims in heights if at(h)]
        for at in (lambda h: h < (1 - MIN_SPAN_SHARE) * top, lambda h: h > MIN_SPAN_SHARE * top)
    ]
    if not (ends[0] and ends[1]):
        return flat
    ends = np.concatenate(ends[0]), np.concatenate(ends[1])
    r_low, r_high = np.median(ends[0]), np.median(ends[1])
    # A fit at the smaller end as big as the other end's rim says the rim is that big there too,
    # and the smaller fits were a ring inside it (one end with too few rim fits to group them)
    small = r[low] if r_low < r_high else r[high]
    if small.max() >= (1 - RIM_AGREE) * max(r_low, r_high):
        return flat
    # Nor is it a change of size where the bigger end's fits fall as often on the smaller end's
    # rim: the two sizes are two edges seen at both ends (a colour bleeding past a small rim at
    # 360p read 6 % big on half the set-up frames, and the other half agreed with the top)
    big = r[high] if r_low < r_high else r[low]
    if np.mean(np.abs(big / min(r_low, r_high) - 1) < RIM_AGREE) >= SHARED_RIM_SHARE:
        return flat
    # a straight line through every height the plate was held at, each as much as its frames
    h, size, n = (np.array(v, float) for v in zip(*[(h, np.median(rims), len(rims)) for h, rims in heights]))
    slope, r0 = np.polyfit(h, size, 1, w=np.sqrt(n))
    spread = np.hypot(_se(ends[0]), _se(ends[1]))
    change = abs(slope) * top
    if change < max(MIN_CHANGE * r0, NOISE_FACTOR * spread):
        return flat
    return float(r0), float(slope)


def _held_heights(u: np.ndarray, r: np.ndarray, rim: Callable) -> list:
    """[(height, rim radii), ...]: the heights the plate was held still at (frames at least
    MIN_END_FRAMES, within HELD_GAP radii of the next), each with the radii `rim` keeps there
    and the median height of the frames they came from."""
    order = np.argsort(u)
    u, r = u[order], r[order]
    out = []
    for g in np.split(np.arange(len(u)), np.flatnonzero(np.diff(u) > HELD_GAP * np.median(r)) + 1):
        if len(g) < MIN_END_FRAMES:
            continue
        rims = rim(r[g])
        out.append((float(np.median(u[g][np.isin(r[g], rims)])), np.asarray(rims, float)))
    return out


def refloor(floor_px: float, radius_px: float, r0: float, slope: float) -> tuple:
    """(floor line, radius there) once a perspective is found. The floor was placed `radius_px`
    (the median still outline, over every height) below the resting hub, but at rest the plate
    is r0 + slope * radius_px big: a camera tilted to shrink the plate 15 % over 2 m put the
    floor 5 analysed pixels (2 cm) high on a 4K clip, and every height read that much low."""
    shift = r0 + slope * radius_px - radius_px
    return floor_px + shift, r0 - slope * shift


def _se(values: np.ndarray) -> float:
    """Standard error of a median, from the MAD."""
    return 1.2533 * 1.4826 * float(np.median(np.abs(values - np.median(values)))) / np.sqrt(len(values))


def heights_m(u_px: np.ndarray, px_per_m_floor: float, relative_slope: float) -> np.ndarray:
    """Metres above the floor for heights u_px (px above the floor line), where the scale is
    px_per_m_floor * (1 + relative_slope * u)."""
    u = np.asarray(u_px, float)
    if abs(relative_slope) < 1e-12:
        return u / px_per_m_floor
    return np.log1p(relative_slope * u) / (relative_slope * px_per_m_floor)


def local_px_per_m(u_px: np.ndarray, px_per_m_floor: float, relative_slope: float) -> np.ndarray:
    return px_per_m_floor * (1 + relative_slope * np.asarray(u_px, float))
