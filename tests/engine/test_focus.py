"""Where pose runs (focus.pose_frames), on bar tracks with known answers."""

from __future__ import annotations

import numpy as np

from shared.analysis.focus import DENSE_AFTER_S, DENSE_BEFORE_S, SPARSE_HZ, pose_frames

FPS, R_PX = 30.0, 50.0


def track(lifts_s: list, duration_s: float, rest_y: float = 600.0):
    """(t, bar row px, radius px): the bar at rest, and up 300 px from each (start, end) s."""
    t = np.arange(0, duration_s, 1 / FPS)
    y = np.full(len(t), rest_y)
    for start, end in lifts_s:
        up = (t >= start) & (t <= end)
        y[up] = rest_y - 300 * np.sin(np.pi * (t[up] - start) / (end - start))
    return t, y, np.full(len(t), R_PX)


def test_pose_runs_on_every_frame_around_the_lift_and_a_few_a_second_elsewhere():
    t, y, r = track([(10.0, 14.0)], 20.0)
    posed = pose_frames(t, y, r)
    moving = R_PX * 0.25 < 600 - y
    first, last = t[moving][0], t[moving][-1]
    around = (t >= first - DENSE_BEFORE_S) & (t <= last + DENSE_AFTER_S)
    assert posed[around].all()
    elsewhere = posed[~around]
    assert abs(elsewhere.sum() - SPARSE_HZ * (~around).sum() / FPS) <= 2  # SPARSE_HZ looks a second
    assert posed.sum() < 0.5 * len(t)  # most of this clip is set-up


def test_each_lift_of_a_set_gets_every_frame():
    t, y, r = track([(3.0, 6.0), (12.0, 15.0), (22.0, 25.0)], 28.0)
    posed = pose_frames(t, y, r)
    for start, end in ((3.0, 6.0), (12.0, 15.0), (22.0, 25.0)):
        assert posed[(t >= start - 0.5) & (t <= end)].all()
    assert not posed[(t > 8.0) & (t < 10.0)].all()


def test_frames_where_the_bar_was_lost_get_pose_and_a_clip_barely_tracked_gets_it_everywhere():
    t, y, r = track([(10.0, 14.0)], 20.0)
    y[int(3 * FPS) : int(4 * FPS)] = np.nan  # someone walked in front of the plate
    posed = pose_frames(t, y, r)
    assert posed[int(2.5 * FPS) : int(4.5 * FPS)].all()
    y[: int(12 * FPS)] = np.nan  # the bar seen in 40 % of the frames: too little to tell
    assert pose_frames(t, y, r).all()
    assert pose_frames(t, np.full(len(t), np.nan), r).all()
    assert pose_frames(t[:0], y[:0], r[:0]).shape == (0,)
