"""The engine: video -> frames(t) -> pose + bar -> kinematics -> phases -> metrics -> render.

`analyze(video_path, options, on_progress)` runs it and returns a `LiftResult`. With
`options.out_dir` set it also writes result.json, analyzed.mp4 and the phase JPEGs,
all-or-nothing: they are written to a temporary folder and moved into place at the end.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from shared.analysis import accel, focus, lanes, model_policy, timebase, timeline, video
from shared.analysis.errors import NoLifterFound, VideoTooShort
from shared.analysis.hub import steadied
from shared.analysis.kinematics import ground_reaction_force
from shared.analysis.legs import outside_unseen
from shared.analysis.lifter import choose_lifter, link_tracks
from shared.analysis.measure import DEFAULT_BODY_MASS_KG, Measured, build_series
from shared.analysis.metrics import find_faults, lift_metrics
from shared.analysis.model_policy import DEFAULT_POSE_MODEL, POSE_CHOICES, pose_models
from shared.analysis.outputs import write_outputs
from shared.analysis.passes import SCAN_MODEL, bar_pass, pose_pass, relook, scan_lifter
from shared.analysis.phases import PhaseResult, bar_off_floor, find_lift_phases, primary_lift
from shared.analysis.pose import LONGEST_CLIP_S, model_path
from shared.analysis.quality import assess, pose_coverage
from shared.analysis.result import LiftResult
from shared.domain.lifts import EXERCISES
from shared.domain.lifts import JOINTS as ANGLE_CHOICES

# 2.0: scale in display pixels with its uncertainty and the camera's turn, bar.x_px / y_px,
# liftoff fitted on the raw track, max_GRF in the pull and max_GRF_catch, quality.sources
# 2.1: repeated pictures skipped by the tracker, scene cuts (the lift's shot), quality.timeline. 2.2: every lift
# in the clip (lifts[], quality.lifts), forward lengths corrected for the camera's turn, spikes judged to the pixel;
# the bar pass first, then pose on every frame only in and around the lifts (runtime.posed_share)
# 2.3: the lift's own clock (slow motion, lost pictures: quality.timeline.clock, the
# slow_motion refusal), the lifter taken frame by frame as the pose holding the bar, the
# camera's motion taken out (quality.timeline.camera_moved_px), the scale along the path
# (scale.perspective_pct_per_m)
# 2.5: repeated pictures timed on the camera's cadence, the floor kept at the resting plate's
# bottom when feet are placed above it, landmarks outside the picture unseen, a height no
# lifter has left unmeasured (quality.sources.lifter_height "unmeasured"), a circle found
# afresh kept only within the bar's reach, the second pull's peak the last before the top,
# a faint plate found and followed with its contrast brought up
# 2.10: the track steadied on the hub, spikes judged where the bar moves, the re-bend on the unsmoothed knee
# 2.11: a plate found late tracked back through the frames before, a faint plate's contrast
# stretched round it on each frame, a turned plate's rim fitted as the ellipse its outline
# shows, a silhouette found with contrast brought up preferred to a circle without one
# 2.12: hidden legs repaired in the lift's plane (a turned camera's forward lengths stretched
# back), feet planted once the plate is clear of the knee, the sleeve end's parallax taken out
# of the hub's offset, which is the median over a second either side
# 2.13: a still plate's hub offset from the frames it stood still in, a hip on a resting bar's
# plate and a pose folded at the trunk taken as hidden, the phases' knee held outside the
# frames it was measured in and timed on a hip rebuilt from trunk and thigh where the plate
# covers it
# 2.14: the scale read on outlines seen on most of the rays the clip's best ones were. 2.15: a plate found only
# loosely tracked, and kept once its silhouette shows; placings without a rim fit just before a loss dropped; the
# speed on finding the plate again. 2.16: angles from a shoulder behind the plate (front rack) not measured;
# upside-down poses dropped. 2.17: a rim seen over part of the plate alone sized on the best-seen ring's ellipse; a
# hip within 1.25 plate radii of a resting bar taken as misplaced; a plate too small to show a bevel ring apart from
# its rim uncertain by half the ring's depth. 2.18: a clip too long to hold posed by one estimator as it streams, as
# engine 1.1.0 did; the second look posed on every core. 2.19: pose's stretches cut to equal work, warm-up included.
# 2.20: a tracking pose estimator that holds the lifter upside down starts afresh. 2.21: feet kept planted under a hip
# the trunk rule bridges, and planted only where they stood before the bar's highest point. 2.22: a perspective fitted
# through every height the plate was held at, the floor under the resting plate's size; scale.px_per_m the floor's
# 2.23: the perspective's sizes read on the clear outlines. 2.24: no spike finer than a bar's own turn in a frame.
# 2.25: the re-bend at the knot of a two-line fit to the knee's turn, not at its lowest reading
ENGINE_VERSION = "2.25.0"
log = logging.getLogger(__name__)
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


def _progress(on_progress: ProgressFn | None):
    return on_progress or (lambda pct, stage: None)


# The progress a caller sees, declared once: each stage's span of 0-100 %. Pass 1 is most of
# the work; with a second pose model to try it gets the first FIRST_MODEL_SHARE of the
# measuring span and the second the rest, so progress never goes back.
PROGRESS_SPANS = {"decoding": (0.0, 3.0), "measuring": (3.0, 80.0), "phases": (80.0, 85.0), "rendering": (85.0, 100.0)}
FIRST_MODEL_SHARE = 0.8
BAR_PASS_SHARE = 0.15  # of the measuring span: the bar pass, before pose


def at(progress: ProgressFn, stage: str, lo: float = 0.0, hi: float = 1.0) -> Callable[[float], None]:
    """A reporter of `fraction` done (0-1) of the part [lo, hi] of `stage`'s span."""
    start, end = PROGRESS_SPANS[stage]

    def report(fraction: float) -> None:
        share = lo + (hi - lo) * min(max(fraction, 0.0), 1.0)
        progress(start + (end - start) * share, stage)

    return report


def analyze(
    video_path: str | Path, options: AnalysisOptions | None = None, on_progress: ProgressFn | None = None
) -> LiftResult:
    options = options or AnalysisOptions()
    progress = _progress(on_progress)
    lanes.one_heap()
    info = video.probe(video_path, options.max_duration_s, options.max_long_side_px)
    progress(0.0, "decoding")
    runtime = accel.plan(options.accel)
    clip = video.DecodeOnce(video_path, info, _frames_to_keep(info, options))
    try:
        result = _analyze(clip, options, progress, runtime)
    finally:
        clip.release()
    progress(100.0, "done")
    return result


def _analyze(
    clip: video.DecodeOnce, options: AnalysisOptions, progress: ProgressFn, runtime: accel.Runtime
) -> LiftResult:
    info = clip.info
    model, coverage, (t, lifter, bar_px, radius_px, aspect, seen_on, outline, luma, shot, posed) = _measure_lifter(
        clip, options, progress, runtime
    )
    view = shot.view_px  # measured against the room; drawn on the frames
    box = shot.picture_box or (0, 0, info.out_width, info.out_height)
    in_room = outside_unseen(lifter, box)
    in_room[..., :2] -= view[:, None, :]
    s = build_series(
        t,
        in_room,
        bar_px - view,
        radius_px,
        options,
        rim_aspect=aspect,
        rim_score=seen_on,
        frame_long_side_px=max(info.out_width, info.out_height),
        outline_measured=outline,
    )
    warnings = clip.warnings + s.warnings
    s.lifter_px[..., :2] += view[:, None, :]
    at(progress, "phases")(0.5)
    lifts = find_lift_phases(
        t,
        s.bar["height_m"],
        s.bar["vy_mps"],
        s.knee_bridged,
        options.exercise,
        h_raw=s.bar_raw["height_m"],
        knee_raw=s.knee_raw,
    )
    off_floor = np.logical_or.reduce([bar_off_floor(s.bar["height_m"], p) for p in lifts])
    s.body["grf_N"] = ground_reaction_force(
        s.com_acc_mps2, s.bar["force_N"], options.body_mass_kg or DEFAULT_BODY_MASS_KG, off_floor
    )
    if not shot.whole:  # measured on distinct pictures: back onto the video's frames
        t, lifter, bar_px = shot.onto_frames(s, lifter, bar_px)
        lifts = [shot.phases_onto_frames(p) for p in lifts]
        radius_px = shot.to_frames(radius_px)
    primary = primary_lift(lifts)
    phases = lifts[primary]
    lifter_px = s.lifter_px
    to_display = info.display_per_analysis_px
    display_w, display_h = info.display_size
    bar = {k2: _round(v) for k2, v in s.bar.items()}
    bar.update(x_px=_round(bar_px[:, 0] * to_display[0], 1), y_px=_round(bar_px[:, 1] * to_display[1], 1))
    quality = assess(info, t, lifter, bar_px, s, luma, phases, warnings, options, coverage[model])
    quality["lifts"] = {
        "found": sum(p.outcome != "no_lift" for p in lifts),
        "primary": primary,
        "primary_is": "the first made lift" if phases.outcome == "complete" else "the first lift",
    }
    quality["timeline"] = shot.to_dict()
    quality["warnings"] += shot.warnings()
    result = LiftResult(
        engine_version=ENGINE_VERSION,
        exercise=options.exercise,
        bar_mass_kg=options.bar_mass_kg,
        video={
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
        timestamps_s=_round(t, 4),
        scale={
            **s.scale,
            "px_per_m": round(s.scale["px_per_m"] * float(np.sqrt(np.prod(to_display))), 3),
            "pixels": "display",
        },
        bar=bar,
        keypoints={k2: _round(v, 4) for k2, v in s.keypoints.items()},
        angles={k2: _round(v, 1) for k2, v in s.angles.items()},
        body={k2: _round(v) for k2, v in s.body.items()},
        phases=[p.to_dict() for p in phases.phases],
        landmarks=phases.landmarks,
        metrics=lift_metrics(t, s.bar, s.body, phases, s.lifter_height_m, _measured(s)),
        faults=find_faults(t, s.bar, s.near, phases),
        lifts=[_lift(k, t, s, p) for k, p in enumerate(lifts)],
        quality=quality,
        runtime={
            **runtime.to_dict(),
            "pose_model": model,
            "pose_coverage_by_model": coverage,
            "posed_share": round(float(posed.mean()), 3),
        },
        lifter_px=lifter_px,
        bar_px=bar_px,
        bar_raw=s.bar_raw,
        rim_radius_px=radius_px,
    )
    if options.out_dir:
        rendered = at(progress, "rendering") if options.render else None
        write_outputs(clip, result, lifts, primary, Path(options.out_dir), rendered)
    return result


def _display_box(box: tuple | None, to_display: tuple, display: tuple) -> list:
    """The picture inside any letterbox or pillarbox bars, [x0, y0, x1, y1] in display pixels."""
    if box is None:
        return [0, 0, *display]
    sx, sy = to_display
    return [round(box[0] * sx), round(box[1] * sy), round(box[2] * sx), round(box[3] * sy)]


def _lift(index: int, t: np.ndarray, s: Measured, phases: PhaseResult) -> dict:
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
        "metrics": lift_metrics(t, s.bar, s.body, phases, s.lifter_height_m, _measured(s)),
        "faults": find_faults(t, s.bar, s.near, phases),
    }


def _measured(s: Measured) -> np.ndarray:
    """Frames (bool) where the bar was measured: its raw track, spikes and jumps dropped."""
    return np.isfinite(s.bar_raw["x_m"]) & np.isfinite(s.bar_raw["height_m"])


def _measure_lifter(clip: video.DecodeOnce, options: AnalysisOptions, progress: ProgressFn, runtime: accel.Runtime):
    """Pass 1 and the lifter's track: (pose model used, {model: share of the posed frames with
    the lifter}, (t, lifter_px, bar_px, radius_px, rim aspect, the share of rays each rim
    outline was seen on, whether the rim's outline was measured, luma, `timeline.Timeline`,
    posed)): the series are the timeline's samples, one per distinct picture of the shot that
    holds the lift, and `posed` says which of them pose ran on. The bar pass runs once; pose
    then runs where `focus.pose_frames` says, once per model tried. The models, and whether a
    later one runs and is kept, are `model_policy`'s. A later model is a second opinion, so if
    its pass fails the first's result stands (its coverage: None). The lifter scan runs once,
    before the first pass, and every pass poses in its region."""
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
    hubs = np.array([p.hub if p else (np.nan,) * 4 for p in plates], float)
    bar_px = steadied(bar_px, hubs, t, np.array([p.radius_px if p else np.nan for p in plates]))
    radius_px = np.array([p.rim_radius_px if p else np.nan for p in plates])
    outline = bool(np.isfinite(radius_px).any())
    if not outline:  # tracked, but its outline never measured: the scale falls back on its strongest edge
        radius_px = np.array([p.radius_px if p else np.nan for p in plates])
    shot = dataclasses.replace(shot.viewed(seen.camera.shifts_px()), picture_box=getattr(seen, "box", None))
    room_bar_px = bar_px - shot.view_px  # against the room, where the camera moved
    shot = shot.retimed(*timebase.correct(t, room_bar_px, radius_px, clip.info.capture_fps, clip.info.fps))
    t = shot.t_s
    aspect = np.array([p.aspect if p else np.nan for p in plates])
    seen_on = np.array([p.rim_score if p else np.nan for p in plates])
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
            candidates = pose_pass(clip, t_all, wanted, step, runtime, model, crop)
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
            best = (model, (t, lifter, bar_px, radius_px, aspect, seen_on, outline, seen.luma, shot, posed_samples))
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
