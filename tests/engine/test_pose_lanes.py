"""Pose lanes: pass 1 runs one pose estimator per core, each on its own stretch of a clip
that fits in memory, and hands the frames on in order."""

from __future__ import annotations

import contextlib
import itertools
import platform
import random
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from shared.analysis import AnalysisOptions, accel, passes, pipeline, video
from shared.analysis import lanes as lanes_module
from shared.analysis.errors import InvalidVideo
from shared.analysis.lanes import (
    POSE_STRETCH_MIN_S,
    POSE_WARM_UP_S,
    PoseLanes,
    open_together,
    pose_lanes,
    pose_stills,
    shared_stretches,
    still_lanes,
    stretches,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "duration_s, cores, lanes",
    [(3.3, 2, 2), (1.4, 2, 1), (1.6, 2, 1), (2.9, 4, 2), (4.5, 4, 3), (10.0, 8, 3), (10.0, 1, 1)],
)
def test_a_clip_gets_an_estimator_per_core_each_with_a_second_of_its_own(duration_s, cores, lanes):
    assert pose_lanes(duration_s, cores) == lanes


@pytest.mark.parametrize("model, most", [("lite", 3), ("full", 3), ("heavy", 2)])
def test_heavy_runs_at_most_two_estimators_as_a_third_would_pass_1_5_gb_on_the_longest_held_clip(model, most):
    assert pose_lanes(10.0, cores=8, model=model) == most


@pytest.mark.parametrize("duration_s, lanes", [(3.3, 2), (10.0, 3), (6.0, 3)])
def test_stretches_give_every_estimator_the_same_time_to_track_warm_up_included(duration_s, lanes):
    starts = stretches(duration_s, lanes)
    assert starts[0] == -np.inf and starts[-1] == np.inf and len(starts) == lanes + 1  # every time is in one
    ends = starts[1:-1] + [duration_s]
    work = [ends[0]] + [end - start + POSE_WARM_UP_S for start, end in zip(starts[1:], ends[1:])]
    assert np.allclose(work, duration_s / lanes + POSE_WARM_UP_S * (lanes - 1) / lanes)


@pytest.mark.parametrize("duration_s", [1.2, 2.0, 3.3, 4.6, 9.7])
def test_every_later_stretch_has_at_least_a_second_of_its_own(duration_s):
    lanes = pose_lanes(duration_s, cores=4)
    starts = stretches(duration_s, lanes)
    owned = np.diff([0.0] + starts[1:-1] + [duration_s])  # the first one also owns the others' warm-up
    assert lanes == 1 or min(owned[1:]) >= POSE_STRETCH_MIN_S - 1e-9


@dataclass
class _Frame:
    index: int
    t_s: float
    rgb: object = None


class _Clip:
    """A stand-in for video.DecodeOnce: `n` frames at 30 fps from `t0`, optionally failing at one."""

    def __init__(self, n: int, fail_at: int | None = None, t0: float = 0.0):
        self.n, self.fail_at, self.t0 = n, fail_at, t0
        self.info = type("Info", (), {"duration_s": n / 30})()

    def times(self):
        return [self.t0 + i / 30 for i in range(self.n)]

    def __iter__(self):
        for i, t in enumerate(self.times()):
            if i == self.fail_at:
                raise RuntimeError("decoder failed")
            yield _Frame(i, t)


class _Estimator:
    """Records the times it is given and the threads it runs in; answers after a random delay."""

    def __init__(self, fail_at: float | None = None):
        self.times, self.threads, self.fail_at = [], set(), fail_at

    def __call__(self, frame):
        self.threads.add(threading.get_ident())
        if frame.t_s == self.fail_at:
            raise RuntimeError("graph failed")
        time.sleep(random.uniform(0, 0.003))  # the estimators finish out of step
        self.times.append(frame.t_s)
        return np.array([[frame.t_s]])


def _run(clip, estimators, max_frames: int = 10_000):
    bounds = stretches(clip.info.duration_s, len(estimators))
    lanes = PoseLanes(clip, estimators, lambda pose, frame: pose(frame), max_frames, bounds)
    try:
        return [(frame.index, float(people[0, 0])) for frame, people in lanes]
    finally:
        lanes.close()


@pytest.mark.parametrize("t0", [0.0, -0.1, 2.0])  # phone clips start at 0; edit lists and streams need not
@pytest.mark.parametrize("lanes", [2, 3])
def test_each_estimator_tracks_its_stretch_in_time_order_from_its_warm_up_and_frames_come_back_in_order(lanes, t0):
    clip = _Clip(120, t0=t0)
    times = clip.times()
    estimators = [_Estimator() for _ in range(lanes)]
    assert _run(clip, estimators) == list(enumerate(times))
    starts = stretches(120 / 30, lanes)
    for k, estimator in enumerate(estimators):
        assert estimator.times == [t for t in times if starts[k] - POSE_WARM_UP_S <= t - t0 < starts[k + 1]]
        assert len(estimator.threads) == 1  # one MediaPipe graph is never driven from two threads
    done = [len(e.times) for e in estimators]
    assert max(done) - min(done) <= 1  # as many frames each: the first stretch is longer by the warm-up


def test_a_budget_smaller_than_the_clip_is_never_passed_and_every_frame_comes_back():
    """The decoder waits for the estimators once `max_frames` are held; they always catch up."""
    held, box = [], {}

    def pose_of(pose, frame):
        while "lanes" not in box:
            time.sleep(0.001)
        held.append(len(box["lanes"].held))
        return pose(frame)

    clip = _Clip(120)
    estimators = [_Estimator(), _Estimator()]
    box["lanes"] = lanes = PoseLanes(clip, estimators, pose_of, 10, stretches(clip.info.duration_s, 2))
    try:
        got = [(frame.index, float(people[0, 0])) for frame, people in lanes]
    finally:
        lanes.close()
    assert got == list(enumerate(clip.times()))
    assert max(held) <= 10 and not lanes.held  # every frame let go once posed


def test_an_estimator_error_reaches_pass_one_and_every_thread_stops():
    before = threading.active_count()
    with pytest.raises(RuntimeError, match="graph failed"):
        _run(_Clip(120), [_Estimator(), _Estimator(fail_at=90 / 30)])
    assert threading.active_count() == before


def test_a_decoder_error_reaches_pass_one_and_every_thread_stops():
    before = threading.active_count()
    with pytest.raises(RuntimeError, match="decoder failed"):
        _run(_Clip(120, fail_at=70), [_Estimator(), _Estimator()])
    assert threading.active_count() == before


def test_stopping_early_lets_every_thread_go():
    before = threading.active_count()
    lanes = PoseLanes(_Clip(120), [_Estimator(), _Estimator()], lambda pose, frame: pose(frame), 10_000, [0, 2, 9])
    list(itertools.islice(lanes, 10))  # the consumer stops after 10 frames
    lanes.close()
    assert threading.active_count() == before


@pytest.mark.parametrize("lanes", [2, 3])
def test_estimators_posing_some_frames_share_them_equally_whatever_their_spacing(lanes):
    """Pose runs densely in the lift and sparsely elsewhere: each estimator gets as many of
    the frames to pose, counted in frames, not seconds, its warm-up's included; cut into
    equal stretches, the last estimator posed alone at the end for as long as its warm-up."""
    for t in (
        np.r_[np.arange(0, 8, 0.2), 8 + np.arange(120) / 30, 12 + np.arange(0, 6, 0.2)],
        np.arange(100) / 30,
        np.arange(200) / 60,
    ):
        bounds = shared_stretches(t, lanes)
        assert bounds[0] == -np.inf and bounds[-1] == np.inf and bounds == sorted(bounds)
        since = t - t[0]
        owned = [int(((since >= a) & (since < b)).sum()) for a, b in zip(bounds, bounds[1:])]
        tracked = [int(((since >= a - POSE_WARM_UP_S) & (since < b)).sum()) for a, b in zip(bounds, bounds[1:])]
        assert sum(owned) == len(t) and max(tracked) - min(tracked) <= 2  # a warm-up can end in denser frames
    assert tracked[0] > owned[1] + 15  # 30 frames of warm-up at 60 fps, shared by two or three
    assert shared_stretches(t, 1) == [-np.inf, np.inf]


class _Opened:
    """An estimator that records its opening thread and its closing."""

    live: set = set()

    def __init__(self, fail: bool = False, wait: threading.Barrier | None = None):
        if wait is not None:
            wait.wait(timeout=5)  # every estimator opening at once, or none gets past
        if fail:
            raise RuntimeError("the model could not be opened")
        self.thread = threading.get_ident()
        _Opened.live.add(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _Opened.live.discard(self)


def test_estimators_open_together_each_in_its_own_thread():
    wait = threading.Barrier(3)
    with contextlib.ExitStack() as stack:
        opened = open_together(lambda: _Opened(wait=wait), 3, stack)
        assert len(opened) == 3 and len({o.thread for o in opened}) == 3 and _Opened.live == set(opened)
    assert _Opened.live == set()
    with contextlib.ExitStack() as stack:
        assert len(open_together(_Opened, 1, stack)) == 1 and open_together(_Opened, 0, stack) == []
    assert _Opened.live == set()


def test_one_estimator_failing_to_open_closes_the_others_and_says_why():
    tries = iter([False, True, False])
    with pytest.raises(RuntimeError, match="could not be opened"):
        with contextlib.ExitStack() as stack:
            open_together(lambda: _Opened(fail=next(tries)), 3, stack)
    assert _Opened.live == set()


@pytest.mark.parametrize("count, cores, lanes", [(28, 2, 2), (15, 2, 1), (16, 2, 2), (40, 8, 2), (40, 1, 1), (0, 2, 1)])
def test_stills_get_an_estimator_per_core_each_worth_its_opening(count, cores, lanes):
    assert still_lanes(count, cores, model="heavy") == lanes


@pytest.mark.parametrize("lanes", [1, 2, 3])
def test_stills_come_back_in_order_whatever_the_estimators_and_each_is_driven_from_one_thread(lanes):
    opened = []

    @contextlib.contextmanager
    def open_one():
        opened.append(_Estimator())
        yield opened[-1]

    frames = _Clip(29)
    got = pose_stills(iter(frames), open_one, lambda pose, frame: float(pose(frame)[0, 0]), lanes)
    assert got == frames.times() and len(opened) == lanes
    assert sorted(t for e in opened for t in e.times) == frames.times()
    assert all(len(e.threads) == 1 for e in opened)


def test_a_still_estimators_error_reaches_the_caller_and_its_threads_stop():
    before = threading.active_count()

    @contextlib.contextmanager
    def open_one():
        yield _Estimator(fail_at=20 / 30)

    with pytest.raises(RuntimeError, match="graph failed"):
        pose_stills(iter(_Clip(29)), open_one, lambda pose, frame: pose(frame), 2)
    assert threading.active_count() == before


def test_a_still_estimators_error_stops_the_others_at_their_next_still():
    slow, failing = _Estimator(), _Estimator(fail_at=15 / 30)  # the second run starts at frame 14
    opened = iter([slow, failing])

    @contextlib.contextmanager
    def open_one():
        yield next(opened)

    def pose_of(pose, frame):
        if pose is slow:
            time.sleep(0.02)
        return pose(frame)

    with pytest.raises(RuntimeError, match="graph failed"):
        pose_stills(iter(_Clip(29)), open_one, pose_of, 2)
    assert len(slow.times) < 14  # its whole run would take 0.28 s; the other failed at once


def _measure(path, lanes, monkeypatch, keep_frames=10**6, **options):
    """Pass 1 (the bar pass, then pose on every frame) with `lanes` estimators wanted, on a
    clip that holds up to `keep_frames` of its frames: ((t, people, plates), how many
    PoseLanes it made, how many tracking estimators the pose pass opened)."""
    made, tracking = [], []
    monkeypatch.setattr(passes, "pose_lanes", lambda duration_s, model: lanes)
    monkeypatch.setattr(lanes_module, "PoseLanes", lambda *a, real=PoseLanes: made.append(a) or real(*a))
    real_open = passes.open_pose
    monkeypatch.setattr(
        passes,
        "open_pose",
        lambda *a, **k: (tracking.append(a) if k.get("video", True) else None) or real_open(*a, **k),
    )
    info = video.probe(path, 60, 1280)
    clip = video.DecodeOnce(path, info, keep_frames)
    opts = AnalysisOptions(pose_model="lite", **options)
    whole = (0, 0, info.out_width, info.out_height)  # what the lifter scan gives for one person
    runtime, quiet = accel.plan("cpu"), lambda *a: None
    seen = passes.bar_pass(clip, quiet, runtime, opts.pose_model, whole)
    t = np.asarray(seen.times)
    people = passes.pose_pass(clip, t, np.ones(len(t), bool), quiet, runtime, opts.pose_model, whole)
    return (t, people, seen.plates), len(made), len(tracking)


@pytest.mark.slow
def test_two_estimators_give_what_one_does_up_to_tracking_history(rendered, monkeypatch):
    """On a rendered lift: the first stretch is the same estimator's work, so identical; the
    second was tracked by another estimator from its warm-up, and lands within a few pixels."""
    path, truth = rendered("lanes_snatch_small", exercise="snatch", fps=30, width=640, height=360, seed=12)
    (t1, people1, plates1, *_), made1, opened1 = _measure(path, 1, monkeypatch)
    (t2, people2, plates2, *_), made2, opened2 = _measure(path, 2, monkeypatch)
    assert (made1, made2) == (0, 1) and (opened1, opened2) == (1, 2)
    assert np.array_equal(t1, t2) and len(t1) == len(truth.timestamps_s)
    split = int(np.searchsorted(t1 - t1[0], shared_stretches(t1, 2)[1]))
    assert all(np.array_equal(a, b) for a, b in zip(people1[:split], people2[:split]))
    gap = np.array(
        [
            np.linalg.norm(a[0, :, :2] - b[0, :, :2], axis=1)
            for a, b in zip(people1[split:], people2[split:])
            if len(a) and len(b)
        ]
    )
    assert len(gap) >= 0.9 * (len(t1) - split)
    assert np.median(gap) < 3.0 and np.percentile(gap, 95) < 12.0  # px, on a 640x360 frame
    bar1 = np.array([[p.x_px, p.y_px] if p else [np.nan] * 2 for p in plates1])
    bar2 = np.array([[p.x_px, p.y_px] if p else [np.nan] * 2 for p in plates2])
    assert np.allclose(bar1, bar2, equal_nan=True, atol=0.5)  # the plate tracker saw the same frames


@pytest.mark.slow
def test_a_clip_not_held_in_memory_is_posed_by_one_estimator_as_it_streams(monkeypatch, rendered):
    """More estimators would have to hold the frames between their stretches, and a heavy
    one adds about 250 MiB: a clip too long to hold keeps one estimator's memory."""
    path, _ = rendered("lanes_snatch_small", exercise="snatch", fps=30, width=640, height=360, seed=12)
    (t1, people1, *_), made1, opened1 = _measure(path, 1, monkeypatch)
    (t2, people2, *_), made2, opened2 = _measure(path, 2, monkeypatch, keep_frames=1)
    assert made1 == made2 == 0 and opened1 == opened2 == 1
    assert np.array_equal(t1, t2) and all(np.array_equal(a, b) for a, b in zip(people1, people2))


@pytest.mark.parametrize("held, delegate, estimators", [(True, "cpu", 2), (False, "cpu", 1), (True, "gpu", 1)])
def test_relook_poses_each_wanted_frame_once_on_an_estimator_per_core_when_the_clip_is_held(
    monkeypatch, held, delegate, estimators
):
    """Samples nobody held the bar in are posed again as stills: every core's worth on a clip
    held in memory on the CPU, one as frames stream in otherwise; a lifter found goes into
    the track at its sample, and the clip is read no further than the last frame wanted."""
    opened, read, posed_at = [], [], []
    monkeypatch.setattr(lanes_module, "_cores", lambda: 2)  # the same on any machine
    lacking = np.zeros(40, bool)
    lacking[5:35] = True  # samples 5-34 (frames 10-68) are wanted
    monkeypatch.setattr(passes, "pick_at_the_bar", lambda track, candidates, bar_px: (track, lacking))
    monkeypatch.setattr(passes, "torso_px", lambda track: 50.0)
    monkeypatch.setattr(passes, "second_look", lambda lacking, *a: lacking)
    monkeypatch.setattr(passes, "nearest_the_bar", lambda people, bar, torso: people if people[0, 0, 0] % 3 else None)

    @contextlib.contextmanager
    def open_pose(runtime, model, max_people, video):
        assert (max_people, video) == (2, False)
        opened.append(threading.get_ident())
        yield lambda rgb, t_s, offset: posed_at.append(round(t_s * 30)) or np.full((1, 33, 3), posed_at[-1], np.float32)

    monkeypatch.setattr(passes, "open_pose", open_pose)

    class Clip(_Clip):
        all_kept = held

        def __iter__(self):
            for frame in super().__iter__():
                read.append(frame.index)
                yield _Frame(frame.index, frame.t_s, np.zeros((4, 4, 3), np.uint8))

    frames = np.arange(40) * 2  # one sample every other frame
    track = np.full((40, 33, 3), np.nan, np.float32)
    runtime = type("Runtime", (), {"pose_delegate": delegate})()
    got = passes.relook(Clip(100), track, [], np.zeros((40, 2)), frames, frames / 30, runtime, "heavy", (0, 0, 4, 4))
    assert len(opened) == estimators
    assert sorted(posed_at) == list(frames[5:35])  # each wanted frame posed once
    assert max(read) == 68  # stopped at the last frame wanted
    filled = [i for i in range(40) if np.isfinite(got[i]).all()]
    assert filled == [i for i in range(5, 35) if frames[i] % 3]
    assert all(got[i, 0, 0] == frames[i] for i in filled)


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_the_engine_has_its_threads_allocate_from_one_heap(tmp_path, monkeypatch):
    """`analyze` asks first, before anything else (its threads included); asked in a fresh
    process, glibc takes it."""
    asked = []
    monkeypatch.setattr(lanes_module, "one_heap", lambda: asked.append(True))
    with pytest.raises(InvalidVideo):  # the missing file fails after the ask
        pipeline.analyze(tmp_path / "missing.mp4")
    assert asked == [True]
    code = "from shared.analysis import lanes; print(lanes.one_heap())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "True"
