"""Pose lanes: pass 1 runs one pose estimator per core, each on its own stretch of a clip
that fits in memory, and hands the frames on in order."""
from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass

import numpy as np
import pytest

from shared.analysis import AnalysisOptions, accel, pipeline, video
from shared.analysis.pipeline import POSE_WARM_UP_S, PoseLanes, pose_lanes, stretches


@pytest.mark.parametrize("duration_s, cores, lanes", [
    (3.3, 2, 2), (1.4, 2, 1), (2.9, 4, 1), (4.5, 4, 3), (10.0, 8, 4), (10.0, 1, 1)])
def test_a_clip_gets_an_estimator_per_core_with_at_least_one_and_a_half_seconds_each(duration_s, cores, lanes):
    assert pose_lanes(duration_s, cores) == lanes


@pytest.mark.parametrize("duration_s, lanes", [(3.3, 2), (10.0, 4), (6.0, 3)])
def test_stretches_give_every_estimator_the_same_time_to_track_warm_up_included(duration_s, lanes):
    starts = stretches(duration_s, lanes)
    assert starts[0] == 0.0 and starts[-1] == float("inf") and len(starts) == lanes + 1
    ends = starts[1:-1] + [duration_s]
    work = [ends[0]] + [end - start + POSE_WARM_UP_S for start, end in zip(starts[1:], ends[1:])]
    assert np.allclose(work, duration_s / lanes + POSE_WARM_UP_S * (lanes - 1) / lanes)


@dataclass
class _Frame:
    index: int
    t_s: float
    rgb: object = None


class _Clip:
    """A stand-in for video.DecodeOnce: `n` frames at 30 fps, optionally failing at one."""

    def __init__(self, n: int, fail_at: int | None = None):
        self.n, self.fail_at = n, fail_at
        self.info = type("Info", (), {"duration_s": n / 30})()

    def __iter__(self):
        for i in range(self.n):
            if i == self.fail_at:
                raise RuntimeError("decoder failed")
            yield _Frame(i, i / 30)


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


def _run(clip, estimators):
    lanes = PoseLanes(clip, estimators, lambda pose, frame: pose(frame))
    try:
        return [(frame.index, float(people[0, 0])) for frame, people in lanes]
    finally:
        lanes.close()


@pytest.mark.parametrize("lanes", [2, 3])
def test_each_estimator_tracks_its_stretch_in_time_order_from_its_warm_up_and_frames_come_back_in_order(lanes):
    n = 120
    estimators = [_Estimator() for _ in range(lanes)]
    assert _run(_Clip(n), estimators) == [(i, i / 30) for i in range(n)]
    starts = stretches(n / 30, lanes)
    for k, estimator in enumerate(estimators):
        warm_from = starts[k] - POSE_WARM_UP_S if k else 0.0
        assert estimator.times == [i / 30 for i in range(n) if warm_from <= i / 30 < starts[k + 1]]
        assert len(estimator.threads) == 1  # one MediaPipe graph is never driven from two threads


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
    lanes = PoseLanes(_Clip(120), [_Estimator(), _Estimator()], lambda pose, frame: pose(frame))
    for (frame, _), _ in zip(lanes, range(10)):
        pass
    lanes.close()
    assert threading.active_count() == before


def _measure(path, lanes, monkeypatch, **options):
    monkeypatch.setattr(pipeline, "pose_lanes", lambda duration_s: lanes)
    info = video.probe(path, 60, 1280)
    clip = video.DecodeOnce(path, info, [], 0)
    opts = AnalysisOptions(pose_model="lite", **options)
    return pipeline.measure(clip, opts, lambda *a: None, accel.plan("cpu"))


@pytest.mark.slow
def test_two_estimators_give_what_one_does_up_to_tracking_history(rendered, monkeypatch):
    """On a rendered lift: the first stretch is the same estimator's work, so identical; the
    second was tracked by another estimator from its warm-up, and lands within a few pixels."""
    path, truth = rendered("lanes_snatch_small", exercise="snatch", fps=30, width=640, height=360, seed=12)
    t1, people1, plates1, _ = _measure(path, 1, monkeypatch)
    t2, people2, plates2, _ = _measure(path, 2, monkeypatch)
    assert np.array_equal(t1, t2) and len(t1) == len(truth.timestamps_s)
    second = stretches(t1[-1] + 1 / 30, 2)[1]
    split = int(np.searchsorted(t1, second))
    assert all(np.array_equal(a, b) for a, b in zip(people1[:split], people2[:split]))
    gap = np.array([np.linalg.norm(a[0, :, :2] - b[0, :, :2], axis=1)
                    for a, b in zip(people1[split:], people2[split:]) if len(a) and len(b)])
    assert len(gap) >= 0.9 * (len(t1) - split)
    assert np.median(gap) < 3.0 and np.percentile(gap, 95) < 12.0  # px, on a 640x360 frame
    bar1 = np.array([[p.x_px, p.y_px] if p else [np.nan] * 2 for p in plates1])
    bar2 = np.array([[p.x_px, p.y_px] if p else [np.nan] * 2 for p in plates2])
    assert np.allclose(bar1, bar2, equal_nan=True, atol=0.5)  # the plate tracker saw the same frames


def test_a_clip_that_does_not_fit_in_memory_streams_through_one_estimator(monkeypatch, rendered):
    path, _ = rendered("lanes_snatch_small", exercise="snatch", fps=30, width=640, height=360, seed=12)
    used = []
    monkeypatch.setattr(pipeline, "PoseLanes", lambda *a, **k: used.append(a) or pytest.fail("lanes used"))
    _measure(path, 2, monkeypatch, frame_cache_mb=1)  # 1 MiB holds 1 frame of 640x360
    assert not used
