"""The engine on real lifting clips filmed by other people (../shared/realclips), used in place.

python -m bench.real [--dir ../shared/realclips] [--model auto] — one row per clip: the lifts
found and which one the top level describes, each lift's outcome, bar and pose coverage, the
scale and its uncertainty, the camera's turn, each lift's peak bar speed and peak bar height
as a share of the lifter's height, the time taken, and the warnings; a clip the engine
refuses shows its error code. The table, its command and its date are written to
docs/real-clips.md. There is no ground truth for these clips beyond their
MANIFEST (plate-centre windows, checked by tests/engine/test_real_clips.py): the figures are
for reading, not scoring. A clip that repeats its pictures (24 in a 60 fps file) is read a
second time on its distinct pictures alone, and the two peak speeds are compared.
"""

from __future__ import annotations

import argparse
import datetime
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

from shared.analysis import AnalysisError, AnalysisOptions, analyze
from shared.analysis.model_policy import DEFAULT_POSE_MODEL, POSE_CHOICES

ROOT = Path(__file__).resolve().parents[1]
REAL_CLIPS = ROOT.parent / "shared" / "realclips"
DOCS = ROOT / "docs"
# What each clip shows (MANIFEST.md): the exercise to analyse it as.
EXERCISES = {"jerk": "clean_and_jerk", "snatch": "snatch"}


def exercise_of(path: Path) -> str:
    return next((e for key, e in EXERCISES.items() if key in path.stem), "clean")


def row(path: Path, model: str) -> str:
    t0 = time.perf_counter()
    try:
        r = analyze(path, AnalysisOptions(exercise=exercise_of(path), pose_model=model, render=False))
    except AnalysisError as exc:
        return f"| {path.name} | refused: `{exc.code}` | | | | | | | | {time.perf_counter() - t0:.1f} | {exc.message} |"
    elapsed = time.perf_counter() - t0
    q, s = r.quality, r.scale
    lifts = [lift for lift in r.lifts if lift["outcome"] != "no_lift"] or r.lifts[:1]

    def each(key: str) -> str:  # one value per lift, in clip order
        return " / ".join(str(lift["metrics"].get(key, "")) for lift in lifts)

    return (
        f"| {path.name} | {q['lifts']['found']} (top: #{q['lifts']['primary']}) | "
        f"{' / '.join(lift['outcome'] for lift in lifts)} | {q['bar_coverage']:.2f} | {q['pose_coverage']:.2f} | "
        f"{s['px_per_m']:.1f} ({s['source']}, ±{s['uncertainty_pct']:.1f} %) | {s['camera_yaw_deg']} | "
        f"{each('max_bar_speed')} | {each('peak_bar_height_pct')} | {elapsed:.1f} | "
        f"{', '.join(w['code'] for w in q['warnings']) or 'none'} |"
    )


def distinct_pictures(path: Path, out: Path) -> float | None:
    """Write the distinct pictures of `path`'s analysed shot to `out`, one frame each at the
    clip's content rate (`timeline.build`, the engine's own reading); that rate, or None for a
    clip that shows each picture once."""
    import av
    import numpy as np

    from shared.analysis import timeline

    with av.open(str(path)) as src:
        frames = [f.to_ndarray(format="rgb24") for f in src.decode(video=0)]
        rate = float(src.streams.video[0].average_rate)
    changes, previous = [], None
    for rgb in frames:
        small = timeline.thumbnail(rgb)
        changes.append(timeline.picture_change(previous, small))
        previous = small
    line = timeline.build(np.arange(len(frames)) / rate, np.array(changes), np.ones(len(frames), bool))
    if not line.content_fps:
        return None
    with av.open(str(out), "w") as dst:
        stream = dst.add_stream("libx264", rate=Fraction(line.content_fps).limit_denominator(1001))
        stream.height, stream.width = frames[0].shape[:2]
        stream.pix_fmt, stream.options = "yuv420p", {"crf": "12"}
        for k in line.frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(frames[k], format="rgb24")):
                dst.mux(packet)
        for packet in stream.encode():
            dst.mux(packet)
    return line.content_fps


def repeated_rows(clips: list, model: str) -> list:
    """For each clip that repeats its pictures: the peak bar speed read on the file and on its
    distinct pictures alone, and how far apart (the acceptance bound is 5 %)."""
    rows = []
    for path in clips:
        with tempfile.TemporaryDirectory() as tmp:
            distinct = Path(tmp) / "distinct.mp4"
            content = distinct_pictures(path, distinct)
            if content is None:
                continue
            speeds = []  # m/s, or the code the clip was refused with
            for clip in (path, distinct):
                try:
                    r = analyze(clip, AnalysisOptions(exercise=exercise_of(path), pose_model=model, render=False))
                except AnalysisError as refused:  # the file refused (a front view): no speed to compare;
                    speeds.append(refused.code)  # its copy refused: a row that says so
                    break
                speeds.append(r.metrics["max_bar_speed"])
        if len(speeds) < 2:
            continue
        file, copy = speeds
        if isinstance(copy, str):
            rows.append(f"| {path.name} | {content:.2f} | {file:.3f} | refused: `{copy}` |  |")
        else:
            rows.append(
                f"| {path.name} | {content:.2f} | {file:.3f} | {copy:.3f} | {100 * (file - copy) / copy:+.1f} |"
            )
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.real")
    ap.add_argument("--dir", type=Path, default=REAL_CLIPS)
    ap.add_argument("--model", default=DEFAULT_POSE_MODEL, choices=POSE_CHOICES)
    args = ap.parse_args()
    clips = sorted(args.dir.glob("*.mp4"))
    if not clips:
        print(f"no clips in {args.dir}: nothing to run")
        return 0
    lines = [
        "# The engine on real clips",
        "",
        f"`python -m bench.real {' '.join(sys.argv[1:])}`, {datetime.date.today().isoformat()}",
        "",
        "| clip | lifts | outcome | bar cov. | pose cov. | px/m (display) | yaw deg | peak m/s | "
        "peak height % | s | warnings |",
        "|---" * 11 + "|",
    ]
    print("\n".join(lines[-2:]), flush=True)
    for path in clips:
        lines.append(row(path, args.model))
        print(lines[-1], flush=True)
    repeated = repeated_rows(clips, args.model)
    if repeated:
        lines += [
            "",
            "Clips that repeat their pictures, read again on their distinct pictures alone (one frame each, at "
            "the content rate the engine measured): the peak bar speed should not depend on the repeats.",
            "",
            "| clip | content fps | peak m/s (file) | peak m/s (distinct pictures) | difference % |",
            "|---" * 5 + "|",
            *repeated,
        ]
        print("\n".join(lines[-len(repeated) - 2 :]), flush=True)
    DOCS.mkdir(exist_ok=True)
    (DOCS / "real-clips.md").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
