"""Where pose runs (focus.pose_frames), on bar tracks with known answers."""

from __future__ import annotations

import numpy as np

from shared.analysis.focus import DENSE_AFTER_S, DENSE_BEFORE_S, RISE_S, SPARSE_HZ, pose_frames

FPS, R_PX = 30.0, 50.0


def track(lifts_s: list, duration_s: float, rest_y: float = 600.0):
    """(t, bar row px, radius px): the bar at rest, and for each (start, end) s a lift: up
    300 px in the first 40 %, down 60 px into the catch, up again standing (to 80 %), then
    lowered back to the floor."""
    t = np.arange(0, duration_s, 1 / FPS)
    y = np.full(len(t), rest_y)
    for start, end in lifts_s:
        up = (t >= start) & (t <= end)
        y[up] = rest_y - np.interp((t[up] - start) / (end - start), [0, 0.4, 0.6, 0.8, 1.0], [0, 300, 240, 300, 0])
    return t, y, np.full(len(t), R_PX)


def stood(start: float, end: float) -> float:
    """When the lifter of `track`'s lift is standing with the bar."""
    return start + 0.8 * (end - start)


def test_pose_runs_on_every_frame_around_the_lift_and_a_few_a_second_elsewhere():
    t, y, r = track([(10.0, 14.0)], 20.0)
    posed = pose_frames(t, y, r)
    first = t[R_PX * 0.25 < 600 - y][0]
    around = (t >= first - DENSE_BEFORE_S) & (t <= stood(10.0, 14.0) - RISE_S + DENSE_AFTER_S)
    assert posed[around].all()
    elsewhere = ~((t >= first - DENSE_BEFORE_S) & (t <= stood(10.0, 14.0) + DENSE_AFTER_S))
    assert abs(posed[elsewhere].sum() - SPARSE_HZ * elsewhere.sum() / FPS) <= 2  # SPARSE_HZ looks a second
    assert posed.sum() < 0.5 * len(t)  # most of this clip is set-up


def test_each_lift_of_a_set_gets_every_frame():
    t, y, r = track([(3.0, 6.0), (12.0, 15.0), (22.0, 25.0)], 28.0)
    posed = pose_frames(t, y, r)
    for start, end in ((3.0, 6.0), (12.0, 15.0), (22.0, 25.0)):
        assert posed[(t >= start - 0.5) & (t <= stood(start, end))].all()
    assert not posed[(t > 8.0) & (t < 10.0)].all()


def test_lowering_the_bar_after_the_lift_gets_the_sparse_looks():
    """Standing with the bar ends the lift's phases; lowering it back down reads nothing."""
    t, y, r = track([(10.0, 20.0)], 24.0)
    posed = pose_frames(t, y, r)
    lowering = (t > stood(10.0, 20.0) + DENSE_AFTER_S) & (t < 20.0)
    assert lowering.sum() > 10 and posed[lowering].sum() <= SPARSE_HZ * lowering.sum() / FPS + 1


def test_a_jerk_after_the_clean_keeps_every_frame_through_the_hold_between():
    """The bar held on the shoulders, then driven overhead: the jerk is a rise again."""
    t, y, r = track([(10.0, 14.0)], 22.0)
    hold = (t > 14.0 - 0.8 + 0.01) & (t < 18.0)
    y[hold] = 600 - 300.0  # held at the top instead of lowered ...
    jerk = (t >= 18.0) & (t <= 19.0)
    y[jerk] = 300 - np.interp(t[jerk] - 18.0, [0, 0.2, 0.6, 1.0], [0, -40, 150, 150])  # dip, drive
    y[t > 19.0] = 150.0
    posed = pose_frames(t, y, r)
    assert posed[(t >= 9.2) & (t <= 19.0)].all()


def test_frames_where_the_bar_was_lost_get_pose_and_a_clip_barely_tracked_gets_it_everywhere():
    t, y, r = track([(10.0, 14.0)], 20.0)
    y[int(3 * FPS) : int(4 * FPS)] = np.nan  # someone walked in front of the plate
    posed = pose_frames(t, y, r)
    assert posed[int(2.5 * FPS) : int(4.5 * FPS)].all()
    y[: int(12 * FPS)] = np.nan  # the bar seen in 40 % of the frames: too little to tell
    assert pose_frames(t, y, r).all()
    assert pose_frames(t, np.full(len(t), np.nan), r).all()
    assert pose_frames(t[:0], y[:0], r[:0]).shape == (0,)
