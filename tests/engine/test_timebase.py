"""The time base on bar tracks with known clocks: the generator's exact bar path, sampled as
a slow-motion, lost-picture or normal clip would show it, with a little tracking noise."""

from __future__ import annotations

import numpy as np
import pytest

from shared.analysis import timebase
from shared.analysis.errors import SlowMotion
from tests.synth.lifts import make_lift
from tests.synth.render import LiftSet

PX_PER_M = 300.0
RADIUS_PX = 0.225 * PX_PER_M


def _track(world_t: np.ndarray, noise_px: float = 0.3, seed: int = 0, dropped: bool = True) -> tuple:
    """The bar's pixels (y down) at world times `world_t`: a snatch after 0.5 s at rest, then
    dropped (or, `dropped=False`, the clip ending with the bar overhead), and the plate's radius."""
    lift = make_lift("snatch")
    bar = LiftSet(lift, 1, rest_s=2.0, lead_s=0.5).at(world_t)["bar"] if dropped else lift.at(world_t)["bar"]
    px = np.stack([bar[:, 0], -bar[:, 1]], axis=1) * PX_PER_M
    px += np.random.default_rng(seed).normal(0, noise_px, px.shape)
    return px, np.full(len(world_t), RADIUS_PX)


def test_a_clip_on_its_own_clock_is_left_alone():
    t = np.arange(0, 4.0, 1 / 30)
    px, r = _track(t)
    fixed, base = timebase.correct(t, px, r, None, 30.0)
    np.testing.assert_array_equal(fixed, t)
    assert (base.slow_motion, base.lost_pictures, base.warnings()) == (1.0, 0, [])
    assert base.checked_steps > 20  # the pull and the fall were looked at


def test_every_sixth_picture_lost_in_a_25fps_stream_is_put_back():
    world = np.flatnonzero(np.arange(240) % 6 != 5)[:200] / 30.0  # 30 fps footage, every 6th lost
    file_t = np.arange(200) / 25.0  # stamped at 25 fps: wall time kept
    px, r = _track(world)
    lost, checked = timebase.missing_steps(file_t, px)
    truly = np.diff(np.round(world * 30)) - 1
    assert (lost[checked] == truly[checked]).all() and lost.sum() >= 4
    fixed, base = timebase.correct(file_t, px, r, None, 25.0)
    assert base.lost_cadence == 5
    # the stream keeps wall time to within a picture over the clip
    assert np.abs((fixed - fixed[0]) - (world - world[0])).max() < 1 / 30
    assert np.abs(np.diff(fixed) - np.diff(world)).max() < 0.002  # and each step is its own again
    assert [w["code"] for w in base.warnings()] == ["lost_frames"]


def test_pictures_lost_at_random_add_their_time_back():
    rng = np.random.default_rng(4)
    steps = 1 + (rng.random(130) < 0.1)
    world = np.concatenate([[0.0], np.cumsum(steps[1:])]) / 30.0
    file_t = np.arange(len(world)) / 30.0  # stamped as if none were lost: the file runs short
    px, r = _track(world, seed=1)
    fixed, base = timebase.correct(file_t, px, r, None, 30.0)
    assert base.lost_cadence is None and base.lost_pictures >= 2
    # the lift's stretch is back on its own clock; a picture lost where nothing moves stays lost
    lift = (world > 0.5) & (world < 2.2)
    err = (fixed - fixed[lift][0]) - (world - world[lift][0])
    assert np.abs(err[lift]).max() < 1.5 / 30


@pytest.mark.parametrize("factor", [4.0, 8.0])
def test_slow_motion_is_timed_by_the_dropped_bar(factor):
    world = np.arange(0, 4.2, 1 / (30 * factor))
    file_t = world * factor
    px, r = _track(world)
    fall = timebase.free_fall_mps2(file_t, -px[:, 1] / PX_PER_M)
    assert fall == pytest.approx(timebase.G_MPS2 / factor**2, rel=0.05)
    fixed, base = timebase.correct(file_t, px, r, None, 30.0)
    assert base.slow_motion == pytest.approx(factor, rel=0.03) and base.slow_motion_source == "free_fall"
    assert np.abs(fixed - world).max() < 0.03 * world.max()
    assert [w["code"] for w in base.warnings()] == ["slow_motion"]


def test_a_drop_whose_blurred_track_jitters_and_then_lies_still_is_timed_at_g():
    """Filmed 4x slower (a step every 1/120 s of the lift), a falling plate's track jitters
    by a centimetre a step as it blurs, its fastest single step coming early; then it lies on
    the floor, each step a hair lower (sub-millimetre tracking noise)."""
    t = np.arange(0, 0.55, 1 / 120)
    h = 1.5 - 0.5 * 9.81 * t**2
    h[1:-1] += 0.01 * np.where(np.arange(1, len(t) - 1) % 2, 1.0, -1.0) * (t[1:-1] > 0.2)
    h[len(t) // 2] -= 0.06  # one step of 7 cm where the fall is at half speed
    rest = h[-1] - 0.0001 * np.abs(np.random.default_rng(3).normal(size=20)).cumsum()
    slow_t = np.r_[t, t[-1] + np.arange(1, 21) / 120] * 4
    fall = timebase.free_fall_mps2(slow_t, np.r_[h, rest])
    assert fall == pytest.approx(timebase.G_MPS2 / 16, rel=0.05)


def test_slow_motion_is_read_from_the_capture_rate_first():
    world = np.arange(0, 2.5, 1 / 240)
    px, r = _track(world, dropped=False)
    fixed, base = timebase.correct(world * 8, px, r, 240.0, 30.0)
    assert (base.slow_motion, base.slow_motion_source) == (8.0, "capture_rate")
    np.testing.assert_allclose(fixed, world, atol=1e-9)


def test_slow_motion_with_nothing_to_time_it_by_is_refused():
    world = np.arange(0, 2.5, 1 / 240)
    px, r = _track(world, dropped=False)  # no capture rate, the bar never dropped
    with pytest.raises(SlowMotion) as refused:
        timebase.correct(world * 8, px, r, None, 30.0)
    assert refused.value.code == "slow_motion" and "normal speed" in refused.value.message


def test_a_bar_lowered_by_hand_is_no_free_fall():
    # lowered 1.2 m over 2 s, slowing to the floor: a cosine profile, fastest in the middle
    t = np.arange(0, 2.0, 1 / 30)
    h = 1.4 - 1.2 * (1 - np.cos(np.pi * t / 2.0)) / 2
    assert timebase.free_fall_mps2(t, h) is None
    # dropped from the same height, it is one, at g
    t = np.arange(0, 0.49, 1 / 60)
    assert timebase.free_fall_mps2(t, 1.4 - 0.5 * 9.81 * t**2) == pytest.approx(9.81, rel=1e-6)


def test_a_normal_clip_with_a_capture_rate_tag_at_its_own_rate_is_not_slow_motion():
    t = np.arange(0, 4.0, 1 / 30)
    px, r = _track(t)
    fixed, base = timebase.correct(t, px, r, 30.0, 30.0)
    np.testing.assert_array_equal(fixed, t)
    assert base.slow_motion_source is None
