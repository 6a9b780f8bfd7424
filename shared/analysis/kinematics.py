"""Kinematics: zero-phase smoothing and derivatives of series sampled at frame times.

Frame times may be irregular (variable frame rate), so each series is resampled onto a
uniform grid at the clip's median frame interval, filtered forwards and backwards, then
differentiated and read back at the frame times. Gaps (NaN) are bridged linearly first.

Two filters are offered; `DEFAULT_METHOD` is the one that measured more accurate on
rendered lifts (README, "Accuracy": `make bench` prints both).
"""
from __future__ import annotations

import numpy as np
from scipy.interpolate import CubicSpline
from scipy.signal import butter, filtfilt, savgol_filter

G_MPS2 = 9.81
DEFAULT_METHOD = "butterworth"
DEFAULT_CUTOFF_HZ = 6.0


def fill_gaps(t: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Linear interpolation across NaNs; ends are held at the nearest valid value."""
    y = np.asarray(y, dtype=float)
    ok = np.isfinite(y)
    if ok.all() or not ok.any():
        return y.copy()
    return np.interp(t, t[ok], y[ok])


def reject_spikes(t: np.ndarray, y: np.ndarray, n_mad: float = 5.0, floor: float = 0.0) -> np.ndarray:
    """Samples that jump off the local path become NaN, so one bad tracking frame cannot make
    a speed peak. The path is a quadratic fit over 7 neighbouring frames; a sample is a spike
    when its residual exceeds n_mad scaled MADs of all residuals (and `floor`)."""
    y = np.asarray(y, dtype=float).copy()
    ok = np.isfinite(y)
    if ok.sum() < 9:
        return y
    filled = fill_gaps(t, y)
    resid = filled - savgol_filter(filled, 7, 2, mode="interp")
    mad = 1.4826 * np.median(np.abs(resid[ok] - np.median(resid[ok])))
    y[np.abs(resid) > max(n_mad * mad, floor)] = np.nan
    return y


def _grid(t: np.ndarray):
    dt = float(np.median(np.diff(t))) if len(t) > 1 else 1 / 30
    return np.arange(t[0], t[-1] + dt / 2, dt), dt


def smooth_derivatives(t, y, method: str = DEFAULT_METHOD, cutoff_hz: float = DEFAULT_CUTOFF_HZ):
    """Smoothed value, first and second derivative of y(t), at the times t.

    Units follow y: metres give m, m/s and m/s^2."""
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
        b, a = butter(4, wn)
        pos = filtfilt(b, a, yg, padlen=min(3 * max(len(a), len(b)), len(yg) - 1), padtype="even")
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


def bar_dynamics(vy_mps, ay_mps2, bar_mass_kg: float):
    """Force on the bar F = m (a_y + g) in N, and power P = F * v_y in W."""
    force = bar_mass_kg * (np.asarray(ay_mps2) + G_MPS2)
    return force, force * np.asarray(vy_mps)
