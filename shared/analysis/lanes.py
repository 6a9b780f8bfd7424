"""Pose lanes: pose on several CPU cores at once.

One MediaPipe graph keeps one core busy and releases the GIL. `posed` runs one tracking
estimator per core, each on its own stretch of the frames it is given (`PoseLanes`), holding
no more of them at a time than memory allows; `pose_stills` runs one still-image estimator
per core, each on its own run of stills. `one_heap` keeps the threads' memory in one heap.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from shared.analysis import video

POSE_STRETCH_MIN_S = 1.0  # the shortest stretch of clip worth a pose estimator of its own (warm-up not counted)
POSE_WARM_UP_S = 0.5  # an estimator starts tracking this long before its stretch, so it has settled by then
# Each estimator adds memory. On the longest clip held (9 s of 1080p30), full peaked at 1.21 GB
# with two, 1.30 GB with three and 1.36-1.38 GB with four; heavy at 1.39 GB with two and 1.57 GB
# with three, over the 1.5 GB target.
MAX_POSE_LANES = {"lite": 3, "full": 3, "heavy": 2}
# A still-image estimator takes 0.5 s to open with heavy, and about 0.1 s a frame with a person
# in it: another is worth opening for this many stills.
STILLS_PER_LANE = 8


M_ARENA_MAX = -8  # glibc's mallopt parameter (malloc.h)


@functools.cache
def one_heap() -> bool:
    """Have every thread allocate from the main heap; True where the C library took it (glibc).
    Otherwise glibc gives each new thread an arena of its own, and memory that a closed pose
    estimator freed in one thread's arena is not reused by the next threads' estimators: the
    second look's pair then stood 80-90 MiB over the pose pass's peak, and one arena kept
    20-160 MiB off four rendered clips' peaks at the same speed. Call it before the pose
    threads start."""
    try:
        return bool(ctypes.CDLL(None).mallopt(M_ARENA_MAX, 1))
    except (OSError, AttributeError, TypeError):  # no mallopt (not glibc)
        return False


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def pose_lanes(duration_s: float, cores: int | None = None, model: str = "full") -> int:
    """How many `model` pose estimators pass 1 runs at once on a clip that fits in memory: one
    per core, each with a stretch of at least `POSE_STRETCH_MIN_S` of its own (see `stretches`),
    and no more than `MAX_POSE_LANES` allows that model."""
    cores = _cores() if cores is None else cores
    return max(1, min(cores, MAX_POSE_LANES[model], int(max(duration_s - POSE_WARM_UP_S, 0.0) // POSE_STRETCH_MIN_S)))


def still_lanes(count: int, cores: int | None = None, model: str = "full") -> int:
    """How many `model` still-image estimators pose `count` frames held in memory: one per
    core, each with at least `STILLS_PER_LANE` of them, no more than `MAX_POSE_LANES`."""
    cores = _cores() if cores is None else cores
    return max(1, min(cores, MAX_POSE_LANES[model], count // STILLS_PER_LANE))


def open_together(open_one: Callable, count: int, stack: contextlib.ExitStack) -> list:
    """`count` estimators from `open_one()`, opened at once, each in a thread of its own (a heavy
    one takes a tenth of a second on one core), and entered in `stack`. Should one fail to
    open, its error is raised once the others are in `stack`, which closes them."""
    if count <= 1:
        return [stack.enter_context(open_one()) for _ in range(count)]
    with ThreadPoolExecutor(count) as pool:
        opening = [pool.submit(open_one) for _ in range(count)]
    opened = [stack.enter_context(done.result()) for done in opening if done.exception() is None]
    for done in opening:
        if done.exception() is not None:
            raise done.exception()
    return opened


def pose_stills(frames: Iterable, open_one: Callable, pose_of: Callable, lanes: int = 1) -> list:
    """`pose_of(estimator, frame)` for each of `frames`, in order, on still-image estimators
    from `open_one()`: one as the frames stream in, or `lanes` of them, each in its own thread
    on an equal run of the frames (then held in memory). A still has no tracking history, so
    the results are those of one estimator, however many there are."""
    if lanes <= 1:
        with open_one() as pose:
            return [pose_of(pose, frame) for frame in frames]
    frames = list(frames)
    lanes = max(1, min(lanes, len(frames)))
    out: list = [None] * len(frames)
    cuts = [len(frames) * k // lanes for k in range(lanes + 1)]
    failed = threading.Event()  # one estimator's error stops the others at their next still

    def run(a: int, b: int):
        try:
            with open_one() as pose:
                for i in range(a, b):
                    if failed.is_set():
                        return
                    out[i] = pose_of(pose, frames[i])
        except BaseException:
            failed.set()
            raise

    with ThreadPoolExecutor(lanes) as pool:
        for done in [pool.submit(run, a, b) for a, b in zip(cuts, cuts[1:])]:
            done.result()
    return out


def stretches(duration_s: float, lanes: int) -> list:
    """Where each estimator's stretch starts, in seconds after the clip's first frame, then
    inf; the first starts at -inf, so that no frame time falls outside every stretch. The
    first stretch is longer by the warm-up the others also track, so that every estimator
    has as many frames to do."""
    rest = max(duration_s - POSE_WARM_UP_S, 0.0) / lanes
    return [-float("inf")] + [rest * k + POSE_WARM_UP_S for k in range(1, lanes)] + [float("inf")]


def shared_stretches(t_s: np.ndarray, lanes: int) -> list:
    """`stretches` for estimators that pose the frames at times `t_s` (s, in order, not
    necessarily evenly spaced): the stretches are cut so that each estimator poses as many of
    those frames, counted in frames, with its warm-up's frames before its own (as `stretches`
    does in time). Cut equally, the last had waited on, alone, for its warm-up's frames."""
    if lanes <= 1 or len(t_s) < 2:
        return [-float("inf"), float("inf")]
    since = np.asarray(t_s, float) - t_s[0]
    n = len(since)

    def warm_up(start: int) -> int:  # frames an estimator tracks before its stretch's first
        return start - int(np.searchsorted(since, since[start] - POSE_WARM_UP_S))

    def cut(load: int) -> tuple:  # (stretches' first frames, the last's load) for `load` each before
        starts = [min(load, n - 1)]
        for _ in range(lanes - 2):
            starts.append(min(starts[-1] + max(load - warm_up(starts[-1]), 1), n - 1))
        return starts, n - starts[-1] + warm_up(starts[-1])

    load = next((load for load in range(-(-n // lanes), n) if cut(load)[1] <= load), n)
    return [-float("inf")] + [float(since[start]) for start in cut(load)[0]] + [float("inf")]


NO_PIXELS = np.empty((0, 0, 3), np.uint8)  # a posed frame's picture, let go once every estimator has seen it


class PoseLanes:
    """Pose on several cores: a MediaPipe graph keeps one core busy and releases the GIL.

    The frames are cut into as many stretches as there are estimators (`bounds`: times
    counted from the first frame's, see `stretches` and `shared_stretches`); each estimator,
    in its own thread, tracks its stretch at the full frame rate from `POSE_WARM_UP_S`
    before it, so its landmarks differ from those of one estimator over every frame only by
    tracking history. A thread decodes the frames once and holds each until every estimator
    whose stretch (or warm-up) holds it has posed it, at most `max_frames` at a time: beyond
    that it waits for the estimators to catch up, which they always can, as every frame held
    is one an estimator still needs and the earliest of those is decoded. Iterating gives
    (frame, people) in frame order; the frame comes back without its pixels (`NO_PIXELS`).
    (Estimators that took every other frame instead tracked worse: with heavy, 4 of the 9
    accuracy clips met every target instead of 6.)"""

    def __init__(self, frames: Iterable, poses: list, pose_of: Callable, max_frames: int, bounds: list):
        self.times: list = []  # every frame's time, in decode order
        self.held: dict = {}  # index in decode order -> frame, until every estimator that needs it has posed it
        self.needed: dict = {}  # index -> how many estimators still need it
        self.people: dict = {}
        self.decoded = self.stopped = False
        self.error: BaseException | None = None
        self.cond = threading.Condition()
        self.max_frames = max(1, max_frames)
        self.bounds = bounds
        self.threads = [threading.Thread(target=self._decode, args=(frames,), daemon=True)]
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

    def _needers(self, since_s: float) -> int:
        """How many estimators pose a frame `since_s` after the first one."""
        spans = zip(self.bounds, self.bounds[1:])
        return sum(start - POSE_WARM_UP_S <= since_s < end for start, end in spans)

    def _decode(self, source: Iterable):
        try:
            with contextlib.closing(iter(source)) as frames:
                for frame in frames:
                    with self.cond:
                        self.cond.wait_for(lambda: len(self.held) < self.max_frames or self.stopped or self.error)
                        if self.stopped or self.error:
                            return
                        i = len(self.times)
                        self.times.append(frame.t_s)
                        self.needed[i] = self._needers(frame.t_s - self.times[0])
                        if self.needed[i]:
                            self.held[i] = frame
                        self.cond.notify_all()
        except BaseException as exc:
            self._fail(exc)
        finally:
            with self.cond:
                self.decoded = True
                self.cond.notify_all()

    def _time(self, i: int) -> float | None:
        """Frame i's time once decoded; None after the last frame, or when the pass is ending."""
        with self.cond:
            self.cond.wait_for(lambda: len(self.times) > i or self.decoded or self.stopped or self.error)
            return None if self.stopped or self.error or i >= len(self.times) else self.times[i]

    def _track(self, pose, pose_of, start_s: float, end_s: float):
        try:
            i = 0
            while (t := self._time(i)) is not None and t - self.times[0] < end_s:
                if t - self.times[0] >= start_s - POSE_WARM_UP_S:
                    with self.cond:
                        frame = self.held[i]
                    people = pose_of(pose, frame)
                    with self.cond:
                        if t - self.times[0] >= start_s:
                            self.people[i] = (frame.index, frame.t_s, people)
                        self.needed[i] -= 1
                        if not self.needed[i]:
                            del self.held[i]
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
                    lambda i=i: i in self.people or self.error or (self.decoded and i >= len(self.times))
                )
                if self.error:
                    raise self.error
                if i not in self.people:
                    return
                index, t_s, people = self.people.pop(i)
            yield video.Frame(index, t_s, NO_PIXELS), people
            i += 1

    def close(self) -> None:
        with self.cond:
            self.stopped = True
            self.cond.notify_all()
        for thread in self.threads:
            if thread.is_alive():
                thread.join()


def posed(
    frames: Iterable, poses: list, crop: tuple, max_frames: int = 0, bounds: list | None = None
) -> Iterator[tuple]:
    """(frame, people) for each of `frames` in order: pose in this thread as frames stream in,
    or on `PoseLanes` (holding at most `max_frames` at a time, each estimator on its stretch of
    `bounds`, by default `stretches` of the frames' duration) when there are several."""
    x0, y0, x1, y1 = crop

    def pose_of(pose, frame):
        return pose(frame.rgb[y0:y1, x0:x1], frame.t_s, (x0, y0))

    if len(poses) == 1:
        for frame in frames:
            yield frame, pose_of(poses[0], frame)
        return
    if bounds is None:
        bounds = stretches(frames.info.duration_s, len(poses))
    with contextlib.closing(PoseLanes(frames, poses, pose_of, max_frames, bounds)) as lanes:
        yield from lanes
