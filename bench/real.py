"""The engine on real lifting clips filmed by other people (../shared/realclips), used in place.

python -m bench.real [--dir ../shared/realclips] [--model auto] — one row per clip: the lifts
found and which one the top level describes, each lift's outcome, bar and pose coverage, the
scale and its uncertainty, the camera's turn, each lift's peak bar speed and peak bar height
as a share of the lifter's height, the time taken, and the warnings; a clip the engine
refuses shows its error code. The table, its command and its date are written to
docs/real-clips.md. There is no ground truth for these clips beyond their
MANIFEST (plate-centre windows, checked by tests/engine/test_real_clips.py): the figures are
for reading, not scoring.
"""

from __future__ import annotations

import argparse
import datetime
import sys
import time
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
    DOCS.mkdir(exist_ok=True)
    (DOCS / "real-clips.md").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
