"""Speed and memory benchmark, all figures from one run on this machine.

  floor      decode + pose alone on the clip, one estimator (the issue's floor)
  floor_lanes  decode + pose alone with the engine's parallelism: one estimator per core
             on its own stretch (lanes.PoseLanes), what no engine run can beat here
  e2e        analyze() with the annotated video, from file to outputs
  ratio      e2e / floor                                  target <= 1.3
             (and e2e / floor_lanes: the overhead over decode + pose as the engine runs them)
  rt factor  clip duration / e2e on a 1080p30 clip         target >= 1.5
  peak RSS   analyze() of a 2-minute 1080p clip, in a child process   target <= 1.5 GB
             (and of the longest clip whose frames all stay in memory for the render pass)
  per frame  decode alone and pose alone, ms (what bounds the real-time factor)
  e2e_cpu_s  CPU seconds analyze() used, all threads; cores_busy = e2e_cpu_s / e2e (this machine has 2)
Each model is timed; the peak RSS runs use the default (auto).

python -m bench.speed [--skip-long]"""

from __future__ import annotations

import argparse
import collections
import contextlib
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from shared.analysis import AnalysisOptions, analyze, lanes, video
from shared.analysis.model_policy import POSE_MODELS
from shared.analysis.pipeline import frames_in_cache
from shared.analysis.pose import PoseEstimator
from tests.synth.clips import clip, long_clip
from tests.synth.render import ClipSpec

SPEED_CLIP = ClipSpec("speed_snatch_1080p30", "snatch", 30, 1920, 1080, "right", seed=11)
LONG_SECONDS = 120


def floor_s(path, model: str) -> float:
    """Decode (at the engine's analysis size) and pose, nothing else."""
    info = video.probe(path, 600, AnalysisOptions().max_long_side_px)
    t0 = time.perf_counter()
    with PoseEstimator(model) as pose:
        for frame in video.frames(path, info):
            pose(frame.rgb, frame.t_s)
    return time.perf_counter() - t0


def floor_lanes_s(path, model: str) -> tuple:
    """Decode once and pose on as many estimators as analyze() runs on this clip here (it
    fits in memory), each tracking its stretch (`lanes.PoseLanes`); nothing else.
    (seconds, estimators)"""
    options = AnalysisOptions()
    info = video.probe(path, 600, options.max_long_side_px)
    t0 = time.perf_counter()
    count = lanes.pose_lanes(info.duration_s, model=model)
    with contextlib.ExitStack() as stack:
        poses = [stack.enter_context(PoseEstimator(model)) for _ in range(count)]
        clip = video.DecodeOnce(path, info, 0)
        whole = (0, 0, info.out_width, info.out_height)
        posed = stack.enter_context(contextlib.closing(lanes.posed(clip, poses, whole, frames_in_cache(options, info))))
        collections.deque(posed, maxlen=0)  # run it through, keeping nothing
    return time.perf_counter() - t0, count


def per_frame_ms(path) -> dict:
    """Decode alone, and pose alone on frames already decoded (each model), in ms a frame."""
    info = video.probe(path, 600, AnalysisOptions().max_long_side_px)
    t0 = time.perf_counter()
    frames = list(video.frames(path, info))
    out = {"decode": (time.perf_counter() - t0) * 1000 / len(frames)}
    for model in POSE_MODELS:
        with PoseEstimator(model) as pose:
            t0 = time.perf_counter()
            for frame in frames:
                pose(frame.rgb, frame.t_s)
            out[f"pose_{model}"] = (time.perf_counter() - t0) * 1000 / len(frames)
    return {k: round(v, 1) for k, v in out.items()}


def e2e_s(path, exercise: str, model: str) -> tuple:
    """Seconds end to end; per stage (from when analyze()'s progress first names each stage);
    and the CPU seconds used meanwhile."""
    first_seen: dict = {}

    def progress(pct, stage):
        first_seen.setdefault(stage, time.perf_counter())

    with tempfile.TemporaryDirectory() as out:
        t0, cpu0 = time.perf_counter(), _cpu_s()
        analyze(path, AnalysisOptions(exercise=exercise, out_dir=out, pose_model=model), progress)
        end, cpu = time.perf_counter(), _cpu_s() - cpu0
    marks = [
        ("probe, models, lifter scan", "measuring"),
        ("pass 1, tracks, series", "phases"),
        ("phases, metrics", "rendering"),
        ("render", "done"),
    ]
    stages, last = {}, t0
    for name, next_stage in marks:
        stages[name] = round(first_seen[next_stage] - last, 2)
        last = first_seen[next_stage]
    return end - t0, stages, cpu


def _cpu_s() -> float:
    """This process's CPU time, all threads, user and system."""
    times = os.times()
    return times.user + times.system


def child_peak_rss_mb(path) -> tuple:
    """Peak RSS of analyze() in a fresh process, as the kernel's high-water mark of that
    process's own memory (VmHWM). Not getrusage: a child's ru_maxrss starts from the RSS of the
    process that forked it, so it reported this benchmark's own size after the runs above."""
    code = (
        "import sys, tempfile; from shared.analysis import analyze, AnalysisOptions\n"
        "with tempfile.TemporaryDirectory() as out:\n"
        "    analyze(sys.argv[1], AnalysisOptions(out_dir=out, max_duration_s=600))\n"
        "print(next(l for l in open('/proc/self/status') if l.startswith('VmHWM:')).split()[1])\n"
    )
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code, str(path)], check=True, capture_output=True, text=True)
    return int(proc.stdout.split()[-1]) / 1024, time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-long", action="store_true")
    args = ap.parse_args()
    path, truth = clip(SPEED_CLIP)
    duration = truth.timestamps_s[-1] + 1 / SPEED_CLIP.fps
    floor_s(path, "full")  # warm-up: imports, model files in the page cache
    for model in reversed(POSE_MODELS):  # heavy (what the default, auto, runs here), full, lite
        # Interleaved, best of two: the machine is shared and noisy.
        floor = min(floor_s(path, model), floor_s(path, model))
        floor_lanes, lanes = min(floor_lanes_s(path, model), floor_lanes_s(path, model))
        e2e, stages, cpu = min((e2e_s(path, SPEED_CLIP.exercise, model) for _ in range(2)), key=lambda run: run[0])
        figures = {
            "clip": SPEED_CLIP.name,
            "pose_model": model,
            "frames": len(truth.timestamps_s),
            "floor_s": round(floor, 2),
            "e2e_s": round(e2e, 2),
            "ratio_e2e_over_floor": round(e2e / floor, 3),
            "pose_estimators": lanes,
            "floor_lanes_s": round(floor_lanes, 2),
            "ratio_e2e_over_floor_lanes": round(e2e / floor_lanes, 3),
            "realtime_factor_1080p30": round(duration / e2e, 3),
            "e2e_stages_s": stages,
            "e2e_cpu_s": round(cpu, 2),
            "cores_busy": round(cpu / e2e, 2),
        }
        report(figures)
    report({"clip": SPEED_CLIP.name, "per_frame_ms": per_frame_ms(path)})
    if not args.skip_long:
        # The target's 2-minute clip (too long to keep: the render pass decodes again), and
        # the longest clip whose frames are all kept for the render pass: the worst case.
        options = AnalysisOptions()
        kept_s = frames_in_cache(options, video.probe(path, 600, options.max_long_side_px)) // SPEED_CLIP.fps
        for seconds in (LONG_SECONDS, kept_s):
            rss, took = child_peak_rss_mb(long_clip(path, seconds))
            report(
                {
                    "clip": f"{seconds:.0f}s 1080p30",
                    "peak_rss_mb": round(rss),
                    "e2e_s": round(took, 1),
                    "realtime_factor": round(seconds / took, 3),
                }
            )
    lines = [
        "# Engine speed and memory",
        "",
        f"`python -m bench.speed{' --skip-long' if args.skip_long else ''}`, {datetime.date.today().isoformat()}, "
        "on this machine (2 cores, no GPU): one JSON object per measurement, as printed.",
        "",
        "```",
    ]
    DOCS.mkdir(exist_ok=True)
    (DOCS / "speed.md").write_text("\n".join(lines + [json.dumps(f) for f in REPORTED] + ["```"]) + "\n")
    return 0


REPORTED: list[dict] = []
DOCS = Path(__file__).resolve().parents[1] / "docs"


def report(figures: dict) -> None:
    REPORTED.append(figures)
    print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
