"""Kinematics: zero-phase smoothing and derivatives of series sampled at frame times.

Frame times may be irregular (variable frame rate), so each series is resampled onto a
uniform grid at the clip's median frame interval, filtered forwards and backwards, then
differentiated and read back at the frame times. Gaps (NaN) are bridged linearly first.

Two filters are offered. The bar uses a 2nd-order Butterworth differentiated on its spline
(`measure.BAR_FILTER`), the body the defaults here; each was chosen by measured accuracy on
rendered lifts (docs/proofs.md, "Accuracy": `make bench` prints the study).
"""

from __future__ import annotations

import numpy as np
from scipy.interpolate import CubicSpline
from scipy.ndimage import maximum_filter1d
from scipy.signal import butter, filtfilt, savgol_filter

G_MPS2 = 9.81
DEFAULT_METHOD = "butterworth"
DEFAULT_CUTOFF_HZ = 6.0
SPIKE_WINDOW, SPIKE_PASSES = 7, 12  # frames a spike pulls the path over; passes at most


def fill_gaps(t: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Linear interpolation across NaNs; ends are held at the nearest valid value."""
    y = np.asarray(y, dtype=float)
    ok = np.isfinite(y)
    if ok.all() or not ok.any():
        return y.copy()
    return np.interp(t, t[ok], y[ok])


def _local_quadratic_residual(t: np.ndarray, y: np.ndarray, half: int = 3) -> np.ndarray:
    """y minus a quadratic fitted in time over the 2 * half + 1 nearest frames (a Savitzky-Golay
    residual that uses the real frame times, so uneven frame intervals are not read as jumps).
    NaN samples take no part in the fits; a frame whose window holds fewer than 4 samples, or
    that is NaN itself, gets a residual of 0."""
    n, w = len(y), 2 * half + 1
    window = np.clip(np.arange(n) - half, 0, max(n - w, 0))[:, None] + np.arange(min(w, n))
    dt = t[window] - t[:, None]
    seen = np.isfinite(y[window])
    design = np.stack([np.ones_like(dt), dt, dt * dt], axis=-1) * seen[..., None]  # (n, w, 3)
    values = np.where(seen, y[window], 0.0)[..., None]
    coef = np.linalg.pinv(design) @ values  # least squares, one fit per frame
    resid = y - coef[:, 0, 0]
    return np.where(np.isfinite(y) & (seen.sum(axis=1) >= 4), resid, 0.0)


def reject_spikes(
    t: np.ndarray, y: np.ndarray, n_mad: float = 5.0, floor: float = 0.0, judged: np.ndarray | None = None
) -> np.ndarray:
    """Samples that jump off the local path become NaN, so one bad tracking frame cannot make
    a speed peak. The path is a quadratic fit in time over 7 neighbouring frames; a sample is a
    spike when its residual exceeds n_mad scaled MADs of the residuals (and `floor`): of the
    `judged` frames where at least 9 of them were seen, else of all. A spike pulls the fits of
    its neighbours too, so only the worst sample of each 7 goes at a time, and the rest are
    judged again without it: one bad frame costs one frame, not seven."""
    y = np.asarray(y, dtype=float).copy()
    t = np.asarray(t, dtype=float)
    ok = np.isfinite(y)
    if ok.sum() < 9:
        return y
    if judged is not None and (ok & judged).sum() >= 9:
        ok = ok & judged
    limit = None
    for _ in range(SPIKE_PASSES):
        resid = _local_quadratic_residual(t, y)
        if limit is None:
            mad = 1.4826 * np.median(np.abs(resid[ok] - np.median(resid[ok])))
            limit = max(n_mad * mad, floor)
        resid = np.abs(resid)
        worst = resid >= maximum_filter1d(np.where(np.isfinite(y), resid, 0.0), SPIKE_WINDOW)
        hit = np.isfinite(y) & (resid > limit) & worst
        if not hit.any():
            break
        y[hit] = np.nan
    return y


def _grid(t: np.ndarray):
    dt = float(np.median(np.diff(t))) if len(t) > 1 else 1 / 30
    return np.arange(t[0], t[-1] + dt / 2, dt), dt


def smooth_derivatives(
    t: np.ndarray,
    y: np.ndarray,
    method: str = DEFAULT_METHOD,
    cutoff_hz: float = DEFAULT_CUTOFF_HZ,
    order: int = 4,
    spline_derivative: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Smoothed value, first and second derivative of y(t), at the times t.

    Units follow y: metres give m, m/s and m/s^2. `order` is the Butterworth order (run
    forwards and backwards, so twice that). With `spline_derivative` the derivatives are the
    exact derivatives of a cubic spline through the filtered grid instead of central
    differences, which shave a speed peak by about v''dt^2/6 (0.03 m/s at 30 fps)."""
    t = np.asarray(t, dtype=float)
    y = fill_gaps(t, y)
    if len(t) < 7 or not np.isfinite(y).any():
        z = np.full_like(y, np.nan)
        return y, z, z
    grid, dt = _grid(t)
    # Cubic, not linear, resampling: a piecewise-linear path has stepped velocity, which
    # shaves the peak bar speed on variable-frame-rate clips.
    yg = CubicSpline(t, y)(grid)
    if method == "butterworth":
        wn = min(cutoff_hz * 2 * dt, 0.95)
        b, a = butter(order, wn)
        pos = filtfilt(b, a, yg, padlen=min(3 * max(len(a), len(b)), len(yg) - 1), padtype="even")
        if spline_derivative:
            spline = CubicSpline(grid, pos)
            return spline(t), spline(t, 1), spline(t, 2)
        vel = np.gradient(pos, dt)
        acc = np.gradient(vel, dt)
    elif method == "savgol":
        # A cubic Savitzky-Golay filter of N samples passes up to about 1.25 fs / N (Schafer 2011),
        # so this window matches the Butterworth cutoff above.
        window = max(5, int(round(1.25 / (cutoff_hz * dt))) | 1)
        window = min(window, len(yg) - (1 - len(yg) % 2))
        pos = savgol_filter(yg, window, 3, mode="interp")
        vel = savgol_filter(yg, window, 3, deriv=1, delta=dt, mode="interp")
        acc = savgol_filter(yg, window, 3, deriv=2, delta=dt, mode="interp")
    else:
        raise ValueError(f"unknown smoothing method {method!r}")
    return tuple(CubicSpline(grid, series)(t) for series in (pos, vel, acc))


def bar_dynamics(vy_mps: np.ndarray, ay_mps2: np.ndarray, bar_mass_kg: float) -> tuple[np.ndarray, np.ndarray]:
    """Force on the bar F = m (a_y + g) in N, and power P = F * v_y in W."""
    force = bar_mass_kg * (np.asarray(ay_mps2) + G_MPS2)
    return force, force * np.asarray(vy_mps)


def ground_reaction_force(
    com_acc_mps2: np.ndarray, bar_force_n: np.ndarray, body_mass_kg: float, bar_off_floor: np.ndarray
) -> np.ndarray:
    """Vertical ground reaction force (N) under lifter and bar: the body's weight and its
    centre of mass's acceleration, m (a_y + g), plus the force on the bar only while the bar is
    off the floor. A bar resting on the floor is held up by the floor, not through the
    lifter's feet, so before liftoff (and after the bar is put down) it adds nothing."""
    grf = body_mass_kg * (np.asarray(com_acc_mps2, dtype=float) + G_MPS2)
    return grf + np.where(np.asarray(bar_off_floor, bool), np.asarray(bar_force_n, dtype=float), 0.0)


def bridged(t: np.ndarray, seen: np.ndarray, max_gap_s: float) -> np.ndarray:
    """Frames (bool) seen, or inside a gap between seen frames at most `max_gap_s` apart;
    frames before the first seen one and after the last are not bridged."""
    t, out = np.asarray(t, dtype=float), np.asarray(seen, dtype=bool).copy()
    edges = np.flatnonzero(np.diff(np.r_[1, out.astype(int), 1]))
    for a, b in zip(edges[::2], edges[1::2]):  # frames a..b-1 not seen
        if a > 0 and b < len(t) and t[b] - t[a - 1] <= max_gap_s + 1e-9:
            out[a:b] = True
    return out
