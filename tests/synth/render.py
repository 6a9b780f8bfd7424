"""Render a keyframed lift to a video file, and return its exact ground truth.

The mannequin is flat-shaded with outlines and contrasting colours (MediaPipe detects it
best that way), in front of gym clutter, with a 0.45 m bumper plate in the hands nearest
the camera. Frames are averaged over the shutter interval for real motion blur, and
sensor noise goes on top. Portrait clips are stored sideways with rotation metadata,
as phones store them; variable-frame-rate clips carry irregular PTS.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from tests.synth.lifts import PLATE_RADIUS_M, make_lift, true_angles

SKIN = (224, 172, 140)
SHIRT = (200, 45, 40)
SHORTS = (35, 40, 70)
SHOE = (240, 240, 240)
HAIR = (40, 28, 20)
PLATE = (30, 70, 190)
PLATE_RIM = (15, 15, 18)
HUB = (200, 200, 205)


@dataclass(frozen=True)
class ClipSpec:
    """What to render. `rotation` is the display rotation a phone writes (0 or -90)."""

    name: str
    exercise: str = "snatch"
    fps: float = 30.0
    width: int = 1280
    height: int = 720
    facing: str = "right"
    rotation: int = 0
    vfr: bool = False
    codec: str = "libx264"
    lifter_height_m: float = 1.75
    noise_sigma: float = 3.0
    blur_samples: int = 3
    show_plate: bool = True
    show_lifter: bool = True
    seed: int = 0


@dataclass
class Truth:
    """Exact per-frame ground truth of a rendered clip, in the engine's conventions."""

    spec: dict
    px_per_m: float
    timestamps_s: list
    bar_x_m: list
    bar_height_m: list
    bar_vy_mps: list
    bar_speed_mps: list
    bar_px: list
    angles: dict = field(default_factory=dict)

    def save(self, path: Path) -> None:
        Path(path).write_text(json.dumps(asdict(self)))

    @classmethod
    def load(cls, path: Path) -> "Truth":
        return cls(**json.loads(Path(path).read_text()))


class Camera:
    """World metres (x forward from the ankle, y up) to upright image pixels."""

    def __init__(self, width: int, height: int, facing: str, px_per_m: float):
        self.width, self.height, self.px_per_m = width, height, px_per_m
        self.sign = 1.0 if facing == "right" else -1.0
        self.floor_px = height * 0.94
        self.ankle_px = width / 2 - self.sign * 0.1 * px_per_m

    def __call__(self, p):
        p = np.asarray(p, dtype=float)
        return np.stack([self.ankle_px + self.sign * p[..., 0] * self.px_per_m,
                         self.floor_px - p[..., 1] * self.px_per_m], axis=-1)


def _upright_size(spec: ClipSpec):
    return (spec.height, spec.width) if spec.rotation else (spec.width, spec.height)


def _background(width: int, height: int, floor_px: float, rng) -> np.ndarray:
    img = np.empty((height, width, 3), np.uint8)
    img[:] = (118, 126, 134)
    img[int(floor_px):] = (146, 108, 72)
    for _ in range(14):  # racks, boxes, posters
        x, y = rng.integers(0, width), rng.integers(0, int(floor_px * 0.8))
        w, h = rng.integers(width // 30, width // 8), rng.integers(height // 20, height // 4)
        colour = tuple(int(c) for c in rng.integers(40, 220, 3))
        cv2.rectangle(img, (int(x), int(y)), (int(x + w), int(y + h)), colour, -1)
    for side in (0.06, 0.94):  # a squat rack's uprights at the edges
        x = int(width * side)
        cv2.rectangle(img, (x - 8, int(height * 0.1)), (x + 8, int(floor_px)), (60, 60, 64), -1)
    for i in range(3):  # small plates stacked on a tree at the far edge
        c = (int(width * 0.06), int(floor_px - height * (0.08 + 0.1 * i)))
        cv2.circle(img, c, int(height * 0.045), (30, 30, 30), -1, cv2.LINE_AA)
    for y in range(int(floor_px), height, 9):  # floor boards
        cv2.line(img, (0, y), (width, y), (128, 94, 62), 1)
    return img


def _shade(colour, k):
    return tuple(int(np.clip(c * k, 0, 255)) for c in colour)


def _limb(img, a, b, width_px, colour, light=1.0):
    a, b = tuple(np.round(a).astype(int)), tuple(np.round(b).astype(int))
    w = max(int(width_px), 2)
    cv2.line(img, a, b, (20, 20, 20), w + 4, cv2.LINE_AA)
    cv2.line(img, a, b, _shade(colour, light), w, cv2.LINE_AA)
    cv2.line(img, a, b, _shade(colour, light * 1.18), max(w // 3, 1), cv2.LINE_AA)


def _poly(img, pts, colour):
    pts = np.round(pts).astype(np.int32)
    cv2.fillPoly(img, [pts], colour, cv2.LINE_AA)
    cv2.polylines(img, [pts], True, (20, 20, 20), 2, cv2.LINE_AA)


def _draw_lifter(img, j, cam: Camera, far: bool):
    ppm, s = cam.px_per_m, cam.sign
    k = 0.72 if far else 1.0
    P = {n: cam(p) + (np.array([-6.0 * s, -3.0]) if far else 0.0) for n, p in j.items()}
    _poly(img, np.array([P["heel"] + (0, -0.07 * ppm), P["heel"], P["toe"], P["toe"] + (0, -0.04 * ppm),
                         P["ankle"]]), _shade(SHOE, k))
    _limb(img, P["ankle"], P["knee"], 0.095 * ppm, SKIN, k)
    _limb(img, P["knee"], P["hip"], 0.15 * ppm, SHORTS, k * 1.6)
    if far:
        _limb(img, P["shoulder"], P["elbow"], 0.09 * ppm, SKIN, k)
        _limb(img, P["elbow"], P["wrist"], 0.075 * ppm, SKIN, k)
    return P


def _draw_body(img, j, cam: Camera):
    ppm, s = cam.px_per_m, cam.sign
    P = {n: cam(p) for n, p in j.items()}
    trunk = P["shoulder"] - P["hip"]
    normal = np.array([-trunk[1], trunk[0]]) / max(np.linalg.norm(trunk), 1e-6)
    half_hip, half_chest = 0.11 * ppm, 0.13 * ppm
    torso = np.array([P["hip"] - normal * half_hip, P["hip"] + normal * half_hip,
                      P["shoulder"] + normal * half_chest, P["shoulder"] - normal * half_chest])
    _poly(img, torso, SHIRT)
    _limb(img, P["hip"], P["hip"] + trunk * 0.25, 0.2 * ppm, SHORTS, 1.6)
    head = P["head"]
    _limb(img, P["shoulder"], head, 0.1 * ppm, SKIN, 0.9)
    r = int(0.105 * ppm)
    c = tuple(np.round(head).astype(int))
    cv2.circle(img, c, r + 2, (20, 20, 20), -1, cv2.LINE_AA)
    cv2.circle(img, c, r, SKIN, -1, cv2.LINE_AA)
    back = -1 if s > 0 else 1
    cv2.ellipse(img, c, (r, r), 0, 180 + (0 if back < 0 else -90), 270 + (90 if back < 0 else 0), HAIR, -1,
                cv2.LINE_AA)
    nose = np.array([[head[0] + s * r * 0.95, head[1] - r * 0.1], [head[0] + s * r * 1.25, head[1] + r * 0.15],
                     [head[0] + s * r * 0.9, head[1] + r * 0.25]])
    _poly(img, nose, _shade(SKIN, 0.92))
    cv2.circle(img, (int(head[0] + s * r * 0.55), int(head[1] - r * 0.15)), max(r // 8, 2), (30, 30, 30), -1)
    cv2.ellipse(img, (int(head[0] - s * r * 0.1), int(head[1] + r * 0.05)), (max(r // 6, 2), max(r // 4, 3)),
                0, 0, 360, _shade(SKIN, 0.8), -1, cv2.LINE_AA)
    cv2.line(img, (int(head[0] + s * r * 0.7), int(head[1] + r * 0.5)),
             (int(head[0] + s * r * 0.95), int(head[1] + r * 0.45)), (120, 50, 50), 2, cv2.LINE_AA)
    _limb(img, P["shoulder"], P["elbow"], 0.1 * ppm, SHIRT, 1.0)
    _limb(img, P["elbow"], P["wrist"], 0.08 * ppm, SKIN, 1.0)
    hand = tuple(np.round(P["wrist"] + (P["bar"] - P["wrist"]) * 0.6).astype(int))
    cv2.circle(img, hand, int(0.045 * ppm), (20, 20, 20), -1, cv2.LINE_AA)
    cv2.circle(img, hand, int(0.04 * ppm), SKIN, -1, cv2.LINE_AA)


def _draw_plate(img, bar_px, ppm):
    c = tuple(np.round(bar_px).astype(int))
    r = int(round(PLATE_RADIUS_M * ppm))
    cv2.circle(img, c, r, PLATE_RIM, -1, cv2.LINE_AA)
    cv2.circle(img, c, int(r * 0.9), PLATE, -1, cv2.LINE_AA)
    cv2.circle(img, c, int(r * 0.3), _shade(PLATE, 0.7), 2, cv2.LINE_AA)
    cv2.circle(img, c, int(r * 0.2), HUB, -1, cv2.LINE_AA)
    cv2.circle(img, c, int(r * 0.11), (90, 90, 95), -1, cv2.LINE_AA)


def render_frame(spec: ClipSpec, lift, cam: Camera, background, t: float) -> np.ndarray:
    """One upright RGB frame at time t, blurred over half a frame interval."""
    shutter = 0.5 / spec.fps
    offsets = np.linspace(-shutter / 2, shutter / 2, spec.blur_samples) if spec.blur_samples > 1 else [0.0]
    acc = np.zeros(background.shape, np.float32)
    for dt in offsets:
        j = {k: v[0] for k, v in lift.at(np.clip(t + dt, 0, lift.duration_s)).items()}
        img = background.copy()
        if spec.show_lifter:
            _draw_lifter(img, j, cam, far=True)
            _draw_body(img, j, cam)
            _draw_lifter(img, j, cam, far=False)
        if spec.show_plate:
            _draw_plate(img, cam(j["bar"]), cam.px_per_m)
        acc += img
    return acc / len(offsets)


def frame_times(spec: ClipSpec, duration_s: float, rng) -> np.ndarray:
    if not spec.vfr:
        return np.arange(int(duration_s * spec.fps) + 1) / spec.fps
    steps = rng.choice([1 / 24, 1 / 30, 1 / 36], size=int(duration_s * spec.fps * 1.5))
    t = np.concatenate([[0.0], np.cumsum(steps)])
    return np.round(t[t <= duration_s] * 1000) / 1000  # the container keeps milliseconds


def render_clip(spec: ClipSpec, path: Path) -> Truth:
    """Write `spec` to `path` and return its ground truth (also saved beside it as .json)."""
    rng = np.random.default_rng(spec.seed)
    lift = make_lift(spec.exercise, spec.lifter_height_m)
    width, height = _upright_size(spec)
    px_per_m = min(0.86 * height / 2.45, 0.8 * width / 1.5)
    cam = Camera(width, height, spec.facing, px_per_m)
    background = _background(width, height, cam.floor_px, rng)
    noise = [rng.normal(0, spec.noise_sigma, background.shape).astype(np.float32) for _ in range(6)]
    times = frame_times(spec, lift.duration_s, rng)

    with av.open(str(path), "w") as container:
        stream = container.add_stream(spec.codec, rate=Fraction(spec.fps).limit_denominator(1001))
        stream.width, stream.height = (height, width) if spec.rotation else (width, height)
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": "20", "preset": "veryfast"} if spec.codec == "libx264" else {"crf": "24"}
        if spec.vfr:
            stream.codec_context.time_base = Fraction(1, 1000)
        if spec.rotation:
            stream.set_display_rotation(spec.rotation)
        for i, t in enumerate(times):
            img = render_frame(spec, lift, cam, background, float(t)) + noise[i % len(noise)]
            img = np.clip(img, 0, 255).astype(np.uint8)
            if spec.rotation:
                img = np.ascontiguousarray(np.rot90(img, k=-(spec.rotation // 90)))
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts = int(round(t * 1000)) if spec.vfr else i
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)

    truth = _truth(spec, lift, cam, times)
    truth.save(Path(path).with_suffix(".json"))
    return truth


def _truth(spec: ClipSpec, lift, cam: Camera, times: np.ndarray) -> Truth:
    dt = 1e-4
    bar = lift.at(times)["bar"]
    vel = (lift.at(times + dt)["bar"] - lift.at(times - dt)["bar"]) / (2 * dt)
    angles = true_angles(lift.at(times))
    return Truth(spec=asdict(spec), px_per_m=cam.px_per_m, timestamps_s=times.tolist(),
                 bar_x_m=(bar[:, 0] - bar[0, 0]).tolist(), bar_height_m=bar[:, 1].tolist(),
                 bar_vy_mps=vel[:, 1].tolist(), bar_speed_mps=np.linalg.norm(vel, axis=1).tolist(),
                 bar_px=cam(bar).tolist(),
                 angles={k: v.tolist() for k, v in angles.items()})
