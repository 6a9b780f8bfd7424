"""Two engines side by side on the same rendered clips, in one run: accuracy, time and memory.

python -m bench.versus (--base DIR | --base-commit COMMIT) [--set random|bench|both|shaped] [--only NAME]

DIR is a checkout of another engine version (for example `git worktree add /tmp/base
<commit>`); with --base-commit, this repository's COMMIT is checked out once into
.cache/base-COMMIT (the pose models ship in the repository, so it runs as it is). Both run
through their own command line (`python -m shared.analysis`, with this interpreter, the
annotated video included) one after the other on each clip, so the times share the
machine's state, and each run's peak memory is the largest resident set of its process
(`os.wait4`'s ru_maxrss; the pose lanes are threads, so that is the engine's whole). Its
processor time (user and system, from the same call) tells more work from idle cores where
the times differ. Each is scored against the clip's exact truth by this checkout's evaluator.
`shaped` is the clips shaped as people film them (10-30 s, one to three lifts, long set-ups;
tests.synth.clips.SHAPED_SET). The table, its command and its date are written to
docs/versus.md, or docs/versus-shaped.md for that set.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.synth.clips import BENCH_SET, SHAPED_SET, clip, random_set
from tests.synth.evaluate import evaluate, failures

ROOT = Path(__file__).resolve().parents[1]


def checkout(commit: str) -> Path:
    """This repository at `commit`, in .cache/base-COMMIT (made once, by `git worktree add`)."""
    where = ROOT / ".cache" / f"base-{commit}"
    if not (where / "shared" / "analysis").is_dir():
        where.parent.mkdir(exist_ok=True)
        subprocess.run(["git", "worktree", "prune"], cwd=ROOT, check=True)
        subprocess.run(["git", "worktree", "add", "--detach", "--force", str(where), commit], cwd=ROOT, check=True)
    return where


def run(root: Path, path: Path, exercise: str) -> tuple:
    """(result.json or None when refused, seconds, processor seconds, peak resident MiB) of one
    engine checkout on one clip."""
    with tempfile.TemporaryDirectory() as out, open(Path(out) / "log.txt", "w") as log:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "shared.analysis",
                str(path),
                "--exercise",
                exercise,
                "--body-mass",
                "80",
                "--out",
                out,
            ],
            cwd=root,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
        result = json.loads((Path(out) / "result.json").read_text()) if proc.returncode == 0 else None
    return result, elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024  # KiB on Linux, so MiB


def cell(result: dict | None, truth, elapsed: float, cpu_s: float, peak_mb: float) -> str:
    if result is None:
        return f"refused | | | | | {elapsed:.1f} | {cpu_s:.1f} | {peak_mb:.0f}"
    s = evaluate(result, truth)
    return (
        f"{len(failures(s))} | {s['peak_speed_err_mps']:.3f} | {s['height_rmse_m']:.3f} | {s['scale_err_pct']:.2f} | "
        f"{s['liftoff_err_frames']} | {elapsed:.1f} | {cpu_s:.1f} | {peak_mb:.0f}"
    )


def main() -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.versus")
    base = ap.add_mutually_exclusive_group(required=True)
    base.add_argument("--base", type=Path)
    base.add_argument("--base-commit")
    ap.add_argument("--set", default="both", choices=("random", "bench", "both", "shaped"))
    ap.add_argument("--only", default=None)
    args = ap.parse_args()
    if args.base_commit:
        args.base = checkout(args.base_commit)
    specs = (random_set() if args.set in ("random", "both") else []) + (
        BENCH_SET if args.set in ("bench", "both") else []
    )
    specs = SHAPED_SET if args.set == "shaped" else specs
    specs = [s for s in specs if not args.only or args.only in s.name]
    head = "misses | dv m/s | h rmse m | scale % | liftoff f | e2e s | cpu s | peak MiB"
    lines = [
        "# Two engines side by side",
        "",
        f"`python -m bench.versus {' '.join(sys.argv[1:])}`, {datetime.date.today().isoformat()}",
        "",
        f"| clip | base: {head} | this: {head} |",
        "|---" * 17 + "|",
    ]
    print("\n".join(lines[-2:]), flush=True)
    totals, cpu, peaks, worst = [0.0, 0.0], [0.0, 0.0], [0.0, 0.0], {"time": (0.0, ""), "memory": (0.0, "")}
    for spec in specs:
        path, truth = clip(spec)
        cells, measured = [], []
        for n, root in enumerate((args.base, ROOT)):
            result, elapsed, cpu_s, peak_mb = run(root, path, spec.exercise)
            totals[n] += elapsed
            cpu[n] += cpu_s
            peaks[n] = max(peaks[n], peak_mb)
            measured.append((elapsed, peak_mb))
            cells.append(cell(result, truth, elapsed, cpu_s, peak_mb))
        (base_s, base_mb), (this_s, this_mb) = measured
        for what, ratio in (("time", this_s / max(base_s, 1e-9)), ("memory", this_mb / max(base_mb, 1e-9))):
            worst[what] = max(worst[what], (ratio, spec.name))
        lines.append(f"| {spec.name} | " + " | ".join(cells) + " |")
        print(lines[-1], flush=True)
    lines += [
        "",
        f"end-to-end time over {len(specs)} clips: base {totals[0]:.1f} s, this {totals[1]:.1f} s, "
        f"ratio {totals[1] / max(totals[0], 1e-9):.3f}",
        "",
        f"processor time over the clips: base {cpu[0]:.1f} s, this {cpu[1]:.1f} s, "
        f"ratio {cpu[1] / max(cpu[0], 1e-9):.3f}",
        "",
        f"peak memory, the most over the clips: base {peaks[0]:.0f} MiB, this {peaks[1]:.0f} MiB, "
        f"ratio {peaks[1] / max(peaks[0], 1e-9):.3f}",
        "",
        "the most over the base on one clip: "
        + "; ".join(f"{what} ratio {ratio:.3f} ({name})" for what, (ratio, name) in worst.items()),
    ]
    print("\n".join(lines[-7:]))
    if not args.only:
        (ROOT / "docs").mkdir(exist_ok=True)
        name = "versus-shaped.md" if args.set == "shaped" else "versus.md"
        (ROOT / "docs" / name).write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
