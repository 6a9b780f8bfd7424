"""The job's GPU paths, checked once on a GPU machine (a session lent the device tool's NVIDIA
H200: no internet, 15 minutes of device time for every try together). CI never runs it.

Steps, each in its own process, so a GPU library that aborts takes down only its own step:
1. `nvidia-smi`;
2. encoders: whether h264_nvenc opens, then libx264 and h264_nvenc each encode the same 300
   synthetic 720p frames through `render_video`: ms/frame, bytes, and a check that the file
   is browser-playable H.264 (yuv420p, faststart, every frame);
3. pose: the PoseLandmarker (the default model) on the CPU and on the GPU delegate over the sample lift's
   100 frames: ms/frame after the first, and how far the GPU's keypoints are from the CPU's;
4. the engine end to end on tests/data/sample_snatch.mp4 with LIFTLAB_ACCEL=cpu, auto and gpu:
   the runtime each recorded, its wall time, and its max_bar_speed, peak_bar_height and
   outcome against the CPU run's.
The summary goes to $OUT/gpu_check.json (where OUT is set) and to stdout. Exit status 1: a step
crashed, a video is not valid, or a run's headline metrics differ from the CPU run's beyond
the tolerances below. A GPU path that is not available is reported, not failed: that is the
CPU fallback working.

Environment. Here, on the CPU machine: `.venv/bin/python -m infra.job.gpu_check`; the GPU
parts then report "not available". There, the device machine's `python3` (3.12) has numpy,
scipy, opencv-python-headless, matplotlib, absl-py and flatbuffers, but neither av nor
mediapipe, and perhaps not the EGL libraries that libmediapipe.so links. Their wheels (79 MB)
are more than a call can carry (64 MiB, ~17 MB of it the working tree), so first, here, once:

    echo /.gpucheck/ >> .git/info/exclude
    .venv/bin/python -m infra.job.gpu_check --pack .gpucheck    # ~6 min on 2 cores

which packs av and mediapipe from the venv (libmediapipe.so without its symbol table; no
tests, stubs or Cython headers) and glvnd's libEGL, libGLESv2 and libGLdispatch into
.gpucheck/site.tar.xz (46.8 MiB in Nov 2026, with a 16.5 MiB working tree: 63.3 MiB, tight),
and fails if the two pass 64 MiB. Then one device call, carry [".gpucheck"], timeout_s 480:

    set -o pipefail; mkdir -p /tmp/site && tar -xJf .gpucheck/site.tar.xz -C /tmp/site &&
    PYTHONPATH=/tmp/site LD_LIBRARY_PATH=/tmp/site/_glvnd PYTHONUNBUFFERED=1
    python3 -m infra.job.gpu_check 2>&1 | tee $OUT/gpu_check.log

Here, on 2 cores, the check takes 1-2 minutes; it has not yet run there. NVIDIA's EGL vendor
file is looked for below (the device machine keeps it under /usr/local/nvidia); MediaPipe's
GPU delegate needs it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "tests" / "data" / "sample_snatch.mp4"
ENCODE_FRAMES, ENCODE_SIZE = 300, (1280, 720)
MAX_BAR_SPEED_REL_TOL, PEAK_BAR_HEIGHT_TOL_M = 0.05, 0.03
STEP_TIMEOUT_S = 240
CALL_LIMIT_MIB = 64  # what one device call carries: the working tree and the archive
NVIDIA_EGL_VENDOR_FILES = (
    "/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json",
    "/usr/share/glvnd/egl_vendor.d/10_nvidia.json",
)
NVIDIA_LIB_DIRS = ("/usr/local/nvidia/lib64", "/usr/local/nvidia/lib")
GLVND_LIBS = ("libEGL.so.1", "libGLESv2.so.2", "libGLdispatch.so.0")


def video_problems(path: Path, frames: int | None = None) -> list[str]:
    """What keeps `path` from being a browser-playable H.264 mp4 ([] when nothing)."""
    import av

    problems = []
    data = path.read_bytes()
    if not 0 <= data.find(b"moov") < data.find(b"mdat"):
        problems.append("moov is not before mdat (no faststart)")
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        if stream.codec_context.name != "h264" or stream.codec_context.pix_fmt != "yuv420p":
            problems.append(f"{stream.codec_context.name}/{stream.codec_context.pix_fmt}, not h264/yuv420p")
        decoded = sum(1 for _ in container.decode(stream))
    if frames is not None and decoded != frames:
        problems.append(f"{decoded} frames decoded, {frames} encoded")
    return problems


def step_encoders(work: Path) -> dict:
    import numpy as np

    from shared.analysis import accel
    from shared.analysis.render import Annotator, render_video
    from shared.analysis.video import Frame

    w, h = ENCODE_SIZE
    base = np.zeros((h, w, 3), np.uint8)
    base[..., 0] = np.linspace(0, 255, w, dtype=np.uint8)
    base[..., 1] = np.linspace(0, 255, h, dtype=np.uint8)[:, None]

    def frames():
        for i in range(ENCODE_FRAMES):
            rgb = np.roll(base, 4 * i, axis=1)
            rgb[300:420, 40 + 3 * i : 160 + 3 * i] = (230, 40, 40)
            yield Frame(i, i / 30.0, rgb)

    n = ENCODE_FRAMES
    annotate = Annotator(
        np.full((n, 33, 3), np.nan), np.full((n, 2), np.nan), ["setup"] * n, np.full(n, np.nan), scale=1.0, trail=30
    )
    problem = accel.encoder_problem(accel.GPU_ENCODER)
    result = {"h264_nvenc_opens": problem is None, "h264_nvenc_problem": problem}
    for encoder in (accel.CPU_ENCODER, accel.GPU_ENCODER):
        if encoder == accel.GPU_ENCODER and problem:
            result[encoder] = {"available": False}
            continue
        path = work / f"{encoder}.mp4"
        start = time.perf_counter()
        render_video(frames(), annotate, ENCODE_SIZE, 30.0, path, {}, work, encoder=encoder)
        elapsed_s = time.perf_counter() - start
        result[encoder] = {
            "available": True,
            "ms_per_frame": round(1000 * elapsed_s / n, 2),
            "bytes": path.stat().st_size,
            "problems": video_problems(path, n),
        }
    return result


def step_pose(work: Path, delegate: str) -> dict:
    import numpy as np

    from shared.analysis import video
    from shared.analysis.pose import AUTO_MODELS, PoseEstimator

    info = video.probe(SAMPLE, 600, 1280)
    frames = list(video.frames(SAMPLE, info))
    start = time.perf_counter()
    try:
        estimator = PoseEstimator(AUTO_MODELS[0], delegate=delegate)  # the model the default runs first
    except RuntimeError as exc:
        return {"available": False, "reason": str(exc).rsplit(": ", 1)[-1]}
    create_s = time.perf_counter() - start
    times_ms, people = [], []
    with estimator:
        for frame in frames:
            t0 = time.perf_counter()
            found = estimator(frame.rgb, frame.t_s)
            times_ms.append(1000 * (time.perf_counter() - t0))
            people.append(found[0, :, :2] if len(found) else np.full((33, 2), np.nan))
    np.save(work / f"pose_{delegate}.npy", np.asarray(people))
    return {
        "available": True,
        "create_s": round(create_s, 2),
        "first_frame_ms": round(times_ms[0], 1),
        "ms_per_frame": round(statistics.median(times_ms[1:]), 2),
        "frames": len(frames),
        "frames_with_pose": sum(bool(np.isfinite(p).any()) for p in people),
    }


STEPS = {
    "encoders": step_encoders,
    "pose_cpu": lambda w: step_pose(w, "cpu"),
    "pose_gpu": lambda w: step_pose(w, "gpu"),
}


def _child_env() -> dict:
    env = dict(os.environ)
    vendor = next((f for f in NVIDIA_EGL_VENDOR_FILES if Path(f).exists()), None)
    if vendor and "__EGL_VENDOR_LIBRARY_FILENAMES" not in env:
        env["__EGL_VENDOR_LIBRARY_FILENAMES"] = vendor
    extra = [d for d in NVIDIA_LIB_DIRS if Path(d).is_dir()]
    env["LD_LIBRARY_PATH"] = ":".join([*filter(None, env.get("LD_LIBRARY_PATH", "").split(":")), *extra])
    return env


def _run(args: list[str], env: dict, timeout_s: int = STEP_TIMEOUT_S) -> tuple[int, str, str, float]:
    start = time.perf_counter()
    try:
        proc = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout_s)
        return proc.returncode, proc.stdout, proc.stderr, time.perf_counter() - start
    except subprocess.TimeoutExpired as exc:
        return 124, exc.stdout or "", f"timed out after {timeout_s} s", time.perf_counter() - start
    except FileNotFoundError as exc:
        return 127, "", str(exc), 0.0


def _step(name: str, work: Path, env: dict, failures: list) -> dict:
    rc, out, err, _ = _run([sys.executable, "-m", "infra.job.gpu_check", "--step", name, "--work", str(work)], env)
    try:
        return json.loads(out.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        failures.append(f"step {name} crashed (exit {rc})")
        return {"crashed": True, "exit": rc, "stderr_tail": err[-1500:]}


def _engine(mode: str, work: Path, env: dict, failures: list) -> dict:
    out_dir = work / f"engine_{mode}"
    rc, _, err, wall_s = _run(
        [
            sys.executable,
            "-m",
            "shared.analysis",
            str(SAMPLE),
            "--exercise",
            "snatch",
            "--bar-mass",
            "100",
            "--lifter-height",
            "1.75",
            "--accel",
            mode,
            "--out",
            str(out_dir),
        ],
        env,
    )
    if rc != 0:
        failures.append(f"engine with accel={mode} exited {rc}")
        return {"exit": rc, "stderr_tail": err[-1500:]}
    result = json.loads((out_dir / "result.json").read_text())
    problems = video_problems(out_dir / "analyzed.mp4", len(result["timestamps_s"]))
    if problems:
        failures.append(f"engine with accel={mode}: analyzed.mp4: {problems}")
    metrics = {k: result["metrics"].get(k) for k in ("outcome", "max_bar_speed", "peak_bar_height")}
    return {"wall_s": round(wall_s, 2), "runtime": result["runtime"], "metrics": metrics, "video_problems": problems}


def _compare(cpu: dict, other: dict, mode: str, failures: list) -> None:
    a, b = cpu.get("metrics"), other.get("metrics")
    if not a or not b:
        return
    speed_ok = abs(b["max_bar_speed"] - a["max_bar_speed"]) <= MAX_BAR_SPEED_REL_TOL * abs(a["max_bar_speed"])
    height_ok = abs(b["peak_bar_height"] - a["peak_bar_height"]) <= PEAK_BAR_HEIGHT_TOL_M
    other["matches_cpu"] = speed_ok and height_ok and a["outcome"] == b["outcome"]
    if not other["matches_cpu"]:
        failures.append(f"accel={mode} metrics {b} differ from the CPU run's {a}")


def check() -> int:
    import numpy as np

    env, failures = _child_env(), []
    summary: dict = {"python": sys.version.split()[0], "egl_vendor_file": env.get("__EGL_VENDOR_LIBRARY_FILENAMES")}
    rc, out, err, _ = _run(["nvidia-smi"], env, 60)
    summary["nvidia_smi"] = out if rc == 0 else f"not available ({err.strip() or f'exit {rc}'})"
    with tempfile.TemporaryDirectory(prefix="gpu-check-") as tmp:
        work = Path(tmp)
        summary["encoders"] = _step("encoders", work, env, failures)
        for delegate in ("cpu", "gpu"):
            summary[f"pose_{delegate}"] = _step(f"pose_{delegate}", work, env, failures)
        for name in ("libx264", "h264_nvenc"):
            if (summary["encoders"].get(name) or {}).get("problems"):
                failures.append(f"{name} output: {summary['encoders'][name]['problems']}")
        if (work / "pose_cpu.npy").exists() and (work / "pose_gpu.npy").exists():
            gap_px = np.linalg.norm(np.load(work / "pose_gpu.npy") - np.load(work / "pose_cpu.npy"), axis=-1)
            summary["pose_gpu_vs_cpu_median_px"] = round(float(np.nanmedian(gap_px)), 2)
        summary["engine"] = {mode: _engine(mode, work, env, failures) for mode in ("cpu", "auto", "gpu")}
    for mode in ("auto", "gpu"):
        _compare(summary["engine"]["cpu"], summary["engine"][mode], mode, failures)
    summary["gpu_paths_used"] = {
        mode: {k: run["runtime"][k] for k in ("encoder", "pose_delegate")}
        for mode, run in summary["engine"].items()
        if "runtime" in run
    }
    summary["failures"] = failures
    text = json.dumps(summary, indent=2)
    print(text)
    if os.environ.get("OUT"):
        Path(os.environ["OUT"], "gpu_check.json").write_text(text)
    return 1 if failures else 0


def pack(dest: Path) -> int:
    """av and mediapipe from this venv, and glvnd's EGL/GLES libraries, as one tar.xz."""
    import importlib.metadata

    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="gpu-pack-") as tmp:
        site = Path(tmp) / "site"
        for name in ("av", "mediapipe"):
            dist = importlib.metadata.distribution(name)
            for file in dist.files:
                source = Path(dist.locate_file(file))
                if (
                    {"..", "__pycache__", "test", "tests"} & set(file.parts)
                    or file.suffix in (".pyi", ".pxd")
                    or not source.is_file()
                ):
                    continue
                (site / file).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, site / file)
        library = site / "mediapipe" / "tasks" / "c" / "libmediapipe.so"
        subprocess.run(["strip", "--strip-unneeded", str(library)], check=True)
        linked = subprocess.run(["ldd", str(library)], capture_output=True, text=True, check=True).stdout
        (site / "_glvnd").mkdir()
        for line in linked.splitlines():
            soname, _, path = line.strip().partition(" => ")
            if soname in GLVND_LIBS:
                shutil.copyfile(Path(path.split(" (")[0]).resolve(), site / "_glvnd" / soname)
        missing = sorted(set(GLVND_LIBS) - {p.name for p in (site / "_glvnd").iterdir()})
        if missing:
            print(f"not found here: {missing}", file=sys.stderr)
            return 1
        archive = dest / "site.tar.xz"
        # The x86 branch filter before LZMA2 saves about 4% on machine code: MiBs that count here.
        subprocess.run(
            f"tar -C '{site}' -cf - . | xz --x86 --lzma2=preset=9e -T2 > '{archive}'", shell=True, check=True
        )
    archive_mib, tree_mib = archive.stat().st_size / 2**20, _working_tree_bytes() / 2**20
    print(
        f"{archive}: {archive_mib:.1f} MiB; with the working tree ({tree_mib:.1f} MiB) "
        f"{archive_mib + tree_mib:.1f} of the {CALL_LIMIT_MIB} MiB a call carries"
    )
    return 0 if archive_mib + tree_mib < CALL_LIMIT_MIB else 1


def _working_tree_bytes() -> int:
    """What a device call sends besides `carry`: tracked files and untracked, unignored ones."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return sum((ROOT / name).stat().st_size for name in set(listed.split("\0")) if name and (ROOT / name).is_file())


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m infra.job.gpu_check", description=__doc__.split("\n\n")[0])
    ap.add_argument("--pack", type=Path, metavar="DIR", help="write DIR/site.tar.xz for the device machine")
    ap.add_argument("--step", choices=sorted(STEPS), help=argparse.SUPPRESS)
    ap.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.pack:
        return pack(args.pack)
    if args.step:
        print(json.dumps(STEPS[args.step](args.work)))
        return 0
    return check()


if __name__ == "__main__":
    sys.exit(main())
