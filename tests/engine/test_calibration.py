"""Calibration on arrays with known answers: the plate's size where it stood still, the
floor, and the lifter's height seen against the plate."""

from __future__ import annotations

import numpy as np
import pytest

from shared.analysis.calibration import (
    FOCAL_PER_LONG_SIDE,
    HUMAN_HEIGHT_M,
    MIN_PLATE_FRAMES,
    PLATE_TO_LIFTER_M,
    RING_INSIDE_RIM_PCT,
    STATURE_PER_LEG_AND_TRUNK,
    calibrate,
    clear_outlines,
    estimated_height_m,
    heights_seen_m,
    lifter_plane_factor,
    plate_calibration,
)
from shared.analysis.errors import AnalysisError
from shared.analysis.pose import LANDMARKS

RADIUS = 50.0  # plate radius in px: 0.225 m, so 222 px a metre
FLOOR = 600.0


def test_plate_calibration_reads_the_radius_where_the_plate_stood_still():
    """A plate still for 20 frames (radius 60 px, fits scattered 0.3 px), then moving fast with
    blurred, wider fits: only the still frames count."""
    rng = np.random.default_rng(1)
    still = np.column_stack([np.full(20, 300.0), np.full(20, 500.0)])
    moving = np.column_stack([np.full(10, 300.0), 500 - 15.0 * np.arange(1, 11)])
    bar_px = np.vstack([still, moving])
    radius = np.concatenate([60 + rng.normal(0, 0.3, 20), np.full(10, 64.0)])
    aspect = np.concatenate([np.full(20, np.cos(np.radians(20))), np.full(10, 0.9)])
    cal = plate_calibration(bar_px, radius, aspect)
    assert cal["radius_px"] == pytest.approx(60.0, abs=0.2)
    assert cal["frames"] == 20
    assert cal["camera_yaw_deg"] == pytest.approx(20.0, abs=0.1)
    # half a pixel of edge placement on 60 px, and a little scatter: about 0.8 %
    assert 0.8 <= cal["uncertainty_pct"] <= 1.0


def test_plate_calibration_is_less_certain_when_the_fits_scatter():
    rng = np.random.default_rng(2)
    bar_px = np.tile([300.0, 500.0], (9, 1))
    tight = plate_calibration(bar_px, 60 + rng.normal(0, 0.2, 9), None)
    loose = plate_calibration(bar_px, 60 + rng.normal(0, 6.0, 9), None)
    assert loose["uncertainty_pct"] > 1.5 * tight["uncertainty_pct"]
    assert tight["camera_yaw_deg"] is None  # no outline aspect, no turn reported


@pytest.mark.parametrize("radius, unresolved", [(27.0, True), (57.0, False)])
def test_a_plate_too_small_to_show_a_ring_apart_from_its_rim_is_uncertain_by_half_its_depth(radius, unresolved):
    """At 360p a plate is 27 px across its radius and a bevel ring 8 % inside its rim lies 2 px
    in, merged with it: the outline found may be the ring's, so the scale is uncertain by half
    that depth however tightly the fits agree. At 1080p (57 px) the two show apart."""
    bar_px = np.tile([300.0, 500.0], (20, 1))
    cal = plate_calibration(bar_px, np.full(20, radius), None)
    assert (cal["uncertainty_pct"] == RING_INSIDE_RIM_PCT / 2) == unresolved
    assert cal["uncertainty_pct"] < 1.0 or unresolved


def test_the_lifter_behind_the_plate_looks_smaller_by_the_camera_distance():
    """A phone 3 m from a plate 120 px across on a 1280 px frame: the focal length is about
    922 px, so the lifter, 0.75 m further, looks 3 / 3.75 = 0.8 of the plate's scale."""
    focal = FOCAL_PER_LONG_SIDE * 1280
    radius = focal * 0.225 / 3.0
    factor = lifter_plane_factor(radius, 1280)
    assert factor == pytest.approx(3.0 / (3.0 + PLATE_TO_LIFTER_M))
    assert lifter_plane_factor(radius, None) == 1.0
    # 1.75 m tall: shank + thigh + trunk = 0.779 of it, seen at the lifter's own scale
    px_per_m = radius / 0.225
    leg_trunk_px = 0.779 * 1.75 * px_per_m * factor
    assert estimated_height_m(leg_trunk_px, px_per_m, factor) == pytest.approx(1.75)


@pytest.mark.parametrize("inner_share", [0.0, 0.4, 0.7])
def test_plate_calibration_takes_the_outermost_ring_the_fits_found(inner_share):
    """Some frames' outlines settled on a bevel ring 7 % inside the rim (57.5 against 53.5
    px): the rim is the outer ring, however many frames found the inner one, as long as a
    quarter found the rim."""
    rng = np.random.default_rng(3)
    n, inner = 40, int(round(inner_share * 40))
    radius = np.concatenate([53.5 + rng.normal(0, 0.2, inner), 57.5 + rng.normal(0, 0.2, n - inner)])
    cal = plate_calibration(np.tile([300.0, 500.0], (n, 1)), rng.permutation(radius), None)
    assert cal["radius_px"] == pytest.approx(57.5, abs=0.2)
    assert cal["frames"] == n - inner


def test_outlines_seen_on_few_rays_give_way_to_clear_ones():
    """A set-up whose outlines are seen on 39 % of the rays (a plate between shins and shoes and
    the floor line) and read 5.7 % small, then an overhead stretch seen on 60-75 %: the scale is
    the clear outlines' and the turn their aspect's, not the mixture's."""
    rng = np.random.default_rng(3)
    overhead = rng.permutation(np.linspace(55.2, 58.6, 15))  # scattered: no gap from the set-up's
    radius = np.concatenate([53.4 + rng.uniform(0, 1.0, 30), overhead])
    score = np.concatenate([np.full(30, 0.39), rng.uniform(0.6, 0.75, 15)])
    aspect = np.concatenate([np.full(30, 0.95), np.full(15, np.cos(np.radians(25)))])
    bar_px = np.column_stack([np.full(45, 300.0), np.r_[np.full(30, 600.0), np.full(15, 240.0)]])
    mixed = plate_calibration(bar_px, radius, aspect)
    assert mixed["radius_px"] < 55.0  # one ring of sizes: the median falls among the unclear fits
    cal = plate_calibration(bar_px, clear_outlines(radius, score), aspect)
    assert cal["radius_px"] == pytest.approx(np.median(overhead[1:]), abs=0.01)  # its first frame moved
    assert cal["camera_yaw_deg"] == pytest.approx(25.0, abs=0.5)
    scale = calibrate(_standing_on(FLOOR, 45), bar_px, radius, aspect, score)[0]
    assert scale["px_per_m"] == pytest.approx(2 * cal["radius_px"] / 0.45)


def test_outlines_are_all_kept_where_they_are_seen_alike_or_too_few_are_clear():
    radius = np.array([50.0, 51, 52, 53, 54, np.nan])
    assert np.array_equal(clear_outlines(radius, np.array([0.4, 0.42, 0.38, 0.41, 0.4, np.nan])), radius, True)
    few = np.array([0.2, 0.2, 0.2, 0.9, 0.9, np.nan])  # only two clear: fewer than a ring needs
    assert np.array_equal(clear_outlines(radius, few), radius, equal_nan=True)
    no_scores = np.full(6, np.nan)  # the scale fell back on the strongest edge: no outlines
    assert np.array_equal(clear_outlines(radius, no_scores), radius, equal_nan=True)


def test_a_few_outsized_fits_do_not_make_the_plate_bigger():
    """Three frames in forty whose outline took in a limb beside the plate: too few to be the rim."""
    rng = np.random.default_rng(4)
    radius = np.concatenate([57.5 + rng.normal(0, 0.2, 37), [63.0, 63.4, 62.8]])
    cal = plate_calibration(np.tile([300.0, 500.0], (40, 1)), radius, None)
    assert cal["radius_px"] == pytest.approx(57.5, abs=0.2)


def test_a_plate_measured_on_fewer_than_three_frames_is_no_plate_to_scale_by():
    """A circle of clutter near the hands can pass for a plate on a frame or two; a real plate
    stands still in the set-up or the catch for many, so fewer are refused, not scaled from."""
    n = 40
    lifter = np.full((n, 33, 3), np.nan)
    bar = np.tile([320.0, 400.0], (n, 1))
    for seen in (MIN_PLATE_FRAMES - 1, MIN_PLATE_FRAMES):
        radius = np.full(n, np.nan)
        radius[:seen] = 50.0
        if seen < MIN_PLATE_FRAMES:
            with pytest.raises(AnalysisError):
                calibrate(lifter, bar, radius, None)
        else:
            assert calibrate(lifter, bar, radius, None)[0]["px_per_m"] == pytest.approx(100 / 0.45)


def _standing_on(feet_y: float, n: int = 40) -> np.ndarray:
    """A pose with only its heels and toes, all at image row `feet_y`."""
    lifter = np.full((n, 33, 3), np.nan)
    for name in ("lhee", "rhee", "ltoe", "rtoe"):
        lifter[:, LANDMARKS[name]] = [300.0, feet_y, 0.9]
    return lifter


@pytest.mark.parametrize(
    "feet_above_px, floor_from",
    [(0.0, "plate"), (0.7 * RADIUS, "plate"), (-0.7 * RADIUS, "feet")],
    ids=["level", "feet_placed_high", "plate_never_down"],
)
def test_the_floor_is_the_resting_plates_bottom_unless_the_feet_stand_below_it(feet_above_px, floor_from):
    """The plate's lowest bottom edge is the floor. Feet seen above it (MediaPipe placing feet
    the frame cuts off, or a camera up high seeing the farther feet higher) do not move it:
    a plate cannot sink into the floor. Feet below it say the plate never came down (a clip
    from the hang): heights are then measured from the feet, with a warning."""
    n = 40
    bar = np.tile([320.0, FLOOR - RADIUS], (n, 1))
    radius = np.full(n, RADIUS)
    _, floor_px, source, _, warnings = calibrate(_standing_on(FLOOR - feet_above_px, n), bar, radius, None)
    assert floor_px == pytest.approx(FLOOR if floor_from == "plate" else FLOOR - feet_above_px)
    assert source == floor_from
    assert bool(warnings) == (floor_from == "feet")


@pytest.mark.parametrize("stature_m, seen", [(1.75, True), (2.36, False), (0.9, False)])
def test_a_height_no_lifter_has_is_not_taken_as_seen(stature_m, seen):
    """Legs the frame cuts off, or a crossed skeleton, read a lifter of 2.36 m on a real clip:
    a pose gone wrong, not a measurement. It is left out (NaN), and with it the heights given
    as a share of the lifter's."""
    px_per_m, plane = 200.0, 0.8
    height, least = heights_seen_m(STATURE_PER_LEG_AND_TRUNK * stature_m * px_per_m * plane, px_per_m, plane)
    assert np.isfinite([height, least]).all() == seen
    if seen:
        assert height == pytest.approx(stature_m) and least == pytest.approx(stature_m * plane)
        assert HUMAN_HEIGHT_M[0] <= height <= HUMAN_HEIGHT_M[1]
