"""Timeline: which frames of a clip hold distinct pictures of the lift, and when each was taken.

Video as people send it is not one picture per frame of one continuous shot:

- Film made at 24 or 25 pictures a second and put in a 50 or 60 fps file repeats each
  picture two or three times. Motion measured frame by frame then reads zero on the
  repeats and a jump on the next new picture. Each picture is measured once instead, on
  the first frame that shows it, and every frame carries the value of the picture it
  shows. The plate tracker skips a repeated picture as it arrives (`repeats_last`): a
  tracker that saw the bar stop on a repeat would lose the plate on the next new picture.
  A picture's first frame comes up to a frame after it was taken, so first frames' times
  put the pictures on an uneven clock (2, 3, 2, 3 frames apart for 24 in 60: steps a fifth
  off, alternately long and short, and the rendered clip's peak speed 0.07 m/s low). The
  camera took them on a steady cadence, so each picture's time is read off a straight line
  through the first frames of the pictures round it (`on_cadence`). The middle of the time
  a picture is shown was tried as its time before that: further off still.
- An edited clip cuts to another shot. The shot analysed is the one where the bar was
  tracked most; the frames of the others carry no measurement.

A frame repeats the one before when its picture changed by less than REPEAT_SHARE of the
largest change nearby; the clip has a repeating cadence when, where things move, at least
CADENCE_SHARE of frames repeat. Sporadic repeats (a frame doubled to fill a dropped one)
are counted, and their frames kept.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from shared.analysis.camera import STILL_PX
from shared.analysis.timebase import TimeBase

if TYPE_CHECKING:
    from shared.analysis.measure import Measured
    from shared.analysis.phases import PhaseResult

REPEAT_SHARE = 0.15  # a picture that changed this little against its neighbours' changes repeats
MOTION_LEVEL = 0.5  # grey levels of mean change between pictures (thumbnail): something moves
NEIGHBOURS = 3  # frames each side that set the local change level
CADENCE_SHARE = 0.25  # where things move, this share of repeats is a cadence (2 or 3 frames a picture)
CUT_LEVEL = 25.0  # grey levels of mean change: a new scene, not motion
CUT_OVER_MOTION = 8.0  # and this many times the largest change round it
CADENCE_FIT = 6  # pictures each side whose first frames set a picture's time on the cadence


def picture_change(previous: np.ndarray | None, current: np.ndarray) -> float:
    """Mean absolute grey-level change between two frames' thumbnails (inf for the first)."""
    if previous is None or previous.shape != current.shape:
        return float("inf")
    return float(np.abs(current.astype(np.float32) - previous.astype(np.float32)).mean())


def repeats_last(changes: list) -> bool:
    """Whether the latest of a clip's `picture_change`s so far shows the picture before it
    again, judged on the changes before it (as frames arrive, for the tracker: a repeated
    picture tells it nothing, and its motion model must not see the bar stop)."""
    before = [c for c in changes[-1 - NEIGHBOURS : -1] if np.isfinite(c)]
    return bool(before) and changes[-1] < REPEAT_SHARE * max(before)


def thumbnail(rgb: np.ndarray) -> np.ndarray:
    """A quarter-size green channel: enough to tell a new picture from a repeat, cheaply."""
    return rgb[::4, ::4, 1]


@dataclass
class Timeline:
    """The measured samples of a clip: `frames` (increasing frame indices: the first frame of
    each distinct picture of the shot analysed), and for every frame the sample it shows
    (`of_frame`, -1 outside the shot analysed); `frame_t_s` are the frames' times."""

    frames: np.ndarray
    of_frame: np.ndarray
    frame_t_s: np.ndarray
    repeated_share: float = 0.0  # of the frames where things move
    content_fps: float | None = None  # distinct pictures a second where things move, on a cadence
    cut_frames: tuple = ()  # frames that start a new shot
    shot: tuple = (0, 0)  # (first, last) frame of the shot analysed
    clock: TimeBase = field(default_factory=TimeBase)  # how frame_t_s was corrected (`retimed`)
    file_fps: float | None = None  # frames a second in the file, where it moves
    view_px: np.ndarray | None = None  # (samples, 2): how far the room moved in the picture (`viewed`)
    picture_box: tuple | None = None  # (x0, y0, x1, y1) inside letterbox or pillarbox bars; None: the frame
    taken_s: np.ndarray | None = None  # when each sample's picture was taken (`on_cadence`); None: its first frame

    def __post_init__(self):
        if self.view_px is None:
            self.view_px = np.zeros((len(self.frames), 2))
        if self.file_fps is None:
            dt = np.diff(self.frame_t_s)
            self.file_fps = float(1 / np.median(dt)) if len(dt) and np.median(dt) > 0 else None

    @property
    def t_s(self) -> np.ndarray:
        """Each sample's time: when its picture was taken where the pictures come on a cadence,
        else that of the first frame showing it."""
        return self.frame_t_s[self.frames] if self.taken_s is None else self.taken_s

    @property
    def whole(self) -> bool:
        """Every frame is its own sample."""
        return len(self.frames) == len(self.frame_t_s)

    def viewed(self, shifts_px: np.ndarray) -> Timeline:
        """This timeline with the camera's motion (`camera.CameraMotion.shifts_px`, every frame's)
        on its samples, from the shot's first frame; none for a view that stayed within
        `camera.STILL_PX` through the shot."""
        view = np.asarray(shifts_px, float)[self.frames]
        view = view - np.asarray(shifts_px, float)[self.shot[0]]
        if not len(view) or np.abs(view).max() <= STILL_PX:
            view = np.zeros_like(view)
        return dataclasses.replace(self, view_px=view)

    def retimed(self, t_s: np.ndarray, clock: TimeBase) -> Timeline:
        """This timeline with its samples at times `t_s` (`timebase.correct`): every frame's
        time moves with its neighbouring samples', and before and after the shot at their mean pace."""
        old, t_s = self.t_s, np.asarray(t_s, float)
        frame_t = np.interp(self.frame_t_s, old, t_s)
        pace = (t_s[-1] - t_s[0]) / (old[-1] - old[0]) if old[-1] > old[0] else 1.0
        before, after = self.frame_t_s < old[0], self.frame_t_s > old[-1]
        frame_t[before] = t_s[0] + (self.frame_t_s[before] - old[0]) * pace
        frame_t[after] = t_s[-1] + (self.frame_t_s[after] - old[-1]) * pace
        taken = None if self.taken_s is None else t_s
        return dataclasses.replace(self, frame_t_s=frame_t, clock=clock, taken_s=taken)

    def last_frame(self, k: int) -> int:
        """The last frame showing sample k."""
        return int(np.flatnonzero(self.of_frame == k)[-1])

    def to_frames(self, values: np.ndarray) -> np.ndarray:
        """Per-sample values (samples, ...) spread over every frame, NaN outside the shot."""
        values = np.asarray(values, dtype=float)
        out = values[np.clip(self.of_frame, 0, None)]
        out[self.of_frame < 0] = np.nan
        return out

    def onto_frames(self, s: Measured, lifter: np.ndarray, bar_px: np.ndarray) -> tuple:
        """Series measured on the samples (`measure.Measured`, changed in place) and
        the lifter's and bar's pixels, put back on every frame of the video: each frame carries
        its sample's values, frames outside the shot none. Returns the frames' (t, lifter, bar_px)."""
        for group in ("bar", "keypoints", "angles", "body", "near", "bar_raw"):
            setattr(s, group, {k: self.to_frames(v) for k, v in getattr(s, group).items()})
        s.lifter_px = self.to_frames(s.lifter_px)
        return self.frame_t_s, self.to_frames(lifter), self.to_frames(bar_px)

    def phases_onto_frames(self, phases: PhaseResult) -> PhaseResult:
        """Phases and landmarks found on the samples, on the video's frames."""
        frame = lambda k: int(self.frames[k])  # noqa: E731
        t = self.frame_t_s
        ends = [frame(p.end_frame) for p in phases.phases[:-1]] + [self.last_frame(phases.phases[-1].end_frame)]
        moved = [
            dataclasses.replace(
                p,
                start_frame=frame(p.start_frame),
                end_frame=end,
                start_s=float(t[frame(p.start_frame)]),
                end_s=float(t[end]),
            )
            for p, end in zip(phases.phases, ends)
        ]
        return dataclasses.replace(phases, phases=moved, landmarks={k: frame(v) for k, v in phases.landmarks.items()})

    def warnings(self) -> list:
        """A quality warning for each way the video departs from one picture per frame of one shot."""
        out = self.clock.warnings()
        moved = np.abs(self.view_px).max(axis=0) if len(self.view_px) else np.zeros(2)
        if moved.any():
            out.append(
                {
                    "code": "camera_moved",
                    "message": (
                        f"The camera moved during the clip (up to {moved[0]:.0f} px across and {moved[1]:.0f} px up "
                        "or down); the bar and the body were measured against the background, not the frame. A "
                        "camera held still gives the most exact path."
                    ),
                }
            )
        if self.content_fps:
            out.append(
                {
                    "code": "repeated_frames",
                    "message": (
                        f"The video repeats its pictures: about {self.content_fps:.0f} distinct pictures a second in a "
                        f"{self.file_fps:.0f} fps file. The bar was tracked on the distinct pictures, each timed on "
                        "the camera's steady cadence; film at the camera's own frame rate for the most exact speeds."
                    ),
                }
            )
        if self.cut_frames:
            cuts = ", ".join(map(str, self.cut_frames))
            out.append(
                {
                    "code": "scene_cut",
                    "message": (
                        f"The video cuts to another shot (at frame {cuts}); only frames {self.shot[0]}-{self.shot[1]}, "
                        "the shot with the bar, were analysed. Upload one continuous shot of the lift."
                    ),
                }
            )
        return out

    def to_dict(self) -> dict:
        return {
            "repeated_frames_pct": round(100 * self.repeated_share, 1),
            "content_fps": None if self.content_fps is None else round(self.content_fps, 2),
            "scene_cuts": [int(c) for c in self.cut_frames],
            "shot_frames": [int(self.shot[0]), int(self.shot[1])],
            "clock": self.clock.to_dict(),
            "camera_moved_px": [round(float(v), 1) for v in np.abs(self.view_px).max(axis=0)]
            if len(self.view_px)
            else [0.0, 0.0],
        }


def _around(x: np.ndarray, k: int, side: int) -> np.ndarray:
    """The largest of the k values before (side -1) or after (side +1) each one, 0 at the ends."""
    padded = np.concatenate([np.zeros(k), x, np.zeros(k)])
    windows = np.lib.stride_tricks.sliding_window_view(padded, k)
    return windows[: len(x)].max(axis=1) if side < 0 else windows[k + 1 : k + 1 + len(x)].max(axis=1)


def scene_cuts(change: np.ndarray) -> list:
    """Frames whose picture differs from the last one as a new scene does: by over CUT_LEVEL,
    and by CUT_OVER_MOTION times the most the picture changes in the frames round it."""
    c = np.where(np.isfinite(change), change, 0.0)
    around = np.maximum(_around(c, NEIGHBOURS, -1), _around(c, NEIGHBOURS, +1))
    return [int(i) for i in np.flatnonzero((c > CUT_LEVEL) & (c > CUT_OVER_MOTION * around))]


def on_cadence(first_s: np.ndarray, frame_s: float) -> np.ndarray:
    """When each picture was taken, from the time of the first frame showing it (`first_s`,
    increasing) in a file of frames `frame_s` apart. Pictures shown on two frames or more lie
    on the camera's cadence: each is put on a straight line through the first frames of the
    CADENCE_FIT such pictures each side (below), no later than its first frame and no earlier
    than the frame before (where it could not yet be shown). A picture on one frame between
    others on one frame (a still scene read frame by frame) keeps its frame's time."""
    first_s = np.asarray(first_s, float)
    n = len(first_s)
    taken = first_s.copy()
    gaps = np.round(np.diff(first_s) / frame_s)
    single = np.r_[gaps[:1] <= 1, (gaps[:-1] <= 1) & (gaps[1:] <= 1), gaps[-1:] <= 1] if n > 1 else np.ones(n, bool)
    paced = np.flatnonzero(~single)
    for at, k in enumerate(paced):
        near = paced[max(0, at - CADENCE_FIT) : at + CADENCE_FIT + 1]
        if len(near) >= 3:
            steps = near - k
            slope = np.polyfit(steps, first_s[near], 1)[0]
            # Each first frame comes up to a frame after its picture was taken: the line lies
            # between the latest place where no first frame comes before it and the earliest
            # where none is a frame or more after it, and is put midway (the midway point moves
            # smoothly as the two clocks drift against each other; either end jumps).
            lags = first_s[near] - slope * steps
            taken[k] = (lags.min() + lags.max() - frame_s) / 2
    taken = np.clip(taken, first_s - frame_s + 1e-6, first_s)
    # Two pictures under half a frame apart are not on one cadence (a still stretch where a
    # repeat was read as a new picture put two on one time, and the speeds through that near
    # division by zero read 10-15 m/s): both keep their first frames' times, a frame or more apart.
    while len(close := np.flatnonzero(np.diff(taken) < frame_s / 2)):  # ends: first_s are a frame apart
        taken[close], taken[close + 1] = first_s[close], first_s[close + 1]
    return taken


def build(t: np.ndarray, change: np.ndarray, tracked: np.ndarray) -> Timeline:
    """The timeline of a clip from its frame times, each frame's `picture_change` and whether
    the bar was tracked in it."""
    t, change, tracked = np.asarray(t, float), np.asarray(change, float), np.asarray(tracked, bool)
    n = len(t)
    cuts = scene_cuts(change)
    bounds = [0, *cuts, n]
    shots = [(a, b - 1) for a, b in zip(bounds[:-1], bounds[1:])]
    first, last = max(shots, key=lambda s: (tracked[s[0] : s[1] + 1].sum(), s[1] - s[0]))
    c = np.where(np.isfinite(change), change, 0.0)[first : last + 1]
    level = np.maximum(np.maximum(_around(c, NEIGHBOURS, -1), _around(c, NEIGHBOURS, +1)), c)
    # moving: the picture changes in every stretch of frames round it, not in a lone frame
    # (a key frame's refresh in a still clip)
    moving = np.minimum(_around(level, NEIGHBOURS, -1), _around(level, NEIGHBOURS, +1)) >= MOTION_LEVEL
    repeat = c < REPEAT_SHARE * level
    repeat[0] = False  # a shot's first frame is a new picture
    share = float(repeat[moving].mean()) if moving.any() else 0.0
    of_frame = np.full(n, -1)
    content = None
    if share >= CADENCE_SHARE:
        starts = np.flatnonzero(~repeat & moving)
        gaps = np.diff(starts)
        steps = np.diff(t[first : last + 1][starts])[gaps <= 4]  # new pictures in one stretch of motion
        content = float(1 / np.mean(steps)) if len(steps) else None
    if content:
        # Each picture measured once, at the first frame that shows it. A picture is shown on at
        # most ceil(file rate / picture rate) frames; a longer run of unchanged frames is a still
        # scene (an encoder's identical frames), whose frames stand as their own samples.
        frame_s = float(np.median(np.diff(t[first : last + 1])))
        longest = int(np.ceil(1 / (frame_s * content) - 1e-6))
        new = ~repeat
        run = 0
        for i in range(len(new)):
            run = 0 if new[i] else run + 1
            if run >= longest:
                new[i], run = True, 0
        starts = np.flatnonzero(new) + first
        of_frame[first : last + 1] = np.cumsum(new) - 1
        return Timeline(
            starts, of_frame, t, share, content, tuple(cuts), (first, last), taken_s=on_cadence(t[starts], frame_s)
        )
    frames = np.arange(first, last + 1)
    of_frame[frames] = np.arange(len(frames))
    return Timeline(frames, of_frame, t, share, content, tuple(cuts), (first, last))
