"""Phases on exact bar height, bar vertical speed and knee angle from the keyframed lifts."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from shared.analysis.kinematics import smooth_derivatives
from shared.analysis.measure import KEYPOINT_CUTOFF_HZ
from shared.analysis.phases import Phase, PhaseResult, find_lift_phases, find_phases, primary_lift, split_lifts
from tests.synth.lifts import make_lift, true_angles

CLEAN_PHASES = ["setup", "first_pull", "transition", "second_pull", "turnover", "catch", "recovery"]
JERK_PHASES = ["jerk_dip", "jerk_drive", "jerk_catch", "jerk_recovery"]
LIFTOFF_KEYFRAME_S = 0.60  # the generator's last "setup" row: the bar leaves the floor after it
KNEE_PEAK_KEYFRAME_S = 1.05
REBEND_KEYFRAME_S = 1.22
JERK_DIP_KEYFRAME_S = 3.55
JERK_BOTTOM_KEYFRAME_S = 4.24

SAMPLINGS = [pytest.param(1000, id="1ms"), pytest.param(60, id="60fps")]
SINGLE_LIFTS = ["snatch", "clean"]


def _sample(lift, t_clip, t_lift):
    joints = lift.at(t_lift)
    h = joints["bar"][:, 1]
    return t_clip, h, np.gradient(h, t_clip), true_angles(joints)["knee"]


@cache
def lift_arrays(exercise: str, fps: int = 1000, time_scale: float = 1.0):
    """(t, h, vy, knee) sampled from the generator; vy is the numerical derivative of h."""
    lift = make_lift(exercise, time_scale=time_scale)
    t = np.arange(0, lift.duration_s + 0.5 / fps, 1 / fps)
    return _sample(lift, t, t)


def phases_of(exercise, fps=1000, time_scale=1.0) -> PhaseResult:
    t, h, vy, knee = lift_arrays(exercise, fps, time_scale)
    return find_phases(t, h, vy, knee, exercise)


# --- complete lifts ---------------------------------------------------------------------------


@pytest.mark.parametrize("fps", SAMPLINGS)
@pytest.mark.parametrize("exercise", SINGLE_LIFTS + ["clean_and_jerk"])
def test_generated_lift_is_complete(exercise, fps):
    assert phases_of(exercise, fps).outcome == "complete"


@pytest.mark.parametrize("fps", SAMPLINGS)
@pytest.mark.parametrize("exercise", SINGLE_LIFTS)
def test_snatch_and_clean_phases_come_in_documented_order(exercise, fps):
    assert [p.name for p in phases_of(exercise, fps).phases] == CLEAN_PHASES


@pytest.mark.parametrize("fps", SAMPLINGS)
def test_generated_clean_and_jerk_has_jerk_phases(fps):
    assert [p.name for p in phases_of("clean_and_jerk", fps).phases] == CLEAN_PHASES + JERK_PHASES


@pytest.mark.parametrize("fps", SAMPLINGS)
def test_clean_and_jerk_with_slower_drive_has_jerk_phases_in_order(fps):
    result = phases_of("clean_and_jerk", fps)
    assert result.outcome == "complete"
    assert [p.name for p in result.phases] == CLEAN_PHASES + JERK_PHASES


@pytest.mark.parametrize("fps", SAMPLINGS)
@pytest.mark.parametrize("exercise", SINGLE_LIFTS + ["clean_and_jerk"])
def test_phases_are_contiguous_and_non_decreasing(exercise, fps):
    phases = phases_of(exercise, fps).phases
    assert phases[0].start_frame == 0
    for p in phases:
        assert p.start_frame <= p.end_frame, p
    for a, b in zip(phases, phases[1:]):
        if b.name == "jerk_dip":  # the lifter stands between the clean and the jerk: no phase there
            assert b.start_frame >= a.end_frame, (a, b)
        else:
            assert b.start_frame == a.end_frame, (a, b)


@pytest.mark.parametrize("fps", SAMPLINGS)
def test_clean_and_jerk_phases_are_contiguous_within_clean_and_within_jerk(fps):
    phases = phases_of("clean_and_jerk", fps).phases
    for p in phases:
        assert p.start_frame <= p.end_frame, p
    for a, b in zip(phases, phases[1:]):
        if b.name == "jerk_dip":  # the lifter stands with the bar in the rack before the dip
            assert b.start_frame >= a.end_frame, (a, b)
        else:
            assert b.start_frame == a.end_frame, (a, b)


@pytest.mark.parametrize("exercise", SINGLE_LIFTS)
def test_phase_times_are_the_times_of_their_frames(exercise):
    t = lift_arrays(exercise, 60)[0]
    for p in phases_of(exercise, 60).phases:
        assert (p.start_s, p.end_s) == (t[p.start_frame], t[p.end_frame])


@pytest.mark.parametrize("time_scale", [1.0, 1.3])
@pytest.mark.parametrize("fps", SAMPLINGS)
@pytest.mark.parametrize("exercise", SINGLE_LIFTS + ["clean_and_jerk"])
def test_liftoff_is_at_the_generator_liftoff_keyframe(exercise, fps, time_scale):
    t = lift_arrays(exercise, fps, time_scale)[0]
    liftoff = phases_of(exercise, fps, time_scale).landmarks["liftoff"]
    assert t[liftoff] == pytest.approx(LIFTOFF_KEYFRAME_S * time_scale, abs=0.1)
    assert t[liftoff] >= LIFTOFF_KEYFRAME_S * time_scale  # the bar cannot leave before the keyframe


@pytest.mark.parametrize("fps", SAMPLINGS)
@pytest.mark.parametrize("exercise", SINGLE_LIFTS)
def test_peak_bar_speed_is_the_argmax_of_vertical_speed(exercise, fps):
    vy = lift_arrays(exercise, fps)[2]
    assert phases_of(exercise, fps).landmarks["peak_bar_speed"] == int(np.argmax(vy))


@pytest.mark.parametrize("first_over_second", [0.9, 1.05, 1.2])
def test_peak_bar_speed_is_the_second_pulls_even_when_the_first_pull_reads_faster(first_over_second):
    """The generated snatch with its first pull's speed scaled up to 0.9, 1.05 and 1.2 of the
    second pull's peak (noise on a blurred plate read it 14 % fast on a rendered clip): the
    second pull still ends at its own peak, the last before the bar tops out, and the
    transition stays where it was."""
    t, h, vy, knee = lift_arrays("snatch", 60)
    true = phases_of("snatch", 60).landmarks
    first = (t >= t[true["liftoff"]]) & (t < t[true["first_knee_extension"]])
    gain = np.ones_like(vy)
    gain[first] = first_over_second * vy.max() / vy[first].max()
    got = find_phases(t, h, vy * gain, knee, "snatch").landmarks
    assert got["peak_bar_speed"] == true["peak_bar_speed"]
    assert got["first_knee_extension"] == true["first_knee_extension"] and got["knee_rebend"] == true["knee_rebend"]


@pytest.mark.parametrize("fps", SAMPLINGS)
def test_clean_and_jerk_peak_bar_speed_is_the_argmax_of_the_clean_pull(fps):
    t, _, vy, _ = lift_arrays("clean_and_jerk", fps)
    pull = t < 2.0  # the clean is caught by 1.88 s; the jerk drive is faster and comes later
    assert phases_of("clean_and_jerk", fps).landmarks["peak_bar_speed"] == int(np.argmax(np.where(pull, vy, -np.inf)))


@pytest.mark.parametrize("exercise", SINGLE_LIFTS + ["clean_and_jerk"])
def test_knee_landmarks_sit_at_the_knee_keyframes(exercise):
    t = lift_arrays(exercise)[0]
    marks = phases_of(exercise).landmarks
    assert t[marks["first_knee_extension"]] == pytest.approx(KNEE_PEAK_KEYFRAME_S, abs=0.03)
    assert t[marks["knee_rebend"]] == pytest.approx(REBEND_KEYFRAME_S, abs=0.03)


@pytest.mark.parametrize("exercise", SINGLE_LIFTS)
def test_landmarks_are_in_lift_order(exercise):
    m = phases_of(exercise).landmarks
    order = [
        "liftoff",
        "first_knee_extension",
        "knee_rebend",
        "peak_bar_speed",
        "peak_bar_height",
        "lowest_catch",
        "standing",
    ]
    frames = [m[k] for k in order]
    assert frames == sorted(frames) and len(set(frames)) == len(frames)


@pytest.mark.parametrize("exercise", SINGLE_LIFTS)
def test_peak_bar_height_is_a_local_maximum_of_bar_height(exercise):
    h = lift_arrays(exercise)[1]
    apex = phases_of(exercise).landmarks["peak_bar_height"]
    window = h[apex - 20 : apex + 21]
    assert h[apex] == pytest.approx(window.max(), abs=1e-4)


@pytest.mark.parametrize("exercise", SINGLE_LIFTS)
def test_lowest_catch_is_a_local_minimum_of_bar_height(exercise):
    h = lift_arrays(exercise)[1]
    low = phases_of(exercise).landmarks["lowest_catch"]
    window = h[low - 20 : low + 21]
    assert h[low] == pytest.approx(window.min(), abs=1e-4)


def test_jerk_landmarks_sit_at_the_jerk_keyframes():
    t, *_ = lift_arrays("clean_and_jerk")
    m = phases_of("clean_and_jerk").landmarks
    assert t[m["jerk_dip_bottom"]] == pytest.approx(JERK_DIP_KEYFRAME_S, abs=0.03)
    assert t[m["jerk_lowest_catch"]] == pytest.approx(JERK_BOTTOM_KEYFRAME_S, abs=0.03)


def test_jerk_drive_peak_is_the_argmax_of_speed_in_the_drive():
    t, _, vy, _ = lift_arrays("clean_and_jerk")
    m = phases_of("clean_and_jerk").landmarks
    drive = slice(m["jerk_dip_bottom"], m["jerk_lowest_catch"] + 1)
    assert m["jerk_peak_bar_speed"] == m["jerk_dip_bottom"] + int(np.argmax(vy[drive]))


def _knee_with_rebend(t, depth_deg, wobble_deg=0.0):
    """The generator's snatch with its knee re-bend made `depth_deg` deep, and a dip of
    `wobble_deg` 0.1 s into the first pull, as a pose model's knee can read them."""
    lift_t, h, vy, knee = lift_arrays("snatch")
    knee = np.interp(t, lift_t, knee)
    peak, rebend = KNEE_PEAK_KEYFRAME_S, REBEND_KEYFRAME_S
    true_depth = np.interp(peak, t, knee) - np.interp(rebend, t, knee)
    in_bend = (t > peak) & (t < rebend + (rebend - peak))
    knee = knee + np.where(in_bend, (true_depth - depth_deg) * np.sin(np.pi * (t - peak) / (2 * (rebend - peak))), 0)
    dip = LIFTOFF_KEYFRAME_S + 0.1
    knee = knee - wobble_deg * np.exp(-(((t - dip) / 0.03) ** 2))
    return np.interp(t, lift_t, h), np.interp(t, lift_t, vy), knee


@pytest.mark.parametrize("depth_deg", [4.0, 15.0])
def test_transition_ends_at_the_deepest_re_bend_however_deep_the_model_reads_it(depth_deg):
    """The heavy pose model reads a 15° re-bend as ~5°: the transition must not hinge on
    one fixed depth, nor take an earlier, shallower dip for it."""
    t = np.arange(0, 3.0, 1 / 60)
    h, vy, knee = _knee_with_rebend(t, depth_deg, wobble_deg=3.0)
    marks = find_phases(t, h, vy, knee, "snatch").landmarks
    assert t[marks["knee_rebend"]] == pytest.approx(REBEND_KEYFRAME_S, abs=0.04)
    assert t[marks["first_knee_extension"]] == pytest.approx(KNEE_PEAK_KEYFRAME_S, abs=0.04)


def test_a_pull_without_a_knee_re_bend_gets_an_empty_transition_at_mid_pull():
    t = np.arange(0, 3.0, 1 / 60)
    h, vy, _ = _knee_with_rebend(t, 15.0)
    knee = np.linspace(60, 175, len(t))  # extends steadily, never re-bends
    result = find_phases(t, h, vy, knee, "snatch")
    m = result.landmarks
    transition = next(p for p in result.phases if p.name == "transition")
    assert m["first_knee_extension"] == m["knee_rebend"] == m["liftoff"] + (m["peak_bar_speed"] - m["liftoff"]) // 2
    assert transition.start_frame == transition.end_frame == m["knee_rebend"]


def test_a_knee_still_re_bending_at_peak_bar_speed_ends_the_transition_there():
    t = np.arange(0, 3.0, 1 / 60)
    h, vy, _ = _knee_with_rebend(t, 15.0)
    vmax = find_phases(t, h, vy, np.full(len(t), 120.0), "snatch").landmarks["peak_bar_speed"]
    peak = vmax - 15
    knee = np.where(np.arange(len(t)) <= peak, 60 + np.arange(len(t)), 60 + peak - 0.8 * (np.arange(len(t)) - peak))
    m = find_phases(t, h, vy, knee, "snatch").landmarks
    assert (m["first_knee_extension"], m["knee_rebend"]) == (peak, vmax)


def _snatch_pull(fps):
    """The generator's snatch bar at `fps`: (t, h, vy, liftoff, peak bar speed frame)."""
    t = np.arange(0, 3.0, 1 / fps)
    h, vy, _ = _knee_with_rebend(t, 15.0)
    m = find_phases(t, h, vy, np.full(len(t), 120.0), "snatch").landmarks
    return t, h, vy, m["liftoff"], m["peak_bar_speed"]


def test_a_re_bend_read_as_two_near_equal_dips_ends_the_transition_at_the_later():
    """Pose noise can split the re-bend's trough in two; which is a fraction of a degree
    deeper must not move the transition (the earlier dip here is 0.5° deeper)."""
    t, h, vy, liftoff, vmax = _snatch_pull(30)
    peak = liftoff + 10
    knee = np.full(len(t), 60.0)
    knee[liftoff : peak + 1] = np.linspace(60, 135, peak + 1 - liftoff)
    knee[peak + 1 : peak + 7] = [128, 119.5, 123, 123, 120, 121]
    knee[peak + 7 :] = np.linspace(130, 178, len(t) - peak - 7)
    assert vmax > peak + 8
    m = find_phases(t, h, vy, knee, "snatch").landmarks
    assert (m["first_knee_extension"], m["knee_rebend"]) == (peak, peak + 5)


# --- no lift and missed lifts ----------------------------------------------------------------


def _clip(fps=60, duration_s=3.0):
    t = np.arange(0, duration_s, 1 / fps)
    return t, np.full_like(t, 120.0)


def test_flat_bar_is_no_lift():
    t, knee = _clip()
    h = np.full_like(t, 0.225)
    result = find_phases(t, h, np.gradient(h, t), knee, "snatch")
    assert result.outcome == "no_lift"
    assert [(p.name, p.start_frame, p.end_frame) for p in result.phases] == [("setup", 0, len(t) - 1)]
    assert result.landmarks == {}


def test_bar_rising_less_than_minimum_lift_is_no_lift():
    t, knee = _clip()
    s = np.clip((t - 0.5) / 1.5, 0, 1)
    h = 0.225 + 0.25 * np.sin(np.pi * s) ** 2  # a 25 cm deadlift-and-drop, below MIN_LIFT_M
    assert find_phases(t, h, np.gradient(h, t), knee, "snatch").outcome == "no_lift"


def test_no_lift_setup_phase_ends_at_the_last_time_stamp():
    t, knee = _clip()
    h = np.full_like(t, 0.225)
    result = find_phases(t, h, np.gradient(h, t), knee, "snatch")
    assert result.phases[0].end_s == pytest.approx(t[-1])


def _missed_arrays():
    t, knee = _clip()
    s = np.clip((t - 0.5) / 1.5, 0, 1)
    h = 0.225 + 0.8 * np.sin(np.pi * s) ** 2  # up 0.8 m at t = 1.25 s, back on the floor by 2 s
    return t, h, np.gradient(h, t), knee


def test_bar_that_rises_and_drops_to_the_floor_is_missed():
    t, h, vy, knee = _missed_arrays()
    assert find_phases(t, h, vy, knee, "snatch").outcome == "missed"


def test_missed_lift_stops_at_turnover_at_the_peak_height():
    t, h, vy, knee = _missed_arrays()
    result = find_phases(t, h, vy, knee, "snatch")
    assert [p.name for p in result.phases] == CLEAN_PHASES[:5]
    assert t[result.landmarks["peak_bar_height"]] == pytest.approx(1.25, abs=1 / 60)
    assert "lowest_catch" not in result.landmarks


def test_phase_result_at_frame_names_the_later_phase_on_a_shared_boundary():
    result = PhaseResult("complete", [Phase("setup", 0, 10), Phase("first_pull", 10, 20)], {})
    assert [result.at_frame(i) for i in (0, 9, 10, 20)] == ["setup", "setup", "first_pull", "first_pull"]


def test_phase_result_at_frame_is_none_after_the_last_phase():
    result = PhaseResult("complete", [Phase("setup", 0, 10), Phase("first_pull", 10, 20)], {})
    assert result.at_frame(25) is None


def test_a_good_lift_dropped_after_standing_is_complete_not_missed():
    t, h, vy, knee = lift_arrays("snatch", 60)
    after = np.arange(1, 73) / 60  # hold is over: the bar falls from overhead to the floor
    drop = np.maximum(0.225, h[-1] - 0.5 * 9.81 * after**2)
    t2, h2 = np.concatenate([t, t[-1] + after]), np.concatenate([h, drop])
    result = find_phases(t2, h2, np.gradient(h2, t2), np.concatenate([knee, np.full(len(after), 175.0)]), "snatch")
    assert result.outcome == "complete"
    assert result.phases[-1].name == "recovery"


# --- liftoff on a slow start ----------------------------------------------------------------


def _slow_pull(fps: float, t0: float, accel_mps2: float, noise_m: float, seed: int, cubic: float = 2.0):
    """A bar resting at 0.225 m that leaves the floor at t0 with a gentle, growing pull
    (height 0.225 + a/2 u^2 + cubic u^3, u = t - t0), tracked with `noise_m` of noise and smoothed
    as the engine smooths it; returns (t, smoothed h, vy, raw h, true first frame off)."""
    from shared.analysis.kinematics import smooth_derivatives
    from shared.analysis.measure import BAR_FILTER

    t = np.arange(0, 2.0, 1 / fps)
    u = np.clip(t - t0, 0, None)
    h = 0.225 + 0.5 * accel_mps2 * u**2 + cubic * u**3
    raw = h + np.random.default_rng(seed).normal(0, noise_m, len(t))
    smooth, vy, _ = smooth_derivatives(t, raw, **BAR_FILTER)
    return t, smooth, vy, raw, int(np.flatnonzero(h > 0.225 + 0.001)[0])


@pytest.mark.parametrize("fps", [30, 60])
@pytest.mark.parametrize("accel, cubic", [(0.5, 0.3), (1.0, 2.0), (3.0, 2.0), (8.0, 2.0)])
def test_liftoff_is_the_first_frame_the_bar_leaves_the_floor_on_a_slow_start(fps, accel, cubic):
    """A speed threshold (0.15 m/s) finds a slow start frames late; the fitted start does not."""
    errors = []
    for seed, t0 in enumerate(np.linspace(0.5, 0.6, 7)):
        t, h, vy, raw, truth = _slow_pull(fps, t0, accel, noise_m=0.001, seed=seed, cubic=cubic)
        found = find_phases(t, h, vy, np.full(len(t), 120.0), "snatch", h_raw=raw).landmarks["liftoff"]
        errors.append(found - truth)
    assert max(abs(e) for e in errors) <= 1, errors
    if accel >= 1.0:  # the first frame off rises past the track's noise: most are found exactly
        assert sum(e == 0 for e in errors) >= 5, errors


def test_liftoff_does_not_wait_for_the_bar_to_reach_a_speed_threshold():
    t, h, vy, raw, truth = _slow_pull(30, 0.5, 0.5, noise_m=0.0005, seed=3, cubic=0.3)
    by_speed = int(np.flatnonzero(vy < 0.15)[np.flatnonzero(vy < 0.15) < 40][-1]) + 1
    assert by_speed - truth >= 3  # the threshold's lateness on this start
    assert abs(find_phases(t, h, vy, np.full(len(t), 120.0), "snatch", h_raw=raw).landmarks["liftoff"] - truth) <= 1


def test_the_bar_is_off_the_floor_from_liftoff_until_it_is_put_back_down():
    from shared.analysis.phases import bar_off_floor

    t, h, vy, knee = lift_arrays("missed_snatch", 60)
    result = find_phases(t, h, vy, knee, "snatch")
    off = bar_off_floor(h, result)
    liftoff = result.landmarks["liftoff"]
    assert not off[:liftoff].any() and off[liftoff]
    down = int(np.flatnonzero(off)[-1]) + 1  # the first frame back on the floor
    assert h[down] <= h[0] + 0.03 < h[down - 1]
    assert not off[down:].any()


def test_a_bar_never_lifted_is_never_off_the_floor():
    from shared.analysis.phases import bar_off_floor

    t = np.arange(60) / 30
    h = np.full(60, 0.225)
    assert not bar_off_floor(h, find_phases(t, h, np.zeros(60), np.full(60, 90.0), "snatch")).any()


# --- several lifts in one clip ----------------------------------------------------------------


def _set_of(exercise: str, lifts: int, fps: int = 60, rest_s: float = 3.0):
    """(t, h, vy, knee) of `lifts` generated lifts in a row: after each the bar falls freely
    from where it ends to the floor (dropped) and rests `rest_s` before the next. Returns the
    arrays and each lift's liftoff frame."""
    t1, h1, _, k1 = lift_arrays(exercise, fps)
    g, dt = 9.81, 1 / fps
    fall = np.arange(0, np.sqrt(2 * (h1[-1] - h1[0]) / g), dt)
    h_fall = h1[-1] - 0.5 * g * fall**2
    rest = np.full(int(rest_s * fps), h1[0])
    true_liftoff = int(np.flatnonzero(h1 > h1[0] + 0.001)[0])
    hs, ks, liftoffs = [], [], []
    for _ in range(lifts):
        liftoffs.append(sum(map(len, hs)) + true_liftoff)
        hs += [h1, h_fall, rest]
        ks += [k1, np.full(len(fall), k1[-1]), np.full(len(rest), k1[0])]
    h, knee = np.concatenate(hs), np.concatenate(ks)
    t = np.arange(len(h)) * dt
    return t, h, np.gradient(h, t), knee, liftoffs


@pytest.mark.parametrize("exercise", ["snatch", "clean", "clean_and_jerk"])
@pytest.mark.parametrize("count", [1, 2, 3])
def test_every_lift_of_a_set_is_found_with_its_liftoff(exercise, count):
    t, h, vy, knee, liftoffs = _set_of(exercise, count)
    lifts = find_lift_phases(t, h, vy, knee, exercise)
    assert [p.outcome for p in lifts] == ["complete"] * count
    assert [p.landmarks["liftoff"] for p in lifts] == pytest.approx(liftoffs, abs=1)
    # the windows cover the clip, in order, without overlap
    assert lifts[0].phases[0].start_frame == 0
    for a, b in zip(lifts, lifts[1:]):
        assert b.phases[0].start_frame == a.phases[-1].end_frame + 1 or b.phases[0].start_frame > a.landmarks["liftoff"]
    assert primary_lift(lifts) == 0


def test_split_lifts_keeps_a_clean_and_its_jerk_together_and_a_still_bar_whole():
    t, h, vy, knee, _ = _set_of("clean_and_jerk", 1)
    assert len(split_lifts(h)) == 1
    assert split_lifts(np.full(50, 0.225)) == [(0, 49)]
    assert split_lifts(np.full(50, np.nan)) == [(0, 49)]


def test_a_missed_lift_then_a_made_one_makes_the_made_one_primary():
    t, h, vy, knee, liftoffs = _set_of("snatch", 2)
    # the first attempt, in place of the first lift: the bar rises 0.6 m and comes back to the floor
    end = liftoffs[1] - 60
    h[10:end] = h[0] + 0.6 * np.sin(np.linspace(0, np.pi, end - 10))
    vy = np.gradient(h, t)
    lifts = find_lift_phases(t, h, vy, knee, "snatch")
    assert [p.outcome for p in lifts] == ["missed", "complete"]
    assert primary_lift(lifts) == 1
    assert lifts[1].landmarks["liftoff"] == pytest.approx(liftoffs[1], abs=1)


def test_the_re_bend_is_placed_on_the_unsmoothed_knee_where_smoothing_moves_a_lopsided_trough():
    """The knees bend slowly into the transition (10 frames at 60 fps) and snap straight
    (4 frames): a zero-phase filter moves that trough towards the slow side."""
    t, h, vy, liftoff, vmax = _snatch_pull(60)
    peak, rebend = liftoff + 16, liftoff + 26
    assert vmax > rebend + 6
    frames = np.arange(len(t), dtype=float)
    knee = np.interp(frames, [0, liftoff, peak, rebend, rebend + 4, len(t)], [60, 60, 140, 125, 150, 178])
    smooth = smooth_derivatives(t, knee, cutoff_hz=KEYPOINT_CUTOFF_HZ)[0]
    assert peak + int(np.argmin(smooth[peak:vmax])) < rebend - 1  # the smoothed trough alone
    assert find_phases(t, h, vy, smooth, "snatch", knee_raw=knee).landmarks["knee_rebend"] == rebend


def test_pose_noise_on_the_flat_of_a_lopsided_trough_does_not_pull_the_re_bend_early():
    """The knees bend slowly into the re-bend, its bottom nearly flat, and snap straight. Pose
    reads the knee a few degrees off each frame (here ±1°, and one reading 2.5° low three frames
    before the turn): the lowest single reading lies early on the flat side. The re-bend is the
    turn from the slow bend into the snap, fitted over the frames near it."""
    t, h, vy, liftoff, vmax = _snatch_pull(60)
    peak, rebend = liftoff + 14, liftoff + 26
    assert vmax > rebend + 8
    frames = np.arange(len(t), dtype=float)
    slow = (frames - rebend) / (rebend - peak)  # -1 at the knee's peak, 0 at the re-bend
    knee = np.where(frames <= rebend, 125 + 15 * slow**2, 125 + 6.5 * (frames - rebend))
    knee = np.where(frames < peak, np.interp(frames, [0, liftoff, peak], [60, 60, 140]), np.minimum(knee, 178))
    noisy = knee + np.random.default_rng(3).uniform(-1, 1, len(t))
    noisy[rebend - 3] -= 2.5
    assert rebend - int(np.argmin(noisy[peak:vmax])) - peak >= 3  # the lowest reading: 3 frames early
    smooth = smooth_derivatives(t, noisy, cutoff_hz=KEYPOINT_CUTOFF_HZ)[0]
    got = find_phases(t, h, vy, smooth, "snatch", knee_raw=noisy).landmarks["knee_rebend"]
    assert abs(got - rebend) <= 1
