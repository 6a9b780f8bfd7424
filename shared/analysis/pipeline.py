"""The engine: video -> frames(t) -> pose + bar -> kinematics -> phases -> metrics -> render.

`analyze(video_path, options, on_progress)` runs it and returns a `Result`. With
`options.out_dir` set it also writes result.json, analyzed.mp4 and the phase JPEGs,
all-or-nothing: they are written to a temporary folder and moved into place at the end.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import json
import logging
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from shared.analysis import accel, focus, model_policy, timebase, timeline, video
from shared.analysis.bar import PlateTracker, find_plate
from shared.analysis.camera import CameraMotion
from shared.analysis.errors import NoLifterFound, VideoTooShort
from shared.analysis.kinematics import ground_reaction_force
from shared.analysis.lanes import pose_lanes, posed, shared_stretches
from shared.analysis.lifter import (
    Region,
    choose_lifter,
    find_lifter_region,
    link_tracks,
    nearest_the_bar,
    pick_at_the_bar,
    torso_px,
)
from shared.analysis.measure import DEFAULT_BODY_MASS_KG, build_series
from shared.analysis.metrics import find_faults, lift_metrics
from shared.analysis.model_policy import DEFAULT_POSE_MODEL, POSE_CHOICES, pose_models
from shared.analysis.phases import PhaseResult, bar_off_floor, find_lift_phases, primary_lift
from shared.analysis.pose import LONGEST_CLIP_S, model_path, open_pose
from shared.analysis.quality import assess, pose_coverage
from shared.lifts import EXERCISES
from shared.lifts import JOINTS as ANGLE_CHOICES

# 2.0: scale in display pixels with its uncertainty and the camera's turn, bar.x_px / y_px,
# liftoff fitted on the raw track, max_GRF in the pull and max_GRF_catch, quality.sources
# 2.1: repeated pictures skipped by the tracker, scene cuts (the lift's shot), quality.timeline
# 2.2: every lift in the clip (lifts[], quality.lifts), forward lengths corrected for the
# camera's turn, spikes judged to the pixel; the bar pass first, then pose on every frame
# only in and around the lifts (runtime.posed_share)
# 2.3: the lift's own clock (slow motion, lost pictures: quality.timeline.clock, the
# slow_motion refusal), the lifter taken frame by frame as the pose holding the bar, the
# camera's motion taken out (quality.timeline.camera_moved_px), the scale along the path
# (scale.perspective_pct_per_m)
ENGINE_VERSION = "2.3.0"
log = logging.getLogger(__name__)
SCAN_S, SCAN_EVERY_S = 3.0, 0.6  # the lifter scan: a look every 0.6 s in the first 3 s
# The scan's model: it only bounds the lifter, and full does that in 0.8 s on the 3.3 s speed
# clip against 1.2 s for heavy (timed alone, models loaded), with the same region on the
# accuracy clips.
SCAN_MODEL = "full"
ProgressFn = Callable[[float, str], None]


@dataclass
class AnalysisOptions:
    """What the user tells us about the lift. Masses in kg, heights in m."""

    exercise: str = "snatch"
    bar_mass_kg: float = 100.0
    body_mass_kg: float | None = None
    lifter_height_m: float | None = None
    # Where the two above came from, for quality.sources: "given" (the CLI), "profile" (the job)
    measurements_source: str = "given"
    joints: tuple = ("all",)
    pose_model: str = DEFAULT_POSE_MODEL
    max_duration_s: float = 300.0
    max_long_side_px: int = 1280
    render: bool = True
    out_dir: str | None = None
    accel: str = "auto"  # auto | cpu | gpu; see accel.py
    frame_cache_mb: float = 768.0  # a clip whose decoded frames fit is held: pose on every core, no 2nd decode

    def __post_init__(self):
        if self.exercise not in EXERCISES:
            raise ValueError(f"exercise must be one of {', '.join(EXERCISES)}")
        if not (np.isfinite(self.frame_cache_mb) and self.frame_cache_mb >= 0):
            raise ValueError("frame_cache_mb must be a number >= 0 (0 keeps no frames)")
        for name in ("bar_mass_kg", "body_mass_kg", "lifter_height_m", "max_duration_s"):
            value = getattr(self, name)
            if (value is not None or name == "bar_mass_kg") and not (
                value is not None and np.isfinite(value) and value > 0
            ):
                raise ValueError(f"{name} must be a positive number")
        if self.max_duration_s > LONGEST_CLIP_S:
            raise ValueError(f"max_duration_s must be at most {LONGEST_CLIP_S:.0f} (a day)")
        if self.pose_model not in POSE_CHOICES:
            raise ValueError(
                f"pose_model (LIFTLAB_POSE_MODEL) must be one of {', '.join(POSE_CHOICES)}, not {self.pose_model!r}"
            )
        for model in pose_models(self.pose_model) + (SCAN_MODEL,):  # the scan runs full whatever pass 1 runs
            if not model_path(model).exists():
                raise ValueError(f"the {model} pose model is not built here: run `make models`")
        bad = [j for j in self.joints if j not in ANGLE_CHOICES + ("all",)]
        if bad:
            raise ValueError(f"unknown joints {bad}; choose from {', '.join(ANGLE_CHOICES)} or all")
        self.accel = accel.parse_mode(self.accel)


@dataclass
class Result:
    """Engine output; `to_dict()` is the result.json contract (SI units)."""

    data: dict
    lifter_px: np.ndarray = field(repr=False, default=None)
    bar_px: np.ndarray = field(repr=False, default=None)
    bar_raw: dict = field(repr=False, default=None)  # unsmoothed bar x/height (m), for filter studies
    rim_radius_px: np.ndarray = field(repr=False, default=None)
    outputs: dict = field(default_factory=dict)

    def __getitem__(self, key):
        return self.data[key]

    def to_dict(self) -> dict:
        return self.data


def _progress(on_progress: ProgressFn | None):
    return on_progress or (lambda pct, stage: None)


# The progress a caller sees, declared once: each stage's span of 0-100 %. Pass 1 is most of
# the work; with a second pose model to try it gets the first FIRST_MODEL_SHARE of the
# measuring span and the second the rest, so progress never goes back.
PROGRESS_SPANS = {"decoding": (0.0, 3.0), "measuring": (3.0, 80.0), "phases": (80.0, 85.0), "rendering": (85.0, 100.0)}
FIRST_MODEL_SHARE = 0.8
BAR_PASS_SHARE = 0.15  # of the measuring span: the bar pass, before pose
SET_UP_S = 0.5  # before the bar leaves its rest: the lifter holds it in the start position
RELOOK_MIN = 10  # frames nobody held the bar in, with nobody seen beside the lifter, worth a second look
RELOOK_RUN_S = 0.8  # and only in stretches this long: a dropped bar falls from 2 m in 0.64 s


def at(progress: ProgressFn, stage: str, lo: float = 0.0, hi: float = 1.0) -> Callable[[float], None]:
    """A reporter of `fraction` done (0-1) of the part [lo, hi] of `stage`'s span."""
    start, end = PROGRESS_SPANS[stage]

    def report(fraction: float) -> None:
        share = lo + (hi - lo) * min(max(fraction, 0.0), 1.0)
        progress(start + (end - start) * share, stage)

    return report


class BarPass:
    """Pass 1a on every frame: the plate tracker, each frame's `picture_change` and luma
    samples. The tracker is cheap; pose runs here only where it looks for the plate (until
    it is found, and again after it was lost for LOST_AFTER_S), on the frames it searches."""

    LOST_AFTER_S = 0.5  # then search the whole frame again
    BOX_EVERY = 30  # frames between looks for letterbox bars
    SEARCH_EVERY = 3  # frames between full-frame searches while no plate is held

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
        if timeline.repeats_last(self.change) and self.tracker is not None:  # the same picture again
            self.plates.append(self.plates[-1])
            return
        if self.tracker is None:
            found = None
            if len(self.plates) % self.SEARCH_EVERY == 0:
                people = self.search_pose(frame)
                found = next(filter(None, (find_plate(frame.rgb, p) for p in people)), None)
            self.tracker = PlateTracker(found, frame.rgb, frame.t_s) if found else None
            self.plates.append(found)
            return
        seen = self.tracker.update(frame.rgb, frame.t_s)
        self.plates.append(seen)
        self.lost_since = None if seen else (self.lost_since if self.lost_since is not None else frame.t_s)
        if self.lost_since is not None and frame.t_s - self.lost_since > self.LOST_AFTER_S:
            self.tracker, self.lost_since = None, None


def scan_lifter(clip: video.DecodeOnce, runtime: accel.Runtime) -> Region:
    """The lifter scan: the `lifter.Region` to pose in, from multi-person detections on a
    look every SCAN_EVERY_S in the first SCAN_S (`lifter.find_lifter_region`). It runs once
    per clip, on SCAN_MODEL whatever model pass 1 runs: it only bounds the lifter."""
    info = clip.info
    with open_pose(runtime, SCAN_MODEL, max_people=3, video=False) as detect:
        # Its own decode, converting only the frames it looks at, ahead of the detections and
        # no further than it looks; pass 1 then decodes every frame while pose runs.
        step = max(1, int(round(info.fps * SCAN_EVERY_S)))
        looks = itertools.takewhile(lambda f: f.t_s <= SCAN_S, video.frames(clip.path, info, step=step))
        with contextlib.closing(video.prefetched(looks)) as sample:
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
    return seen


def pose_pass(
    clip: video.DecodeOnce,
    t_s: np.ndarray,
    wanted: np.ndarray,
    options: AnalysisOptions,
    report: Callable[[float], None],
    runtime: accel.Runtime,
    model: str,
    crop: tuple,
) -> list:
    """Pass 1b: pose candidates on pose model `model`, in the region `crop` (`scan_lifter`;
    as many people as its `people`),
    for the frames `wanted` (`focus.pose_frames`; `t_s` is every frame's time) and none for
    the others. On the CPU they get one pose estimator per core (`lanes.PoseLanes`), each on
    an equal share of them, holding at most `frame_cache_mb` of frames at a time, and only
    each frame's crop: pose sees nothing else."""
    x0, y0, x1, y1 = crop
    people = getattr(crop, "people", 1)
    budget = int(options.frame_cache_mb * 2**20 // max((x1 - x0) * (y1 - y0) * 3, 1))
    wanted_t_s = t_s[wanted]
    lanes = pose_lanes(len(wanted_t_s) / max(clip.info.fps, 1e-9), model=model)
    candidates = [np.zeros((0, 33, 3), np.float32) for _ in range(len(wanted))]
    count = max(len(wanted_t_s), 1)
    frames = (
        video.Frame(f.index, f.t_s, np.ascontiguousarray(f.rgb[y0:y1, x0:x1]))
        for f in clip
        if f.index < len(wanted) and wanted[f.index]
    )
    crop = (0, 0, x1 - x0, y1 - y0)  # the frames are the crops; the people go back to the frame's pixels below
    with contextlib.ExitStack() as stack:
        poses = [stack.enter_context(open_pose(runtime, model, max_people=people))]
        if runtime.pose_delegate == "cpu":
            poses += [stack.enter_context(open_pose(runtime, model, max_people=people)) for _ in range(lanes - 1)]
        bounds = shared_stretches(wanted_t_s, len(poses))
        posing = stack.enter_context(contextlib.closing(posed(frames, poses, crop, budget, bounds)))
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
    bar (`lifter.pick_at_the_bar`). Where no pose of pass 1 holds it, the frame is posed
    again as a still image, for two people, and the one holding the bar taken: every such
    frame when someone was seen beside the lifter (`crop.people`), else only those with the
    bar in the air (half a torso over where it rests) or in the SET_UP_S before it leaves,
    where someone must hold it but for a drop, and only in stretches of RELOOK_RUN_S or
    more, RELOOK_MIN frames in all (a drop's few frames are not worth loading a model for).
    `frames` are the samples' frame indices and `t_s` their times."""
    track, lacking = pick_at_the_bar(track, candidates, bar_px)
    torso = torso_px(track)
    if not getattr(crop, "people", 1) > 1:  # nobody was seen beside him: only where someone must hold the bar
        with np.errstate(invalid="ignore"):
            in_air = bar_px[:, 1] < np.nanpercentile(bar_px[:, 1], 95) - torso / 2
        lifted_at = t_s[in_air]
        set_up = np.array([((lifted_at > t) & (lifted_at <= t + SET_UP_S)).any() for t in t_s], bool)
        lacking &= in_air | set_up
        lacking &= _in_runs_of(lacking, t_s, RELOOK_RUN_S)  # a drop is over in a moment
        if lacking.sum() < RELOOK_MIN:
            return track
    if not lacking.any():
        return track
    wanted = {int(frames[i]): i for i in np.flatnonzero(lacking)}
    x0, y0, x1, y1 = crop
    found = 0
    with open_pose(runtime, model, max_people=2, video=False) as pose:
        for frame in clip:
            i = wanted.get(frame.index)
            if i is not None:
                holding = nearest_the_bar(pose(frame.rgb[y0:y1, x0:x1], frame.t_s, (x0, y0)), bar_px[i], torso)
                if holding is not None:
                    track[i], found = holding, found + 1
    log.info("posed %d frames again where no pose held the bar; %d had the lifter", len(wanted), found)
    return track


def _in_runs_of(mask: np.ndarray, t_s: np.ndarray, seconds: float) -> np.ndarray:
    """`mask` kept only in runs of consecutive True samples that last at least `seconds`."""
    out = np.zeros_like(mask)
    starts = np.flatnonzero(mask & ~np.r_[False, mask[:-1]])
    ends = np.flatnonzero(mask & ~np.r_[mask[1:], False])
    for a, b in zip(starts, ends):
        out[a : b + 1] = t_s[b] - t_s[a] >= seconds
    return out


def analyze(
    video_path: str | Path, options: AnalysisOptions | None = None, on_progress: ProgressFn | None = None
) -> Result:
    options = options or AnalysisOptions()
    progress = _progress(on_progress)
    warnings: list = []
    info = video.probe(video_path, options.max_duration_s, options.max_long_side_px)
    progress(0.0, "decoding")
    runtime = accel.plan(options.accel)
    clip = video.DecodeOnce(video_path, info, warnings, _frames_to_keep(info, options))
    try:
        result = _analyze(clip, options, progress, warnings, runtime)
    finally:
        clip.release()
    progress(100.0, "done")
    return result


def _analyze(
    clip: video.DecodeOnce, options: AnalysisOptions, progress: ProgressFn, warnings: list, runtime: accel.Runtime
) -> Result:
    info = clip.info
    model, coverage, (t, lifter, bar_px, radius_px, aspect, outline, luma, shot, posed) = _measure_lifter(
        clip, options, progress, runtime
    )
    view = shot.view_px  # measured against the room; drawn on the frames
    in_room = lifter.copy()
    in_room[..., :2] -= view[:, None, :]
    s = build_series(
        t,
        in_room,
        bar_px - view,
        radius_px,
        options,
        rim_aspect=aspect,
        frame_long_side_px=max(info.out_width, info.out_height),
        outline_measured=outline,
    )
    warnings += s.pop("warnings")
    s["lifter_px"][..., :2] += view[:, None, :]
    at(progress, "phases")(0.5)
    lifts = find_lift_phases(
        t, s["bar"]["height_m"], s["bar"]["vy_mps"], s["near"]["kne"], options.exercise, h_raw=s["bar_raw"]["height_m"]
    )
    off_floor = np.logical_or.reduce([bar_off_floor(s["bar"]["height_m"], p) for p in lifts])
    s["body"]["grf_N"] = ground_reaction_force(
        s["com_acc_mps2"], s["bar"]["force_N"], options.body_mass_kg or DEFAULT_BODY_MASS_KG, off_floor
    )
    if not shot.whole:  # measured on distinct pictures: back onto the video's frames
        t, lifter, bar_px = shot.onto_frames(s, lifter, bar_px)
        lifts = [shot.phases_onto_frames(p) for p in lifts]
        radius_px = shot.to_frames(radius_px)
    primary = primary_lift(lifts)
    phases = lifts[primary]
    lifter_px = s["lifter_px"]
    to_display = info.display_per_analysis_px
    display_w, display_h = info.display_size
    bar = {k2: _round(v) for k2, v in s["bar"].items()}
    bar.update(x_px=_round(bar_px[:, 0] * to_display[0], 1), y_px=_round(bar_px[:, 1] * to_display[1], 1))
    data = {
        "engine_version": ENGINE_VERSION,
        "exercise": options.exercise,
        "bar_mass_kg": options.bar_mass_kg,
        "video": {
            "width": display_w,
            "height": display_h,
            "rotation": info.rotation,
            "pixel_aspect": round(info.pixel_aspect, 4),
            "analysis_width": info.out_width,
            "analysis_height": info.out_height,
            "fps": info.fps,
            "duration_s": info.duration_s,
            "codec": info.codec,
            "frames": len(t),
            "picture_box": _display_box(shot.picture_box, to_display, (display_w, display_h)),
        },
        "timestamps_s": _round(t, 4),
        "scale": {
            **s["scale"],
            "px_per_m": round(s["scale"]["px_per_m"] * float(np.sqrt(np.prod(to_display))), 3),
            "pixels": "display",
        },
        "bar": bar,
        "keypoints": {k2: _round(v, 4) for k2, v in s["keypoints"].items()},
        "angles": {k2: _round(v, 1) for k2, v in s["angles"].items()},
        "body": {k2: _round(v) for k2, v in s["body"].items()},
        "phases": [p.to_dict() for p in phases.phases],
        "landmarks": phases.landmarks,
        "metrics": lift_metrics(t, s["bar"], s["body"], phases, s["lifter_height_m"], _measured(s)),
        "faults": find_faults(t, s["bar"], s["near"], phases),
        "lifts": [_lift(k, t, s, p) for k, p in enumerate(lifts)],
        "quality": assess(info, t, lifter, bar_px, s, luma, phases, warnings, options, coverage[model]),
        "runtime": {
            **runtime.to_dict(),
            "pose_model": model,
            "pose_coverage_by_model": coverage,
            "posed_share": round(float(posed.mean()), 3),
        },
    }
    data["quality"]["lifts"] = {
        "found": sum(p.outcome != "no_lift" for p in lifts),
        "primary": primary,
        "primary_is": "the first made lift" if phases.outcome == "complete" else "the first lift",
    }
    data["quality"]["timeline"] = shot.to_dict()
    data["quality"]["warnings"] += shot.warnings()
    result = Result(data, lifter_px, bar_px, s["bar_raw"], radius_px)
    if options.out_dir:
        _write_outputs(clip, result, lifts, primary, Path(options.out_dir), options.render, progress)
    return result


def _display_box(box: tuple | None, to_display: tuple, display: tuple) -> list:
    """The picture inside any letterbox or pillarbox bars, [x0, y0, x1, y1] in display pixels."""
    if box is None:
        return [0, 0, *display]
    sx, sy = to_display
    return [round(box[0] * sx), round(box[1] * sy), round(box[2] * sx), round(box[3] * sy)]


def _lift(index: int, t: np.ndarray, s: dict, phases: PhaseResult) -> dict:
    """One lift of the clip for result.json's `lifts`: its frames (liftoff to the bar back on
    the floor, or the clip's end), outcome, phases, landmarks, metrics and faults."""
    m = phases.landmarks
    first = m.get("liftoff", phases.phases[0].start_frame)
    last = phases.phases[-1].end_frame
    return {
        "index": index,
        "start_frame": int(first),
        "end_frame": int(last),
        "start_s": round(float(t[first]), 4),
        "end_s": round(float(t[last]), 4),
        "outcome": phases.outcome,
        "phases": [p.to_dict() for p in phases.phases],
        "landmarks": m,
        "metrics": lift_metrics(t, s["bar"], s["body"], phases, s["lifter_height_m"], _measured(s)),
        "faults": find_faults(t, s["bar"], s["near"], phases),
    }


def _measured(s: dict) -> np.ndarray:
    """Frames (bool) where the bar was measured: its raw track, spikes and jumps dropped."""
    return np.isfinite(s["bar_raw"]["x_m"]) & np.isfinite(s["bar_raw"]["height_m"])


def _measure_lifter(clip: video.DecodeOnce, options: AnalysisOptions, progress: ProgressFn, runtime: accel.Runtime):
    """Pass 1 and the lifter's track: (pose model used, {model: share of the posed frames with
    the lifter}, (t, lifter_px, bar_px, radius_px, rim aspect, whether the rim's outline was
    measured, luma, `timeline.Timeline`, posed)): the series are the timeline's samples, one
    per distinct picture of the shot that holds the lift, and `posed` says which of them pose
    ran on. The bar pass runs once; pose then runs where `focus.pose_frames` says, once per
    model tried. The models, and whether a later one runs and is kept, are `model_policy`'s.
    A later model is a second opinion, so if its pass fails the first's result stands (its
    coverage: None). The lifter scan runs once, before the first pass, and every pass poses
    in its region."""
    crop = scan_lifter(clip, runtime)  # first: its estimator confirms the GPU delegate or falls back
    at(progress, "measuring")(0.0)
    models = pose_models(options.pose_model, runtime.pose_delegate, clip.info.frame_count)
    seen = bar_pass(clip, at(progress, "measuring", 0.0, BAR_PASS_SHARE), runtime, models[0], crop)
    t_all = np.asarray(seen.times)
    if len(t_all) < 3:
        raise VideoTooShort(f"The video has only {len(t_all)} frame(s); film the whole lift, setup to standing.")
    # the distinct pictures of the shot that holds the lift
    shot = timeline.build(t_all, np.asarray(seen.change), [p is not None for p in seen.plates])
    t = shot.t_s
    if len(t) < 3:
        raise VideoTooShort(
            f"The shot with the lift has only {len(t)} distinct picture(s); film the whole lift, setup to standing."
        )
    plates = [seen.plates[i] for i in shot.frames]
    bar_px = np.array([[p.x_px, p.y_px] if p else [np.nan, np.nan] for p in plates])
    radius_px = np.array([p.rim_radius_px if p else np.nan for p in plates])
    outline = bool(np.isfinite(radius_px).any())
    if not outline:  # tracked, but its outline never measured: the scale falls back on its strongest edge
        radius_px = np.array([p.radius_px if p else np.nan for p in plates])
    shot = dataclasses.replace(shot.viewed(seen.camera.shifts_px()), picture_box=getattr(seen, "box", None))
    room_bar_px = bar_px - shot.view_px  # against the room, where the camera moved
    shot = shot.retimed(*timebase.correct(t, room_bar_px, radius_px, clip.info.capture_fps, clip.info.fps))
    t = shot.t_s
    aspect = np.array([p.aspect if p else np.nan for p in plates])
    posed_samples = focus.pose_frames(t, room_bar_px[:, 1], np.array([p.radius_px if p else np.nan for p in plates]))
    wanted = np.zeros(len(t_all), bool)
    wanted[shot.frames[posed_samples]] = True
    # With two models the first gets FIRST_MODEL_SHARE of the span after the bar pass; when the
    # second is not needed, progress jumps ahead.
    ends = [BAR_PASS_SHARE, BAR_PASS_SHARE + FIRST_MODEL_SHARE * (1 - BAR_PASS_SHARE), 1.0]
    ends = ends if len(models) == 2 else [BAR_PASS_SHARE, 1.0]
    coverage, best = {}, None
    for n, model in enumerate(models):
        step = at(progress, "measuring", ends[n], ends[n + 1])
        try:
            candidates = pose_pass(clip, t_all, wanted, options, step, runtime, model, crop)
        except Exception as exc:
            if best is None:
                raise
            log.warning("pass 1 on the %s pose model failed, keeping %s: %r", model, best[0], exc)
            coverage[model] = None
            break
        candidates = [candidates[i] for i in shot.frames[posed_samples]]
        tracks = link_tracks(candidates)
        k = choose_lifter(tracks, bar_px[posed_samples])
        if k is not None:
            tracks[k] = relook(
                clip,
                tracks[k],
                candidates,
                bar_px[posed_samples],
                shot.frames[posed_samples],
                t[posed_samples],
                runtime,
                model,
                crop,
            )
        coverage[model] = 0.0 if k is None else round(pose_coverage(tracks[k]), 3)
        if k is not None and model_policy.better(coverage[model], best and coverage[best[0]]):
            lifter = np.full((len(t), 33, 3), np.nan, np.float32)
            lifter[posed_samples] = tracks[k]
            best = (model, (t, lifter, bar_px, radius_px, aspect, outline, seen.luma, shot, posed_samples))
        if not model_policy.needs_another(coverage[model]):
            break
    if best is None:
        raise NoLifterFound("No person was found in the video. Film the lifter side-on, whole body in frame.")
    return best[0], coverage, best[1]


def frames_in_cache(options: AnalysisOptions, info: video.VideoInfo) -> int:
    """How many of this clip's decoded (RGB) frames `frame_cache_mb` holds."""
    return int(options.frame_cache_mb * 2**20 // (info.out_width * info.out_height * 3))


def _frames_to_keep(info: video.VideoInfo, options: AnalysisOptions) -> int:
    """The whole clip when it fits in `frame_cache_mb`: the pose pass, and the render pass,
    then replay the bar pass's frames instead of decoding again. Otherwise none."""
    budget = frames_in_cache(options, info)
    return budget if info.frame_count <= budget else 0


def _round(values, nd: int = 3) -> list:
    return [None if not np.isfinite(v) else round(float(v), nd) for v in np.asarray(values, dtype=float)]


def phase_names(lifts: list, n: int) -> list:
    """The phase each of n frames is in, in whichever lift holds it (None between lifts)."""
    names = [None] * n
    for phases in lifts:
        first, last = phases.phases[0].start_frame, phases.phases[-1].end_frame
        for i in range(first, min(last, n - 1) + 1):
            names[i] = phases.at_frame(i) or names[i]
    return names


def _write_outputs(
    clip: video.DecodeOnce, result: Result, lifts: list, primary: int, out_dir: Path, render: bool, progress
):
    from shared.analysis.render import TRAIL_S, Annotator, output_size, render_video

    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=out_dir))
    try:
        if render:
            rendered = at(progress, "rendering")
            rendered(0.0)
            n = len(result["timestamps_s"])
            names = phase_names(lifts, n)
            info = clip.info
            size = output_size(info.out_width, info.out_height)
            speed = np.array([np.nan if v is None else v for v in result["bar"]["speed_mps"]])
            annotate = Annotator(
                result.lifter_px, result.bar_px, names, speed, size[0] / info.out_width, trail=int(TRAIL_S * info.fps)
            )
            starts = {p.name: p.start_frame for p in lifts[primary].phases}
            images = render_video(
                clip,
                annotate,
                size,
                info.fps,
                staging / "analyzed.mp4",
                starts,
                staging,
                lambda i: rendered((i + 1) / n),
                encoder=result["runtime"]["encoder"],
            )
            result.data["outputs"] = {"analyzed_video": "analyzed.mp4", "phase_images": images}
        (staging / "result.json").write_text(json.dumps(result.data, allow_nan=False))
        for item in staging.iterdir():
            shutil.move(str(item), out_dir / item.name)
            result.outputs[item.name] = str(out_dir / item.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
