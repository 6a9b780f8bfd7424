"""Acceleration: which H.264 encoder and which pose delegate a run uses.

The mode (`AnalysisOptions.accel`, from `LIFTLAB_ACCEL` via shared.config) is one of:
- `cpu`: libx264 and MediaPipe's CPU delegate; nothing is probed;
- `auto` (default): the GPU paths when an NVIDIA device is visible and they work here;
- `gpu`: try the GPU paths even when no device is visible.
A GPU path that does not work falls back to the CPU one in every mode, and `Runtime`
records what was used and why (result.json's `runtime`):

    >>> plan("auto").to_dict()  # on a machine without a GPU
    {'accel': 'auto', 'encoder': 'libx264', 'pose_delegate': 'cpu', 'fallbacks': {...}}
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import av.logging
import numpy as np

MODES = ("auto", "cpu", "gpu")
CPU_ENCODER, GPU_ENCODER = "libx264", "h264_nvenc"
ENCODER_OPTIONS = {
    CPU_ENCODER: {
        "preset": "ultrafast",
        "crf": "23",
    },  # half superfast's encode time here, PSNR as good, files ~30 % larger
    # Constant quality near libx264's crf 23: VBR with no bitrate target, `cq` sets quality.
    GPU_ENCODER: {"preset": "p4", "tune": "hq", "rc": "vbr", "cq": "23", "b": "0", "profile": "high"},
}
DEVICE_DIR = Path("/dev")  # the NVIDIA container runtime exposes /dev/nvidia0, /dev/nvidia1, ...
PROBE_SIZE_PX = (256, 144)


def parse_mode(value: str) -> str:
    """'auto', 'cpu' or 'gpu' (case and spaces ignored); anything else is a ValueError."""
    mode = str(value).strip().lower()
    if mode not in MODES:
        raise ValueError(f"accel (LIFTLAB_ACCEL) must be one of {', '.join(MODES)}, not {value!r}")
    return mode


def nvidia_gpu_visible() -> bool:
    return any(DEVICE_DIR.glob("nvidia[0-9]*"))


@dataclass
class Runtime:
    """What one run uses; `fallbacks` says, per component, why its GPU path is not used."""

    accel: str
    encoder: str = CPU_ENCODER
    pose_delegate: str = "cpu"
    fallbacks: dict = field(default_factory=dict)

    def fall_back(self, component: str, reason: str) -> None:
        setattr(self, component, CPU_ENCODER if component == "encoder" else "cpu")
        self.fallbacks[component] = reason

    def to_dict(self) -> dict:
        return asdict(self)


def plan(mode: str) -> Runtime:
    """The encoder, decided here by encoding a probe frame, and the pose delegate to try
    first; `shared.analysis.pose.open_pose` confirms the delegate or falls back."""
    runtime = Runtime(parse_mode(mode))
    if runtime.accel == "cpu":
        return runtime
    if runtime.accel == "auto" and not nvidia_gpu_visible():
        runtime.fallbacks = {"encoder": "no NVIDIA GPU visible", "pose_delegate": "no NVIDIA GPU visible"}
        return runtime
    problem = encoder_problem(GPU_ENCODER)
    if problem:
        runtime.fallbacks["encoder"] = problem
    else:
        runtime.encoder = GPU_ENCODER
    runtime.pose_delegate = "gpu"
    return runtime


def encoder_problem(name: str) -> str | None:
    """None when `name` encodes a frame on this machine with our options, else why not.
    h264_nvenc is in the PyAV wheel but needs libcuda and a GPU with NVENC at run time."""
    if name not in av.codecs_available:
        return f"{name} is not in this PyAV build"
    previous = av.logging.get_level()
    av.logging.set_level(av.logging.ERROR)  # FFmpeg's own reason ("Cannot load libcuda.so.1") is only logged
    try:
        with av.logging.Capture() as logs:  # and kept off stderr
            context = av.CodecContext.create(name, "w")
            context.width, context.height = PROBE_SIZE_PX
            context.pix_fmt = "yuv420p"
            context.time_base = Fraction(1, 1000)
            context.options = dict(ENCODER_OPTIONS[name])
            frame = av.VideoFrame.from_ndarray(
                np.zeros((PROBE_SIZE_PX[1], PROBE_SIZE_PX[0], 3), np.uint8), format="rgb24"
            )
            frame.pts = 0
            context.encode(frame)
            context.encode(None)
    except av.FFmpegError as exc:
        return f"{name} did not open: {'; '.join(message.strip() for _, _, message in logs) or exc}"
    finally:
        av.logging.set_level(previous)
    return None
