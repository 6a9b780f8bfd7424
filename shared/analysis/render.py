"""Render: the annotated video (skeleton, bar path coloured by phase, live bar speed and
phase label) as browser-playable H.264, and one JPEG per phase start."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from shared.analysis.accel import CPU_ENCODER, ENCODER_OPTIONS
from shared.analysis.pose import LANDMARKS
from shared.analysis.video import Prefetched

MAX_LONG_SIDE_PX = 1280
TRAIL_S = 8.0  # a whole clean & jerk stays on screen
PHASE_COLOURS = {  # RGB
    "setup": (200, 200, 200),
    "first_pull": (66, 133, 244),
    "transition": (0, 188, 212),
    "second_pull": (76, 175, 80),
    "turnover": (255, 193, 7),
    "catch": (255, 87, 34),
    "recovery": (156, 39, 176),
    "jerk_dip": (121, 85, 72),
    "jerk_drive": (233, 30, 99),
    "jerk_catch": (255, 152, 0),
    "jerk_recovery": (103, 58, 183),
}
BONES = [
    ("lsho", "lelb"),
    ("lelb", "lwri"),
    ("lsho", "lhip"),
    ("lhip", "lkne"),
    ("lkne", "lank"),
    ("lank", "lhee"),
    ("lhee", "ltoe"),
    ("lank", "ltoe"),
    ("rsho", "relb"),
    ("relb", "rwri"),
    ("rsho", "rhip"),
    ("rhip", "rkne"),
    ("rkne", "rank"),
    ("rank", "rhee"),
    ("rhee", "rtoe"),
    ("rank", "rtoe"),
    ("lsho", "rsho"),
    ("lhip", "rhip"),
]


def output_size(width: int, height: int) -> tuple[int, int]:
    scale = min(1.0, MAX_LONG_SIDE_PX / max(width, height))
    return int(round(width * scale / 2)) * 2, int(round(height * scale / 2)) * 2


class Annotator:
    """Draws one frame's overlay; pixel inputs are in the decoded frame's coordinates."""

    def __init__(self, lifter_px, bar_px, phase_names, speed_mps, scale: float, trail: int):
        self.lifter_px, self.phase_names = lifter_px, phase_names
        self.speed_mps, self.scale = speed_mps, scale
        self.trail = trail  # frames of bar path kept on screen; bounded so long clips stay linear
        ok = np.isfinite(bar_px).all(axis=1)
        self._bar_ok = ok
        self._bar_pts = np.where(ok[:, None], np.nan_to_num(bar_px) * scale, 0).round().astype(np.int32)

    def __call__(self, rgb: np.ndarray, i: int) -> np.ndarray:
        s = self.scale
        thick = max(2, int(round(rgb.shape[0] / 360)))
        person = self.lifter_px[i]
        for a, b in BONES:
            pa, pb = person[LANDMARKS[a], :2] * s, person[LANDMARKS[b], :2] * s
            if np.isfinite(pa).all() and np.isfinite(pb).all():
                colour = (255, 255, 255) if a[0] == "l" else (255, 235, 59)
                cv2.line(rgb, tuple(pa.astype(int)), tuple(pb.astype(int)), colour, thick, cv2.LINE_AA)
        self._draw_trail(rgb, max(0, i + 1 - self.trail), i, thick + 1)
        font = rgb.shape[0] / 900
        label = (self.phase_names[i] or "").replace("_", " ")
        speed = self.speed_mps[i]
        text = f"bar {speed:.2f} m/s" if np.isfinite(speed) else "bar --"
        for k, line in enumerate((text, label)):
            y = int(40 * font + k * 42 * font)
            cv2.putText(
                rgb, line, (int(16 * font), y), cv2.FONT_HERSHEY_SIMPLEX, font, (0, 0, 0), thick + 3, cv2.LINE_AA
            )
            cv2.putText(
                rgb,
                line,
                (int(16 * font), y),
                cv2.FONT_HERSHEY_SIMPLEX,
                font,
                PHASE_COLOURS.get(self.phase_names[i], (255, 255, 255)) if k else (255, 255, 255),
                thick,
                cv2.LINE_AA,
            )
        return rgb

    def _draw_trail(self, rgb, first: int, last: int, thick: int) -> None:
        """Bar path from frame `first` to `last`, one polyline per run of one phase."""
        start = first
        for k in range(first + 1, last + 2):
            if k <= last and self._bar_ok[k] and self.phase_names[k] == self.phase_names[start]:
                continue
            run = self._bar_pts[start:k][self._bar_ok[start:k]]
            if len(run) > 1:
                colour = PHASE_COLOURS.get(self.phase_names[start], (255, 255, 255))
                cv2.polylines(rgb, [run], False, colour, thick, cv2.LINE_AA)
            start = k - 1 if k <= last and self._bar_ok[k - 1] else k


def to_i420(rgb: np.ndarray) -> np.ndarray:
    """Planar YUV 4:2:0 for the encoder, each chroma sample the mean of its 2x2 block as in
    swscale (4.7 ms a 720p frame there, ~2 ms here). OpenCV's own conversion takes the
    top-left pixel's chroma, which fringes thin coloured lines."""
    i420 = cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420)
    h = rgb.shape[0]
    i420[h:] = cv2.cvtColor(cv2.blur(rgb, (2, 2), anchor=(0, 0)), cv2.COLOR_RGB2YUV_I420)[h:]
    return i420


def render_video(
    frames: Iterable,
    annotate: Annotator,
    size: tuple[int, int],
    fps: float,
    out_path: Path,
    phase_starts: dict,
    out_dir: Path,
    on_frame: Callable[[int], None] | None = None,
    encoder: str = CPU_ENCODER,
) -> dict:
    """Encode annotated frames to `out_path` with `encoder` (libx264, or h264_nvenc where
    `accel.encoder_problem` found it works); returns {phase: jpeg path} for phase starts.
    Drawing runs a few frames ahead in its own thread, overlapping the encoder."""
    starts: dict = {}
    for name, frame in phase_starts.items():  # empty phases can share a start frame
        starts.setdefault(frame, []).append(name)
    images = {}

    def drawn():
        for frame in frames:
            rgb = (
                cv2.resize(frame.rgb, size, interpolation=cv2.INTER_AREA)
                if frame.rgb.shape[1::-1] != size
                else frame.rgb.copy()
            )
            rgb = annotate(rgb, frame.index)
            for name in starts.get(frame.index, []):
                path = out_dir / f"phase_{name}.jpg"
                cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 88])
                images[name] = path.name
            yield frame, to_i420(rgb)

    with av.open(str(out_path), "w", options={"movflags": "+faststart"}) as container:
        stream = container.add_stream(encoder, rate=round(fps) or 30)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.options = dict(ENCODER_OPTIONS[encoder])
        stream.codec_context.time_base = Fraction(1, 1000)  # PTS in ms keep variable frame timing
        with contextlib.closing(Prefetched(drawn())) as ready:
            for frame, i420 in ready:
                vf = av.VideoFrame.from_ndarray(i420, format="yuv420p")
                vf.pts = int(round(frame.t_s * 1000))
                for packet in stream.encode(vf):
                    container.mux(packet)
                if on_frame:
                    on_frame(frame.index)
        for packet in stream.encode():
            container.mux(packet)
    return images
