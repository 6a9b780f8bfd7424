"""Kinematics: smoothing, derivatives and bar dynamics on series with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from shared.analysis.kinematics import G_MPS2, bar_dynamics, fill_gaps, reject_spikes, smooth_derivatives

METHODS = ("butterworth", "savgol")
FREQ_HZ = 1.5
OMEGA = 2 * np.pi * FREQ_HZ
AMP_M = 0.5
VEL_AMP = AMP_M * OMEGA  # 4.71 m/s
ACC_AMP = AMP_M * OMEGA**2  # 44.4 m/s^2


def _sine(t):
    return AMP_M * np.sin(OMEGA * t), VEL_AMP * np.cos(OMEGA * t), -ACC_AMP * np.sin(OMEGA * t)


SHAPE_CUTOFF_HZ = 10.0  # well above the test sine, so these tests check the derivative machinery


def _interior(t, margin_s=0.5):
    """Frames away from the ends, where the filters' edge handling does not reach."""
    return (t > t[0] + margin_s) & (t < t[-1] - margin_s)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("fps", [30, 60])
def test_sine_velocity_matches_analytic_away_from_ends(method, fps):
    t = np.arange(0, 4, 1 / fps)
    y, v_true, _ = _sine(t)
    _, v, _ = smooth_derivatives(t, y, method=method, cutoff_hz=SHAPE_CUTOFF_HZ)
    mid = _interior(t)
    assert np.max(np.abs(v[mid] - v_true[mid])) < 0.02 * VEL_AMP


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("fps", [30, 60])
def test_sine_acceleration_matches_analytic_away_from_ends(method, fps):
    t = np.arange(0, 4, 1 / fps)
    y, _, a_true = _sine(t)
    _, _, a = smooth_derivatives(t, y, method=method, cutoff_hz=SHAPE_CUTOFF_HZ)
    mid = _interior(t)
    assert np.max(np.abs(a[mid] - a_true[mid])) < 0.05 * ACC_AMP


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("fps", [30, 60])
def test_sine_position_is_not_distorted_by_smoothing(method, fps):
    t = np.arange(0, 4, 1 / fps)
    y, _, _ = _sine(t)
    p, _, _ = smooth_derivatives(t, y, method=method, cutoff_hz=SHAPE_CUTOFF_HZ)
    mid = _interior(t)
    assert np.max(np.abs(p[mid] - y[mid])) < 0.002


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("fps", [30, 60])
def test_parabola_gives_constant_acceleration(method, fps):
    t = np.arange(0, 3, 1 / fps)
    y = 0.2 + 3.0 * t - 0.5 * G_MPS2 * t**2
    _, v, a = smooth_derivatives(t, y, method=method)
    mid = _interior(t, 0.75)
    assert np.max(np.abs(v[mid] - (3.0 - G_MPS2 * t[mid]))) < 0.03
    assert np.max(np.abs(a[mid] + G_MPS2)) < 0.5


def test_savgol_is_exact_on_a_parabola_including_the_ends():
    t = np.arange(0, 2, 1 / 30)
    y = 0.2 + 3.0 * t - 0.5 * G_MPS2 * t**2
    p, v, a = smooth_derivatives(t, y, method="savgol")
    np.testing.assert_allclose(p, y, atol=1e-9)
    np.testing.assert_allclose(v, 3.0 - G_MPS2 * t, atol=1e-9)
    np.testing.assert_allclose(a, -G_MPS2, atol=1e-9)


def _vfr_times(seed=0, duration_s=4.0):
    """Variable frame rate: every interval drawn between 1/36 s and 1/26 s."""
    rng = np.random.default_rng(seed)
    t = np.concatenate([[0.0], np.cumsum(rng.uniform(1 / 36, 1 / 26, int(duration_s * 40)))])
    return t[t < duration_s]


@pytest.mark.parametrize("method", METHODS)
def test_irregular_timestamps_give_velocity_close_to_analytic(method):
    t = _vfr_times()
    assert np.ptp(np.diff(t)) > 0.005  # really irregular
    y, v_true, _ = _sine(t)
    p, v, _ = smooth_derivatives(t, y, method=method)
    mid = _interior(t)
    assert p.shape == v.shape == t.shape
    assert np.max(np.abs(v[mid] - v_true[mid])) < 0.06 * VEL_AMP


@pytest.mark.parametrize("method", METHODS)
def test_irregular_timestamps_give_acceleration_close_to_analytic(method):
    t = _vfr_times(seed=1)
    y, _, a_true = _sine(t)
    _, _, a = smooth_derivatives(t, y, method=method, cutoff_hz=SHAPE_CUTOFF_HZ)
    mid = _interior(t)
    assert np.max(np.abs(a[mid] - a_true[mid])) < 0.12 * ACC_AMP


@pytest.mark.parametrize("method", METHODS)
def test_irregular_timestamps_recover_parabola_acceleration(method):
    t = _vfr_times(seed=2, duration_s=3.0)
    y = 0.2 + 3.0 * t - 0.5 * G_MPS2 * t**2
    _, v, a = smooth_derivatives(t, y, method=method)
    mid = _interior(t, 0.75)
    assert np.max(np.abs(v[mid] - (3.0 - G_MPS2 * t[mid]))) < 0.05
    assert np.max(np.abs(a[mid] + G_MPS2)) < 1.0


def test_fill_gaps_interpolates_linearly_inside_and_holds_the_ends():
    t = np.arange(8, dtype=float)
    y = np.array([np.nan, 1.0, 2.0, np.nan, np.nan, 5.0, 6.0, np.nan])
    np.testing.assert_allclose(fill_gaps(t, y), [1, 1, 2, 3, 4, 5, 6, 6])


def test_fill_gaps_uses_the_time_stamps_not_the_indices():
    t = np.array([0.0, 0.1, 0.4, 1.0])
    y = np.array([0.0, np.nan, np.nan, 10.0])
    np.testing.assert_allclose(fill_gaps(t, y), [0.0, 1.0, 4.0, 10.0])


def test_fill_gaps_leaves_an_all_nan_series_alone():
    t = np.arange(5, dtype=float)
    out = fill_gaps(t, np.full(5, np.nan))
    assert out.shape == (5,) and np.isnan(out).all()


@pytest.mark.parametrize("method", METHODS)
def test_nan_gap_is_bridged_before_differentiating(method):
    t = np.arange(0, 3, 1 / 30)
    truth = 0.3 + 1.2 * t
    y = truth.copy()
    y[40:50] = np.nan
    p, v, a = smooth_derivatives(t, y, method=method)
    assert np.isfinite(p).all() and np.isfinite(v).all() and np.isfinite(a).all()
    inner = slice(10, -10)
    assert np.max(np.abs(p[inner] - truth[inner])) < 1e-3
    assert np.max(np.abs(v[inner] - 1.2)) < 0.01


def test_too_short_series_gives_nan_derivatives():
    t = np.arange(6) / 30
    y = t * 2.0
    p, v, a = smooth_derivatives(t, y)
    np.testing.assert_allclose(p, y)
    assert np.isnan(v).all() and np.isnan(a).all()


def test_unknown_method_raises_value_error():
    t = np.arange(0, 1, 1 / 30)
    with pytest.raises(ValueError, match="unknown smoothing method"):
        smooth_derivatives(t, np.sin(t), method="kalman")


def test_bar_dynamics_force_is_mass_times_acceleration_plus_g():
    ay = np.array([0.0, 1.0, -G_MPS2, 5.0])
    vy = np.array([0.0, 2.0, 1.0, -0.5])
    force, _ = bar_dynamics(vy, ay, 100.0)
    np.testing.assert_allclose(force, [981.0, 1081.0, 0.0, 1481.0], rtol=0, atol=1e-9)


def test_bar_dynamics_power_is_force_times_vertical_speed():
    ay = np.array([0.0, 1.0, -G_MPS2, 5.0])
    vy = np.array([0.0, 2.0, 1.0, -0.5])
    _, power = bar_dynamics(vy, ay, 100.0)
    np.testing.assert_allclose(power, [0.0, 2162.0, 0.0, -740.5], rtol=0, atol=1e-9)


def test_spike_rejection_keeps_every_sample_of_a_pull_at_a_variable_frame_rate():
    """A bar at rest, then pulled 0.8 m in 0.6 s (minimum jerk, peak 2.5 m/s). The local fit
    runs in time, not frame index: uneven intervals at the speed peak are not jumps (fitted
    by index, samples 50-56 around the peak were thrown away)."""
    t = _vfr_times(seed=2)
    s = np.clip((t - 1.5) / 0.6, 0, 1)
    h = 0.2 + 0.8 * (10 * s**3 - 15 * s**4 + 6 * s**5)
    kept = reject_spikes(t, h, floor=0.002)
    np.testing.assert_array_equal(kept, h)


@pytest.mark.parametrize("times", ["uniform", "vfr"])
def test_spike_rejection_removes_a_tracking_glitch_and_only_it(times):
    t = np.arange(0, 4, 1 / 30) if times == "uniform" else _vfr_times(seed=3)
    y, _, _ = _sine(t)
    glitch = len(t) // 3
    y_bad = y.copy()
    y_bad[glitch] += 0.03  # 3 cm off the path for one frame
    kept = reject_spikes(t, y_bad, floor=0.002)
    assert np.flatnonzero(~np.isfinite(kept)).tolist() == [glitch]


def test_a_still_steady_setup_does_not_make_a_pulls_placement_noise_spikes():
    """Two seconds still, placed to a tenth of a millimetre (by the hub), then a pull whose
    placings scatter 3 mm: judged against the spread where the bar moves, only the glitch goes."""
    t = np.arange(0, 3.5, 1 / 30)
    s = np.clip((t - 2.0) / 0.8, 0, 1)
    rng = np.random.default_rng(5)
    h = 0.2 + 1.0 * (10 * s**3 - 15 * s**4 + 6 * s**5) + np.where(s > 0, rng.normal(0, 0.003, len(t)), 0.0)
    h += rng.normal(0, 0.0001, len(t))
    glitch = int(np.searchsorted(t, 2.4))
    h[glitch] += 0.04
    moving = np.abs(np.gradient(h, t)) > 0.3
    kept = reject_spikes(t, h, floor=0.002, judged=moving)
    assert np.flatnonzero(~np.isfinite(kept)).tolist() == [glitch]
    assert np.isnan(reject_spikes(t, h, floor=0.002)).sum() > 3  # judged on every frame: the pull is cut up


@pytest.mark.parametrize("fps", [30, 60])
def test_spline_derivative_does_not_shave_the_speed_peak(fps):
    """Central differences shave a peak by about v''dt^2/6 (1.6 % here at 30 fps); the exact
    derivative of the spline through the filtered path does not."""
    t = np.arange(0, 4, 1 / fps)
    y, v_true, a_true = _sine(t)
    mid = _interior(t)
    _, v, a = smooth_derivatives(t, y, cutoff_hz=SHAPE_CUTOFF_HZ, order=2, spline_derivative=True)
    _, v_cd, _ = smooth_derivatives(t, y, cutoff_hz=SHAPE_CUTOFF_HZ)
    assert abs(v[mid].max() - VEL_AMP) < 0.003 * VEL_AMP
    assert abs(v[mid].max() - VEL_AMP) < abs(v_cd[mid].max() - VEL_AMP)
    assert np.max(np.abs(a[mid] - a_true[mid])) < 0.02 * ACC_AMP


# --- ground reaction force --------------------------------------------------------------------


def test_grf_before_liftoff_is_the_body_alone_and_after_it_adds_the_bar():
    """A still lifter (80 kg) over a resting bar (100 kg): the floor holds the bar, not the
    feet, so the force under the feet is body weight until the bar is off the floor."""
    from shared.analysis.kinematics import ground_reaction_force

    n = 10
    com_acc = np.zeros(n)
    bar_force = np.full(n, 100 * G_MPS2)  # m (a + g) of a bar at rest, or held still
    off = np.arange(n) >= 6
    grf = ground_reaction_force(com_acc, bar_force, 80.0, off)
    assert grf[:6] == pytest.approx(80 * G_MPS2)
    assert grf[6:] == pytest.approx(180 * G_MPS2)


def test_grf_adds_the_bodys_own_acceleration():
    from shared.analysis.kinematics import ground_reaction_force

    grf = ground_reaction_force(np.array([2.0, -1.0]), np.array([0.0, 0.0]), 70.0, np.array([False, False]))
    assert grf == pytest.approx([70 * (2.0 + G_MPS2), 70 * (G_MPS2 - 1.0)])


def test_a_glitch_next_to_the_fast_part_costs_one_frame_not_its_neighbours():
    """A still bar gives residuals near zero, so the limit is the floor; a glitch pulls its
    neighbours' local fits past it too, but only the glitch itself goes."""
    t = np.arange(0, 2, 1 / 30)
    u = np.clip((t - 0.5) / 0.8, 0, 1)
    y = 0.225 + 1.1 * (10 * u**3 - 15 * u**4 + 6 * u**5)
    y[30] += 0.05
    kept = reject_spikes(t, y, floor=0.004)
    assert np.flatnonzero(~np.isfinite(kept)).tolist() == [30]
