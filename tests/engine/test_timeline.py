"""Timeline: distinct pictures, their times, and the shot that holds the lift, on known arrays."""

from __future__ import annotations

import numpy as np
import pytest

from shared.analysis import timeline
from shared.analysis.timebase import TimeBase


def _pulldown(n_frames: int, fps: float = 60.0, content: float = 24.0, moving: float = 2.0, seed: int = 0):
    """Frame times and picture changes of a clip taken at `content` pictures a second and shown
    at `fps` (each frame shows the latest picture), with things moving throughout."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_frames) / fps
    picture = np.floor(t * content + 1e-9)
    new = np.concatenate([[True], picture[1:] != picture[:-1]])
    change = np.where(new, moving + rng.uniform(0, 1, n_frames), rng.uniform(0, 0.05, n_frames))
    change[0] = np.inf
    return t, change, picture


def test_24_in_60_pictures_are_measured_once_at_the_first_frame_that_shows_them():
    t, change, picture = _pulldown(120)
    tl = timeline.build(t, change, np.ones(len(t), bool))
    assert tl.content_fps == pytest.approx(24.0, rel=1e-6)
    assert tl.repeated_share == pytest.approx(0.6, abs=0.01)
    assert len(tl.frames) == 48 and not tl.whole
    # each frame shows one picture; the picture is measured at its first frame, on the
    # camera's cadence (1/24 s apart), not at the frames' times (2, 3, 2, 3 frames apart)
    assert np.array_equal(tl.of_frame, picture.astype(int))
    assert np.array_equal(tl.frames, np.flatnonzero(np.r_[True, np.diff(picture) > 0]))
    assert np.diff(tl.t_s) == pytest.approx(np.full(47, 1 / 24), abs=1.5e-3)
    assert np.all(tl.t_s <= t[tl.frames]) and np.all(tl.t_s > t[tl.frames] - 1 / 60)
    assert tl.to_frames(np.arange(48.0)).tolist() == picture.tolist()
    assert tl.last_frame(0) == 2 and tl.last_frame(1) == 4  # shown on 3, then 2 frames
    assert tl.to_dict() == {
        "repeated_frames_pct": round(100 * tl.repeated_share, 1),
        "content_fps": 24.0,
        "scene_cuts": [],
        "shot_frames": [0, 119],
        "clock": TimeBase().to_dict(),  # on its own clock: nothing lost, no slow motion
        "camera_moved_px": [0.0, 0.0],
    }


def test_a_still_stretch_in_a_cadence_clip_is_not_one_long_picture():
    """An encoder's identical frames in a still set-up look like repeats; a picture is shown
    on at most 3 frames at 24 in 60, so longer runs stand frame by frame."""
    t, change, _ = _pulldown(120)
    change[1:40] = 0.0  # nothing moves for the first 40 frames
    tl = timeline.build(t, change, np.ones(len(t), bool))
    runs = np.diff(np.r_[tl.frames, 120])
    assert tl.content_fps == pytest.approx(24.0, abs=0.5) and runs.max() <= 3


def test_a_clip_with_a_new_picture_on_every_frame_is_its_own_timeline():
    rng = np.random.default_rng(1)
    t = np.arange(90) / 30
    change = np.r_[np.inf, 0.3 + rng.uniform(0, 0.2, 89)]  # sensor noise on a still scene
    tl = timeline.build(t, change, np.ones(90, bool))
    assert tl.whole and tl.content_fps is None and tl.cut_frames == ()
    assert np.array_equal(tl.frames, np.arange(90)) and np.array_equal(tl.t_s, t)
    values = np.arange(90.0)
    assert np.array_equal(tl.to_frames(values), values)


def test_a_still_clip_with_identical_frames_is_not_taken_for_a_cadence():
    t = np.arange(60) / 30
    change = np.r_[np.inf, np.zeros(59)]  # nothing moves: nothing says which frames repeat
    assert timeline.build(t, change, np.ones(60, bool)).whole


def test_sporadic_repeats_are_counted_and_the_frames_kept():
    t, change, _ = _pulldown(150, fps=30, content=30)
    change[[20, 50, 80, 110]] = 0.01  # four doubled frames in five seconds
    tl = timeline.build(t, change, np.ones(150, bool))
    assert tl.whole and tl.content_fps is None
    assert 0 < tl.repeated_share < timeline.CADENCE_SHARE


def test_a_scene_cut_keeps_the_shot_where_the_bar_was_tracked_and_blanks_the_rest():
    t, change, _ = _pulldown(100, fps=30, content=30)
    change[70] = 60.0  # another scene
    tracked = np.r_[np.ones(70, bool), np.zeros(30, bool)]
    tl = timeline.build(t, change, tracked)
    assert tl.cut_frames == (70,) and tl.shot == (0, 69)
    assert np.array_equal(tl.frames, np.arange(70))
    spread = tl.to_frames(np.arange(70.0))
    assert np.array_equal(spread[:70], np.arange(70.0)) and np.isnan(spread[70:]).all()
    # the same cut with the bar in the second shot keeps that one
    tl = timeline.build(t, change, ~tracked)
    assert tl.shot == (70, 99) and tl.frames[0] == 70


def test_fast_motion_is_not_a_scene_cut():
    t, change, _ = _pulldown(60, fps=30, content=30, moving=30.0)  # large changes on every frame
    assert timeline.scene_cuts(change) == []


@pytest.mark.parametrize(
    "changes, repeat",
    [
        ([np.inf], False),  # the first frame
        ([np.inf, 2.0, 1.8, 0.05], True),  # the same picture again while things move
        ([np.inf, 2.0, 1.8, 1.5], False),
        ([np.inf, 0.3, 0.25, 0.28], False),  # noise on a still scene changes as much as the frames before
    ],
)
def test_a_repeat_is_told_as_frames_arrive(changes, repeat):
    assert timeline.repeats_last(changes) is repeat


def test_picture_change_is_infinite_for_the_first_frame_and_zero_for_a_copy():
    a = np.random.default_rng(2).integers(0, 255, (36, 64, 3), dtype=np.uint8)
    small = timeline.thumbnail(a)
    assert small.shape == (9, 16)
    assert timeline.picture_change(None, small) == np.inf
    assert timeline.picture_change(small, small.copy()) == 0.0


@pytest.mark.parametrize("content", [24.0, 25.0, 23.976])
def test_pictures_shown_on_an_uneven_run_of_frames_are_put_back_on_their_cadence(content):
    """Pictures taken every 1/content s, each first shown on the next 60 fps frame: the
    first frames' steps are 2 or 3 frames (a fifth off the picture's step, up or down); on the
    cadence they are at most a third of that off (23.976 drifts against 60: where the picture
    first shown on its own frame moves to the next, the line's offset moves by a few ms over a
    few pictures), and every picture is put no later than its first frame and after the
    frame before."""
    taken = (np.arange(480) + 0.3) / content  # the camera's clock does not start on a frame
    first = np.ceil(taken * 60 - 1e-9) / 60
    uneven = np.abs(np.diff(first) - 1 / content).max()
    assert uneven > 0.007
    got = timeline.on_cadence(first, 1 / 60)
    assert np.abs(np.diff(got) - 1 / content).max() < uneven / 3
    assert np.abs(got - taken).max() < 1 / 60
    assert np.all(got <= first) and np.all(got > first - 1 / 60) and np.all(np.diff(got) > 0)


def test_pictures_read_on_neighbouring_frames_at_the_end_of_a_cadence_keep_a_frame_apart():
    """24 pictures a second in a 60 fps file, then the bar stands still and two repeats are
    read as new pictures (first frames 1 frame apart). Put on the cadence, two of them fell
    on one time, and speeds through them divided by almost nothing: each picture is at least
    half a frame after the one before."""
    cadence = np.ceil((np.arange(60) + 0.3) / 24 * 60 - 1e-9)  # frames 1, 4, 6, 9, 11, ... 149
    first = np.r_[cadence, cadence[-1] + np.array([1, 2, 5, 6, 7, 8, 9, 10, 11, 14])] / 60
    got = timeline.on_cadence(first, 1 / 60)
    assert np.diff(got).min() >= 0.5 / 60
    assert np.all(got <= first) and np.all(got > first - 1 / 60)
