"""Accuracy benchmark: the engine on every generated clip, against exact ground truth.

python -m bench.accuracy [--set bench|random|motion|tilt] [--seed N] [--only NAME] [--pose-model heavy] —
prints one row per clip, the targets, and a comparison of the smoothing filters on the engine's own
raw bar track; with --set random, the clips' looks are drawn at random (tests.synth.clips.random_set,
from --seed) and the misses are also counted by look factor, so a weak spot shows by name; --set
motion draws the same looks and also the lifter's height and the lift's tempo (MOTION_FACTORS), --set
tilt the same looks filmed by a camera tilted up or down (TILT_FACTORS). The
table, its command and its date are written to docs/accuracy-<set>.md (accuracy-<set>-seed<N>.md for
a draw other than the default: a second draw checks the engine on looks it was not tuned on)."""

from __future__ import annotations

import argparse
import datetime
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from shared.analysis import AnalysisOptions, analyze
from shared.analysis.errors import AnalysisError
from shared.analysis.kinematics import smooth_derivatives
from shared.analysis.measure import BAR_FILTER
from shared.analysis.model_policy import DEFAULT_POSE_MODEL, POSE_CHOICES
from tests.synth.clips import BENCH_SET, LOOK_FACTORS, MOTION_FACTORS, RANDOM_SEED, TILT_FACTORS, clip, random_set
from tests.synth.evaluate import TARGETS, evaluate, failures

COLUMNS = [
    ("peak_speed_err_mps", "dv m/s", 3),
    ("height_rmse_m", "h rmse m", 3),
    ("peak_height_err_m", "dh peak m", 3),
    ("scale_err_pct", "scale %", 2),
    ("phases_within_2_frames_pct", "phase<=2f %", 0),
    ("knee_rmse_deg", "knee deg", 1),
    ("hip_rmse_deg", "hip deg", 1),
    ("knee_rmse_after_liftoff_deg", "knee after liftoff", 1),
    ("hip_rmse_after_liftoff_deg", "hip after liftoff", 1),
    ("knee_measured_pct", "knee measured %", 0),
    ("liftoff_err_frames", "liftoff f", 0),
    ("setup_grf_err_pct", "set-up GRF %", 1),
    ("max_grf_off_pull_frames", "max GRF off pull f", 0),
]
DOCS = Path(__file__).resolve().parents[1] / "docs"


# (label, smooth_derivatives keyword arguments); the engine's choice is measure.BAR_FILTER.
FILTERS = (
    [(f"butterworth 4th, central differences, {c:g} Hz", {"cutoff_hz": c}) for c in (6.0, 8.0, 10.0)]
    + [(f"savgol cubic, {c:g} Hz", {"method": "savgol", "cutoff_hz": c}) for c in (6.0, 8.0, 10.0)]
    + [
        (f"butterworth 2nd, spline derivative, {c:g} Hz", {"cutoff_hz": c, "order": 2, "spline_derivative": True})
        for c in (5.0, 5.5, 6.0)
    ]
)


def smoothing_study(result, truth) -> dict:
    """Peak bar speed error and height RMSE of each filter on the same raw track."""
    t = np.asarray(result.timestamps_s)
    out = {}
    for label, kwargs in FILTERS:
        _, vx, _ = smooth_derivatives(t, result.bar_raw["x_m"], **kwargs)
        h, vy, _ = smooth_derivatives(t, result.bar_raw["height_m"], **kwargs)
        out[label] = (
            abs(np.nanmax(np.hypot(vx, vy)) - max(truth.bar_speed_mps)),
            float(np.sqrt(np.nanmean((h - np.array(truth.bar_height_m)) ** 2))),
        )
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default=None)
    ap.add_argument("--pose-model", default=DEFAULT_POSE_MODEL, choices=POSE_CHOICES)
    ap.add_argument("--set", default="bench", choices=("bench", "random", "motion", "tilt"))
    ap.add_argument("--seed", type=int, default=RANDOM_SEED, help="the random set's draw")
    args = ap.parse_args()
    drawn = (
        BENCH_SET
        if args.set == "bench"
        else random_set(seed=args.seed, motion=args.set == "motion", tilt=args.set == "tilt")
    )
    specs = [s for s in drawn if not args.only or args.only in s.name]
    page = args.set if args.set == "bench" or args.seed == RANDOM_SEED else f"{args.set}-seed{args.seed}"
    factors = [*LOOK_FACTORS, *{"motion": MOTION_FACTORS, "tilt": TILT_FACTORS}.get(args.set, ())]
    lines = [
        f"# Accuracy on the {args.set} clip set" + ("" if page == args.set else f", seed {args.seed}"),
        "",
        f"`python -m bench.accuracy {' '.join(sys.argv[1:])}`, {datetime.date.today().isoformat()}",
        "",
        "| clip | " + " | ".join(c[1] for c in COLUMNS) + " | pose model | s | misses |",
        "|---" * (len(COLUMNS) + 4) + "|",
    ]
    print("\n".join(lines[-2:]))
    studies, failed, by_factor = [], 0, defaultdict(lambda: [0, 0])
    for spec in specs:
        path, truth = clip(spec)
        t0 = time.perf_counter()
        try:
            result = analyze(
                path, AnalysisOptions(exercise=spec.exercise, body_mass_kg=80, render=False, pose_model=args.pose_model)
            )
        except AnalysisError as refused:  # a rendered lift refused misses every target, and says why
            elapsed = time.perf_counter() - t0
            cells, model, misses = ["—"] * len(COLUMNS), "", [f"refused: `{refused.code}`"]
        else:
            elapsed = time.perf_counter() - t0
            scores = evaluate(result.to_dict(), truth)
            studies.append(smoothing_study(result, truth))
            cells, model, misses = (
                [f"{scores[k]:.{nd}f}" for k, _, nd in COLUMNS],
                result.runtime["pose_model"],
                failures(scores),
            )
        failed += bool(misses)
        lines.append(
            f"| {spec.name} | " + " | ".join(cells) + f" | {model} | {elapsed:.1f} | {'; '.join(misses) or 'all met'} |"
        )
        print(lines[-1], flush=True)
        for factor in factors:
            value = getattr(spec, factor, None) if factor != "size" else f"{spec.height}p"
            by_factor[(factor, value)][0] += 1
            by_factor[(factor, value)][1] += bool(misses)
    lines += ["", f"targets: {TARGETS}", "", f"clips meeting every target: {len(specs) - failed}/{len(specs)}"]
    if args.set != "bench":
        lines += ["", "| look factor | value | clips | clips missing a target |", "|---|---|---|---|"]
        lines += [f"| {f} | {v} | {n} | {m} |" for (f, v), (n, m) in sorted(by_factor.items(), key=str)]
    print("\n".join(lines[-(len(by_factor) + 5 if args.set != "bench" else 3) :]))
    if not args.only:
        DOCS.mkdir(exist_ok=True)
        (DOCS / f"accuracy-{page}.md").write_text("\n".join(lines) + "\n")
    print(f"\nsmoothing filter study over {len(studies)} clips (the engine uses {BAR_FILTER}):")
    print(f"  {'filter':<45} dv mean  dv max   h rmse mean")
    for label in studies[0]:
        dv = [s[label][0] for s in studies]
        print(f"  {label:<45} {np.mean(dv):.4f}   {np.max(dv):.4f}   {np.mean([s[label][1] for s in studies]):.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
