"""Command line: python -m shared.analysis lift.mp4 --exercise snatch --bar-mass 100 --out out/"""

from __future__ import annotations

import argparse
import json
import sys

from shared.analysis import AnalysisError, AnalysisOptions, analyze
from shared.analysis.accel import MODES
from shared.analysis.model_policy import DEFAULT_POSE_MODEL, POSE_CHOICES
from shared.config import settings

_shown = {"pct": -1}


def _bar(pct: float, stage: str) -> None:
    if int(pct) == _shown["pct"]:
        return
    _shown["pct"] = int(pct)
    filled = int(pct / 100 * 30)
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {pct:5.1f}% {stage:<10}")
    if pct >= 100:
        sys.stderr.write("\n")
    sys.stderr.flush()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m shared.analysis", description=__doc__)
    ap.add_argument("video")
    ap.add_argument("--exercise", default="snatch", choices=["snatch", "clean", "clean_and_jerk"])
    ap.add_argument("--bar-mass", type=float, default=100.0, help="kg")
    ap.add_argument("--body-mass", type=float, default=None, help="kg (for ground reaction force)")
    ap.add_argument("--lifter-height", type=float, default=None, help="m")
    ap.add_argument("--joints", default="all", help="comma-separated: ankle,knee,hip,shoulder,elbow or all")
    ap.add_argument(
        "--model",
        default=settings().pose_model or DEFAULT_POSE_MODEL,
        choices=POSE_CHOICES,
        help="pose model: auto (default, or LIFTLAB_POSE_MODEL: heavy, then full where heavy keeps "
        "the lifter in under 90%% of frames), heavy, full (a third of heavy's pose time on a CPU, "
        "angles further off) or lite",
    )
    ap.add_argument("--max-duration", type=float, default=300.0, help="refuse longer clips (s)")
    ap.add_argument("--out", default="out")
    ap.add_argument(
        "--accel",
        default=settings().accel,
        choices=MODES,
        help="GPU encoder and pose delegate: auto (default, from LIFTLAB_ACCEL), cpu or gpu",
    )
    args = ap.parse_args(argv)
    try:
        options = AnalysisOptions(
            exercise=args.exercise,
            bar_mass_kg=args.bar_mass,
            body_mass_kg=args.body_mass,
            lifter_height_m=args.lifter_height,
            pose_model=args.model,
            joints=tuple(j.strip() for j in args.joints.split(",") if j.strip()),
            max_duration_s=args.max_duration,
            accel=args.accel,
            out_dir=args.out,
        )
    except ValueError as exc:
        ap.error(str(exc))
    try:
        result = analyze(args.video, options, on_progress=_bar)
    except AnalysisError as exc:
        sys.stderr.write(f"\nerror [{exc.code}]: {exc.message}\n")
        return 2
    m = result.metrics
    print(
        json.dumps(
            {
                k: m.get(k)
                for k in ("outcome", "max_bar_speed", "peak_bar_height", "max_power", "max_GRF", "bar_path_type")
            }
        )
    )
    print(f"faults: {[f['code'] for f in result.faults] or 'none'}")
    print(f"warnings: {[w['code'] for w in result.quality['warnings']] or 'none'}")
    print(f"outputs in {args.out}/: {', '.join(sorted(result.files))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
