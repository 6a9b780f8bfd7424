"""Pose lanes: pass 1's pose on several CPU cores at once.

One MediaPipe graph keeps one core busy and releases the GIL. On a clip whose frames fit in
memory, `posed` runs one estimator per core, each on its own stretch of the clip
(`PoseLanes`); otherwise it runs one as frames stream in.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator

from shared.analysis import video

POSE_STRETCH_MIN_S = 1.0  # the shortest stretch of clip worth a pose estimator of its own (warm-up not counted)
POSE_WARM_UP_S = 0.5  # an estimator starts tracking this long before its stretch, so it has settled by then
# Each estimator adds memory. On the longest clip held (9 s of 1080p30), full peaked at 1.21 GB
# with two, 1.30 GB with three and 1.36-1.38 GB with four; heavy at 1.39 GB with two and 1.57 GB
# with three, over the 1.5 GB target.
MAX_POSE_LANES = {"lite": 3, "full": 3, "heavy": 2}


def pose_lanes(duration_s: float, cores: int | None = None, model: str = "full") -> int:
    """How many `model` pose estimators pass 1 runs at once on a clip that fits in memory: one
    per core, each with a stretch of at least `POSE_STRETCH_MIN_S` of its own (see `stretches`),
    and no more than `MAX_POSE_LANES` allows that model."""
    if cores is None:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(cores, MAX_POSE_LANES[model], int(max(duration_s - POSE_WARM_UP_S, 0.0) // POSE_STRETCH_MIN_S)))


def stretches(duration_s: float, lanes: int) -> list:
    """Where each estimator's stretch starts, in seconds after the clip's first frame, then
    inf; the first starts at -inf, so that no frame time falls outside every stretch. The
    first stretch is longer by the warm-up the others also track, so that every estimator
    has as many frames to do."""
    rest = max(duration_s - POSE_WARM_UP_S, 0.0) / lanes
    return [-float("inf")] + [rest * k + POSE_WARM_UP_S for k in range(1, lanes)] + [float("inf")]


class FramesOverBudget(Exception):
    """The clip held more frames than its header said, more than `frame_cache_mb` holds."""


class PoseLanes:
    """Pose on several cores: a MediaPipe graph keeps one core busy and releases the GIL.

    The clip is cut into as many stretches as there are estimators (`stretches`, counted
    from the first frame's time); each estimator, in its own thread, tracks its stretch at
    the full frame rate from `POSE_WARM_UP_S` before it, so its landmarks differ from those
    of one estimator over the whole clip only by tracking history. A thread decodes the clip
    once and holds every frame until the pass is over, at most `max_frames` of them (more
    raises FramesOverBudget). Iterating gives (frame, people) in frame order. (Estimators
    that took every other frame instead tracked worse: with heavy, 4 of the 9 accuracy clips
    met every target instead of 6.)"""

    def __init__(self, clip: video.DecodeOnce, poses: list, pose_of: Callable, max_frames: int):
        self.frames: list = []
        self.people: dict = {}
        self.decoded = self.stopped = False
        self.error: BaseException | None = None
        self.cond = threading.Condition()
        self.max_frames = max_frames
        bounds = stretches(clip.info.duration_s, len(poses))
        self.threads = [threading.Thread(target=self._decode, args=(clip,), daemon=True)]
        self.threads += [
            threading.Thread(target=self._track, args=(pose, pose_of, bounds[k], bounds[k + 1]), daemon=True)
            for k, pose in enumerate(poses)
        ]
        try:
            for thread in self.threads:
                thread.start()
        except BaseException:
            self.close()
            raise

    def _decode(self, clip):
        try:
            with contextlib.closing(iter(clip)) as frames:
                for frame in frames:
                    with self.cond:
                        if self.stopped or self.error:
                            return
                        if len(self.frames) >= self.max_frames:
                            raise FramesOverBudget(f"more than {self.max_frames} frames")
                        self.frames.append(frame)
                        self.cond.notify_all()
        except BaseException as exc:
            self._fail(exc)
        finally:
            with self.cond:
                self.decoded = True
                self.cond.notify_all()

    def _frame(self, i: int):
        """Frame i once decoded; None after the last frame, or when the pass is ending."""
        with self.cond:
            self.cond.wait_for(lambda: len(self.frames) > i or self.decoded or self.stopped or self.error)
            return None if self.stopped or self.error or i >= len(self.frames) else self.frames[i]

    def _track(self, pose, pose_of, start_s: float, end_s: float):
        try:
            first = self._frame(0)
            t0 = first.t_s if first else 0.0
            i = 0
            while (frame := self._frame(i)) is not None and frame.t_s - t0 < end_s:
                if frame.t_s - t0 >= start_s - POSE_WARM_UP_S:
                    people = pose_of(pose, frame)
                    if frame.t_s - t0 >= start_s:
                        with self.cond:
                            self.people[i] = people
                            self.cond.notify_all()
                i += 1
        except BaseException as exc:
            self._fail(exc)

    def _fail(self, exc: BaseException):
        with self.cond:
            self.error = self.error or exc
            self.cond.notify_all()

    def __iter__(self):
        i = 0
        while True:
            with self.cond:
                self.cond.wait_for(
                    lambda i=i: i in self.people or self.error or (self.decoded and i >= len(self.frames))
                )
                if self.error:
                    raise self.error
                if i not in self.people:
                    return
                frame, people = self.frames[i], self.people.pop(i)
            yield frame, people
            i += 1

    def close(self) -> None:
        with self.cond:
            self.stopped = True
            self.cond.notify_all()
        for thread in self.threads:
            if thread.is_alive():
                thread.join()


def posed(clip: video.DecodeOnce, poses: list, crop: tuple, max_frames: int = 0) -> Iterator[tuple]:
    """(frame, people) for every frame in order: pose in this thread as frames stream in, or
    on `PoseLanes` (holding at most `max_frames`) when there are several estimators."""
    x0, y0, x1, y1 = crop

    def pose_of(pose, frame):
        return pose(frame.rgb[y0:y1, x0:x1], frame.t_s, (x0, y0))

    if len(poses) == 1:
        for frame in clip:
            yield frame, pose_of(poses[0], frame)
        return
    with contextlib.closing(PoseLanes(clip, poses, pose_of, max_frames)) as lanes:
        yield from lanes
