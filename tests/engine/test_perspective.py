"""Perspective on plate radii with known answers: a scale that falls linearly with height."""

from __future__ import annotations

import numpy as np
import pytest

from shared.analysis import perspective
from shared.analysis.calibration import outer_ring

PPM = 200.0  # px a metre at the floor
K = 0.05  # the scale falls 5 % a metre: 10 % smaller 2 m up


def _plate(heights_m: np.ndarray, seed: int = 0) -> tuple:
    """Heights above the floor (px) and radii (px, with 0.3 px of fit noise) of a plate seen
    at `heights_m`, through a camera whose scale is PPM * (1 - K * height)."""
    y = np.asarray(heights_m, float)
    u = PPM * (y - K * y * y / 2)
    r = 0.225 * PPM * (1 - K * y) + np.random.default_rng(seed).normal(0, 0.3, len(y))
    return u, r


def test_a_plate_smaller_overhead_gives_the_scale_at_every_height():
    u, r = _plate(np.r_[np.full(20, 0.225), np.full(15, 1.95)])  # set-up, and the bar held overhead
    r0, slope = perspective.gradient(u, r)
    rel = slope / r0
    assert r0 == pytest.approx(0.225 * PPM, rel=0.01)
    # 10 % smaller 2 m up: the change over the path is found within a tenth of itself
    assert rel * PPM == pytest.approx(-K, rel=0.1)
    truth = np.linspace(0, 2.0, 9)
    heights = perspective.heights_m(PPM * (truth - K * truth**2 / 2), 2 * r0 / 0.45, rel)
    np.testing.assert_allclose(heights, truth, atol=0.01)
    # one scale from the median radius reads the top 5 % short
    assert (PPM * (2.0 - K * 2.0) / (2 * np.median(r) / 0.45)) < 2.0 * 0.97


def test_a_level_camera_keeps_one_scale():
    y = np.r_[np.full(20, 0.225), np.full(15, 1.95)]
    u = PPM * y
    r = 0.225 * PPM + np.random.default_rng(1).normal(0, 0.3, len(y))
    r0, slope = perspective.gradient(u, r)
    assert slope == 0.0 and r0 == pytest.approx(np.median(r))
    np.testing.assert_array_equal(perspective.heights_m(u, 200.0, 0.0), u / 200.0)


def test_a_plate_seen_still_only_on_the_floor_says_nothing_about_the_top():
    u, r = _plate(np.full(30, 0.225))
    assert perspective.gradient(u, r)[1] == 0.0
    u, r = _plate(np.r_[np.full(30, 0.225), np.full(2, 1.95)])  # two sharp frames overhead: too few
    assert perspective.gradient(u, r)[1] == 0.0


def test_heights_invert_the_local_scale():
    u = np.linspace(0, 400, 401)
    h = perspective.heights_m(u, 200.0, -2.5e-4)
    # d(height)/du is 1 / local scale
    slope = np.gradient(h, u)[1:-1]
    np.testing.assert_allclose(slope, 1 / perspective.local_px_per_m(u, 200.0, -2.5e-4)[1:-1], rtol=1e-5)


def test_a_fit_on_a_ring_inside_the_rim_at_one_end_is_no_perspective():
    """At the floor most fits settled on the ring 10 % inside the rim (a dark rim band round a
    coloured face), overhead all found the rim: the rim's own size is the same at both."""
    rng = np.random.default_rng(2)
    u = np.r_[np.full(30, 57.0), np.full(20, 488.0)]
    r = np.r_[np.where(np.arange(30) % 4, 51.3, 57.1), np.full(20, 57.0)] + rng.normal(0, 0.02, 50)
    assert perspective.gradient(u, r, outer_ring)[1] == 0.0


def test_one_rim_fit_at_the_small_end_as_big_as_the_other_says_it_was_a_ring():
    """At the floor 4 of 5 sharp fits found the bevel ring 7 % inside the rim, one found the
    rim: too few to group, but it shows the rim is as big there as overhead."""
    u = np.r_[np.full(5, 57.0), np.full(30, 480.0)]
    r = np.r_[53.0, 53.0, 53.0, 53.1, 57.6, np.full(30, 57.5)]
    assert perspective.gradient(u, r, outer_ring)[1] == 0.0


def test_fits_that_split_between_two_sizes_at_one_end_and_agree_with_the_other_are_no_perspective():
    """A red plate at 360p: its colour bleeds a pixel or two past the rim, and half the set-up
    frames read it 6 % big; overhead every fit found the rim. The big end's other half agrees
    with the top, so the size did not change with height."""
    rng = np.random.default_rng(3)
    u = np.r_[np.full(30, 28.0), np.full(20, 190.0)]
    r = np.r_[np.where(np.arange(30) % 2, 30.5, 28.8), np.full(20, 28.7)] + rng.normal(0, 0.05, 50)
    assert perspective.gradient(u, r, outer_ring)[1] == 0.0


def test_a_plate_held_at_several_heights_gives_one_line_through_them_all():
    """A snatch from a camera tilted 15 deg up: the plate stands still at the floor, at the
    knees, at the hip and overhead. Each height is its own size; taking the upper half's
    heights as one end, its rim as the larger size there (the hip's) and its height as the
    median of both, read the change a third short and 2 m up 4 cm low."""
    k = 0.075
    y = np.r_[np.full(20, 0.225), np.full(8, 0.72), np.full(10, 1.31), np.full(30, 1.9)]
    u = PPM * (y - k * y * y / 2)
    r = 0.225 * PPM * (1 - k * y) + np.random.default_rng(4).normal(0, 0.1, len(y))
    r0, slope = perspective.gradient(u, r, outer_ring)
    assert r0 == pytest.approx(0.225 * PPM, rel=0.01)
    truth = np.linspace(0, 2.0, 9)
    heights = perspective.heights_m(PPM * (truth - k * truth**2 / 2), 2 * r0 / 0.45, slope / r0)
    np.testing.assert_allclose(heights, truth, atol=0.01)


def test_a_floor_placed_by_the_median_radius_moves_to_the_resting_plates():
    """The floor line was put a median still radius (30 px, over every height) below the resting
    hub, but the plate at rest is 33 px: the floor moves 3 px down and the radius at the new
    floor line is the line's value there."""
    hub_y, median_r, r0, slope = 500.0, 30.0, 33.3, -0.01  # radius = r0 + slope * (floor - y)
    floor, r0_new = perspective.refloor(hub_y + median_r, median_r, r0, slope)
    rest = r0 + slope * median_r  # the plate's size at the resting hub
    assert floor == pytest.approx(hub_y + rest)
    assert r0_new + slope * (floor - hub_y) == pytest.approx(rest)


def test_the_sizes_are_read_on_the_clear_outlines_as_the_scale_is():
    """A camera tilted 5 deg down (the plate 5 % bigger 2 m up), filmed at 4K: in the set-up
    a third of the outlines found the rim (seen on 78 % of the rays), the bevel ring 7 %
    inside it was seen all round, and the rest ran round a shin just outside the rim (69 %,
    2 % big). The outermost group read the change as under MIN_CHANGE; on the clear outlines
    the rim is found, and with it the change."""
    k = -0.025
    y = np.r_[np.full(21, 0.225), np.full(20, 1.9)]
    u = PPM * (y - k * y * y / 2)
    size = 0.225 * PPM * (1 - k * y)
    rest = size[0] * np.r_[np.ones(6), np.full(8, 0.93), np.full(7, 1.02)]
    r = np.r_[rest, size[21:]] + np.random.default_rng(5).normal(0, 0.05, len(y))
    clear = np.r_[np.ones(14, bool), np.zeros(7, bool), np.ones(20, bool)]
    assert perspective.gradient(u, r, outer_ring)[1] == 0.0
    r0, slope = perspective.gradient(u, r, outer_ring, clear)
    assert r0 == pytest.approx(0.225 * PPM, rel=0.01)
    assert slope / r0 * PPM == pytest.approx(-k, rel=0.1)
