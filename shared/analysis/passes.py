"""Pass 1 of the engine, the passes over the video's frames before any series is built.

`scan_lifter` bounds the lifter from a few multi-person looks; `bar_pass` (`BarPass`) runs
the plate tracker, the picture-change, brightness, letterbox and camera-motion readings on
every frame; `pose_pass` runs pose on the frames `focus.pose_frames` picks; `relook` takes
the lifter frame by frame as the pose holding the bar and poses again where nobody does.
`pipeline._measure_lifter` runs them in that order.
"""

from __future__ import annotations

import collections
import contextlib
import itertools
import logging
from collections.abc import Callable, Iterable

import numpy as np

from shared.analysis import accel, timeline, video
from shared.analysis.bar import bar_gray, find_plate
from shared.analysis.camera import CameraMotion
from shared.analysis.lanes import open_together, pose_lanes, pose_stills, posed, shared_stretches, still_lanes
from shared.analysis.lifter import Region, find_lifter_region, nearest_the_bar, pick_at_the_bar, second_look, torso_px
from shared.analysis.pose import open_pose
from shared.analysis.tracker import PlateTracker

log = logging.getLogger(__name__)
SCAN_S, SCAN_EVERY_S = 3.0, 0.6  # the lifter scan: a look every 0.6 s in the first 3 s
# The scan's model: it only bounds the lifter, and full does that in 0.8 s on the 3.3 s speed
# clip against 1.2 s for heavy (timed alone, models loaded), with the same region on the
# accuracy clips.
SCAN_MODEL = "full"
TIME_EPS_S = 1e-6  # frame times are sums of float steps: 0.3 s held over 9 frames at 30 fps is 0.3 s


class BarPass:
    """Pass 1a on every frame: the plate tracker, each frame's `picture_change` and luma
    samples. The tracker is cheap; pose runs here only where it looks for the plate (until
    it is found, and again after it was lost for LOST_AFTER_S), on the frames it searches."""

    LOST_AFTER_S = 0.5  # then search the whole frame again
    BOX_EVERY = 30  # frames between looks for letterbox bars
    SEARCH_EVERY = 3  # frames between full-frame searches while no plate is held
    BACKTRACK_S, BACKTRACK_MB = 4.0, 96  # the frames `_track_back` may go back through
    DRIFT_S = 0.1  # how far back from a loss placings without a rim fit are dropped (`_drop_drift`)
    # A circle found only loosely (`find_plate(loose=True)`) is the plate once the searches in a
    # row have found it over LOOSE_STILL_S, its centre within LOOSE_AGREES of a radius of where it
    # was first found and its size within half that: a plate set down holds still at the hands.
    LOOSE_STILL_S, LOOSE_LOOKS, LOOSE_AGREES = 0.3, 3, 0.1
    # ...and it stays unconfirmed until its silhouette shows on LOOSE_OUTLINES of its frames (or a
    # confirmed find lands within CONFIRMS_RADII of where it is tracked); a track lost, or ended,
    # unconfirmed is dropped.
    LOOSE_OUTLINES, CONFIRMS_RADII = 3, 0.5

    def __init__(self, search_pose: Callable, band: tuple | None = None):
        self.search_pose = search_pose  # frame -> pose candidates (people, 33, 3)
        self.camera = CameraMotion(band)  # the view's motion, on the background outside `band`
        self.tracker: PlateTracker | None = None
        self.lost_since: float | None = None
        self.times: list = []
        self.plates: list = []
        self.luma: list = []
        self.box: tuple | None = None  # (x0, y0, x1, y1): the picture inside letterbox or pillarbox bars
        self.change: list = []
        self._previous = None
        self._loose: list = []  # the searches in a row that found one loose circle: (time, find)
        self._unconfirmed: int | None = None  # the first frame of a track from a loose find, until confirmed
        self._outlines = 0  # the frames of that track where the silhouette showed
        # The frames since the plate was last seen, in grey, for `_track_back`: (frame number in
        # the pass, time, grey, whether it repeats the picture before it)
        self._unseen: collections.deque = collections.deque()

    def see(self, frame: video.Frame) -> None:
        self.camera.see(frame.rgb)
        small = timeline.thumbnail(frame.rgb)
        self.change.append(timeline.picture_change(self._previous, small))
        self._previous = small
        self.times.append(frame.t_s)
        if frame.index % self.BOX_EVERY == 0:  # the picture inside any bars: the smallest bars seen
            x0, y0, x1, y1 = video.picture_box(frame.rgb[::2, ::2])
            box = (2 * x0, 2 * y0, 2 * x1, 2 * y1)
            self.box = (
                box if self.box is None else (*np.minimum(self.box[:2], box[:2]), *np.maximum(self.box[2:], box[2:]))
            )
        if frame.index % 10 == 0:  # brightness of the picture, not of its bars
            x0, y0, x1, y1 = self.box
            self.luma.append(float(frame.rgb[y0:y1:8, x0:x1:8].mean()))
        repeat = timeline.repeats_last(self.change)
        if repeat and self.tracker is not None:  # the same picture again
            self.plates.append(self.plates[-1])
            return
        searching = len(self.plates) % self.SEARCH_EVERY == 0
        if self.tracker is None:
            self._start(self._steady(self._search(frame), frame.t_s) if searching else None, frame, repeat)
            return
        if (
            self._unconfirmed is not None
            and searching
            and self._confirm(self._search(frame, loose=False), frame, repeat)
        ):
            return
        seen = self.tracker.update(frame.rgb, frame.t_s)
        self.plates.append(seen)
        self._remember(frame, repeat, seen)
        self._count_outlines([seen])
        if seen is None and self.lost_since is None:
            self._drop_drift()
        self.lost_since = None if seen else (self.lost_since if self.lost_since is not None else frame.t_s)
        if self.lost_since is not None and frame.t_s - self.lost_since > self.LOST_AFTER_S:
            self.tracker, self.lost_since = None, None
            self._drop_unconfirmed()

    def _drop_drift(self) -> None:
        """Where the tracker has just lost the plate, the frames before that it placed without
        a rim fit (by the template alone, or by the hub) over the last DRIFT_S are how it
        drifted off, not the plate: they are forgotten. (At 360p60 crf 34 a grey plate rising
        past a window's edge: the hub matched a ghost of it that the encoder blended in from an
        earlier frame, then the template held on the edge, 10 px behind by the loss, and the
        step to where it was found again read as 0.5 m/s of speed.)"""
        i, now = len(self.plates) - 2, self.times[-1]
        while i >= 0 and now - self.times[i] <= self.DRIFT_S + TIME_EPS_S and self.plates[i] is not None:
            if not self.plates[i].without_rim:
                break
            self.plates[i] = None
            i -= 1

    def finish(self) -> BarPass:
        """After the last frame: a track that was never confirmed is dropped (`_drop_unconfirmed`)."""
        self._drop_unconfirmed()
        return self

    def _search(self, frame: video.Frame, loose: bool = True):
        """The plate in the hands of the people pose finds on this frame (`find_plate`): the
        first confirmed find, else (with `loose`) the first loose one, else None."""
        first = None
        for person in self.search_pose(frame):
            found = find_plate(frame.rgb, person, loose=loose)
            if found is not None and found.confirmed:
                return found
            first = first or found
        return first

    def _start(self, found, frame: video.Frame, repeat: bool) -> None:
        """Track from this frame's find (and back through the frames before it), or note none."""
        first = self._unseen[0][0] if self._unseen else len(self.plates)  # the earliest frame tracked back to
        self.tracker = PlateTracker(found, frame.rgb, frame.t_s) if found else None
        self.plates.append(found)
        self._remember(frame, repeat, found, fresh=True)
        if found is not None and not found.confirmed:
            self._unconfirmed, self._outlines = first, 0
            self._count_outlines({id(p): p for p in self.plates[first:]}.values())  # tracked back, once each

    def _count_outlines(self, plates: Iterable) -> None:
        """An unconfirmed track is the plate once its silhouette has shown on LOOSE_OUTLINES frames."""
        if self._unconfirmed is not None:
            self._outlines += sum(p is not None and np.isfinite(p.rim_radius_px) for p in plates)
            if self._outlines >= self.LOOSE_OUTLINES:
                self._unconfirmed = None

    def _confirm(self, found, frame: video.Frame, repeat: bool) -> bool:
        """While an unconfirmed track runs, a search's confirmed find where it is tracked
        confirms it; one elsewhere is the plate instead, tracked from here (True)."""
        if found is None:
            return False
        # where the track last placed the plate (this frame's tracker may have missed it)
        last = next((p for p in reversed(self.plates[self._unconfirmed :]) if p is not None), None)
        if (
            last is not None
            and np.hypot(found.x_px - last.x_px, found.y_px - last.y_px) < self.CONFIRMS_RADII * last.radius_px
        ):
            self._unconfirmed = None
            return False
        self._drop_unconfirmed()
        self.lost_since = None
        self._start(found, frame, repeat)
        return True

    def _drop_unconfirmed(self) -> None:
        """Forget the frames of a track that started from a loose find and never showed the
        plate's silhouette (LOOSE_OUTLINES): a crouched lifter's hand, shin and knee make a
        circle that holds as still as a plate set down, and fits a rim on 60 % of the rays."""
        if self._unconfirmed is not None:
            self.plates[self._unconfirmed :] = [None] * (len(self.plates) - self._unconfirmed)
            self._unconfirmed = None

    def _steady(self, found, t_s: float):
        """A search's find, or None for a loose one until it has held still (LOOSE_STILL_S...).
        A grey steel plate on a grey wall at 360p shows no silhouette in the set-up: found only
        against a window overhead, its pull was lost and the lift read from the catch."""
        if found is None or found.confirmed:
            self._loose = []
            return found
        if self._loose:
            first = self._loose[0][1]
            off = np.hypot(found.x_px - first.x_px, found.y_px - first.y_px) / first.radius_px
            if off > self.LOOSE_AGREES or abs(found.radius_px / first.radius_px - 1) > self.LOOSE_AGREES / 2:
                self._loose = []
        self._loose.append((t_s, found))
        if len(self._loose) < self.LOOSE_LOOKS or t_s - self._loose[0][0] < self.LOOSE_STILL_S - TIME_EPS_S:
            return None
        self._loose = []
        return found

    def _remember(self, frame: video.Frame, repeat: bool, seen, fresh: bool = False) -> None:
        """Keep this frame for `_track_back` while the plate is not seen (the last BACKTRACK_S,
        at most BACKTRACK_MB of grey); where it is found afresh, track it back through them."""
        if seen is None:
            self._unseen.append((len(self.plates) - 1, frame.t_s, bar_gray(frame.rgb), repeat))
            budget = max(self.BACKTRACK_MB * 2**20 // self._unseen[0][2].nbytes, 1)
            while len(self._unseen) > budget or frame.t_s - self._unseen[0][1] > self.BACKTRACK_S:
                self._unseen.popleft()
            return
        if fresh and self._unseen:
            self._track_back(seen, frame)
        self._unseen.clear()

    def _track_back(self, found, frame: video.Frame) -> None:
        """The plate found afresh, tracked backwards through the frames since it was last seen,
        until it is lost for LOST_AFTER_S. A plate hard to find (its rim the colour of what is
        behind it, at 360p) may be found only once it moves; the set-up before is then still
        tracked, and liftoff and the rest level with it."""
        back = PlateTracker(found, frame.rgb, -frame.t_s)
        lost_since = None
        filled = []
        for i, t_s, gray, repeat in reversed(self._unseen):
            if repeat:
                filled.append(i)
                continue
            seen = back.update(gray, -t_s)
            self.plates[i] = seen
            lost_since = None if seen else (t_s if lost_since is None else lost_since)
            if lost_since is not None and lost_since - t_s > self.LOST_AFTER_S:
                break
        for i in sorted(filled):  # a repeated picture takes the plate of the one it repeats
            self.plates[i] = self.plates[i - 1]
        self.tracker.learn_shapes(back)


def scan_lifter(clip: video.DecodeOnce, runtime: accel.Runtime) -> Region:
    """The lifter scan: the `lifter.Region` to pose in, from multi-person detections on a
    look every SCAN_EVERY_S in the first SCAN_S (`lifter.find_lifter_region`). It runs once
    per clip, on SCAN_MODEL whatever model pass 1 runs: it only bounds the lifter."""
    info = clip.info
    # The decode starts before the estimator opens (the run's first: half a second on one core).
    # A clip held in memory decodes on, behind the looks, for the passes after; one that is not
    # gets a decode of its own that converts only the frames looked at.
    step = max(1, int(round(info.fps * SCAN_EVERY_S)))
    looks = itertools.takewhile(lambda f: f.t_s <= SCAN_S, clip.every(step))
    with contextlib.closing(video.Prefetched(looks)) as sample:
        with open_pose(runtime, SCAN_MODEL, max_people=3, video=False) as detect:
            return find_lifter_region(sample, detect, find_plate, info.out_width, info.out_height, SCAN_S)


def bar_pass(
    clip: video.DecodeOnce, report: Callable[[float], None], runtime: accel.Runtime, model: str, crop: tuple
) -> BarPass:
    """Pass 1a (`BarPass`) over every frame; its plate searches pose on `model` in `crop`."""
    x0, y0, x1, y1 = crop
    total = max(clip.info.frame_count, 1)
    with open_pose(runtime, model, max_people=getattr(crop, "people", 1), video=False) as pose:
        seen = BarPass(lambda frame: pose(frame.rgb[y0:y1, x0:x1], frame.t_s, (x0, y0)), getattr(crop, "band", None))
        for frame in clip:
            seen.see(frame)
            report((frame.index + 1) / total)
    return seen.finish()


def pose_pass(
    clip: video.DecodeOnce,
    t_s: np.ndarray,
    wanted: np.ndarray,
    report: Callable[[float], None],
    runtime: accel.Runtime,
    model: str,
    crop: tuple,
) -> list:
    """Pass 1b: pose candidates on pose model `model`, in the region `crop` (`scan_lifter`;
    as many people as its `people`),
    for the frames `wanted` (`focus.pose_frames`; `t_s` is every frame's time) and none for
    the others. Pose sees each frame's crop and nothing else. On the CPU, a clip held whole
    (`frame_cache_mb`) gets one pose estimator per core (`lanes.PoseLanes`), each on an equal
    share of the frames. A clip that is not held gets one, posing as frames stream in: more
    would have to hold the frames between their stretches, and each heavy estimator adds
    about 250 MiB, which would more than double the pass's memory."""
    x0, y0, x1, y1 = crop
    people = getattr(crop, "people", 1)
    wanted_t_s = t_s[wanted]
    lanes = pose_lanes(len(wanted_t_s) / max(clip.info.fps, 1e-9), model=model) if clip.all_kept else 1
    candidates = [np.zeros((0, 33, 3), np.float32) for _ in range(len(wanted))]
    count = max(len(wanted_t_s), 1)
    frames = (
        video.Frame(f.index, f.t_s, f.rgb[y0:y1, x0:x1]) for f in clip if f.index < len(wanted) and wanted[f.index]
    )
    crop = (0, 0, x1 - x0, y1 - y0)  # the frames are the crops; the people go back to the frame's pixels below
    with contextlib.ExitStack() as stack:
        poses = []
        if runtime.pose_delegate != "cpu":  # one on the GPU, or the first after falling back from it
            poses.append(stack.enter_context(open_pose(runtime, model, max_people=people)))
        if runtime.pose_delegate == "cpu":
            poses += open_together(lambda: open_pose(runtime, model, max_people=people), lanes - len(poses), stack)
        bounds = shared_stretches(wanted_t_s, len(poses))
        posing = stack.enter_context(contextlib.closing(posed(frames, poses, crop, len(wanted), bounds)))
        for done, (frame, people) in enumerate(posing, 1):
            people[..., 0] += x0
            people[..., 1] += y0
            candidates[frame.index] = people
            report(done / count)
    return candidates


def relook(
    clip: video.DecodeOnce,
    track: np.ndarray,
    candidates: list,
    bar_px: np.ndarray,
    frames: np.ndarray,
    t_s: np.ndarray,
    runtime: accel.Runtime,
    model: str,
    crop: tuple,
) -> np.ndarray:
    """The lifter's `track` (samples, 33, 3) taken sample by sample from the pose holding the
    bar (`lifter.pick_at_the_bar`). The frames where no pose of pass 1 holds it and that are
    worth it (`lifter.second_look`) are posed again as still images, for two people, and the
    one holding the bar taken: on a clip held in memory, on a still-image estimator per core
    (`lanes.still_lanes`), as pass 1's pose does. `frames` are the samples' frame indices and
    `t_s` their times."""
    track, lacking = pick_at_the_bar(track, candidates, bar_px)
    torso = torso_px(track)
    lacking = second_look(lacking, bar_px, t_s, torso, getattr(crop, "people", 1))
    if not lacking.any():
        return track
    wanted = {int(frames[i]): i for i in np.flatnonzero(lacking)}
    x0, y0, x1, y1 = crop

    def frames_wanted():  # in order, stopping at the last one wanted
        left = len(wanted)
        with contextlib.closing(iter(clip)) as every:
            for frame in every:
                if frame.index in wanted:
                    yield frame
                    left -= 1
                    if not left:
                        return

    def holding(pose, frame):
        people = pose(frame.rgb[y0:y1, x0:x1], frame.t_s, (x0, y0))
        return wanted[frame.index], nearest_the_bar(people, bar_px[wanted[frame.index]], torso)

    lanes = still_lanes(len(wanted), model=model) if clip.all_kept and runtime.pose_delegate == "cpu" else 1
    with contextlib.closing(frames_wanted()) as stills:  # closed at once, should pose fail
        seen = pose_stills(stills, lambda: open_pose(runtime, model, max_people=2, video=False), holding, lanes)
    found = 0
    for i, lifter in seen:
        if lifter is not None:
            track[i], found = lifter, found + 1
    log.info("posed %d frames again where no pose held the bar; %d had the lifter", len(wanted), found)
    return track
