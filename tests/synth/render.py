"""Render a keyframed lift to a video file, and return its exact ground truth.

The mannequin is drawn as a person in profile (shaped head, neck, rounded and tapering limbs,
shirt and shorts, banded shading, dark outlines), since MediaPipe's landmarks land on the joint
centres only for a human-like figure. It stands in front of gym clutter, with a 0.45 m bumper
plate in the hands nearest the camera, drawn over the shins as in real side-view footage.
Frames are averaged over the shutter interval for real motion blur, and sensor noise goes on
top. Portrait clips are stored sideways with rotation metadata, as phones store them;
variable-frame-rate clips carry irregular PTS.
"""

from __future__ import annotations

import functools
import json
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from tests.synth.lifts import PLATE_RADIUS_M, Body, forward_kinematics, make_lift, true_angles

SKIN = (214, 160, 124)
SHIRT = (176, 34, 46)
SHORTS = (34, 38, 62)
SHOE = (34, 36, 44)
SOLE = (232, 230, 222)
HAIR = (44, 30, 22)
OUTLINE = (24, 18, 16)
PLATE = (30, 70, 190)
PLATE_RIM = (15, 15, 18)
HUB = (200, 200, 205)

# Side-view outlines, after anthropometric profiles: rows of (fraction along the segment from
# its distal joint (the hip for the trunk), anterior half-width m, posterior half-width m). Rounded, tapering limbs
# with a calf, a thigh, buttocks, a chest and a deltoid are what MediaPipe was trained on;
# flat sticks put its landmarks off the joint centres.
SHANK = ((0, 0.032, 0.034), (0.25, 0.036, 0.05), (0.6, 0.042, 0.07), (0.82, 0.047, 0.062), (1, 0.055, 0.052))
THIGH = ((0, 0.055, 0.05), (0.25, 0.065, 0.065), (0.55, 0.08, 0.08), (0.75, 0.088, 0.088), (1, 0.09, 0.095))
TRUNK = (
    (-0.2, 0.02, 0.06),
    (-0.06, 0.08, 0.13),
    (0.05, 0.09, 0.115),
    (0.12, 0.092, 0.1),
    (0.2, 0.095, 0.085),
    (0.4, 0.1, 0.085),
    (0.6, 0.11, 0.095),
    (0.78, 0.12, 0.105),
    (0.92, 0.11, 0.1),
    (1.0, 0.075, 0.08),
)
UPPER_ARM = ((0, 0.04, 0.04), (0.4, 0.05, 0.05), (0.7, 0.052, 0.054), (1, 0.06, 0.06))
FOREARM = ((0, 0.026, 0.026), (0.6, 0.04, 0.04), (0.85, 0.042, 0.04), (1, 0.038, 0.038))
SHOE_OUTLINE = (
    (-0.068, 0),
    (0.205, 0),
    (0.216, 0.02),
    (0.2, 0.04),
    (0.14, 0.055),
    (0.07, 0.068),
    (0.03, 0.078),
    (-0.035, 0.072),
    (-0.062, 0.058),
    (-0.07, 0.02),
)
# Head in (forward, up) metres about the head joint, which sits at the ear.
FACE = (
    (0.1, 0.06),
    (0.106, 0.028),
    (0.096, 0.012),
    (0.1, 0.004),
    (0.128, -0.03),
    (0.106, -0.042),
    (0.108, -0.055),
    (0.102, -0.064),
    (0.106, -0.073),
    (0.097, -0.086),
    (0.102, -0.104),
    (0.08, -0.12),
    (0.03, -0.112),
    (-0.01, -0.078),
    (-0.04, -0.045),
)
HAIRLINE = ((-0.066, -0.045), (-0.035, 0.015), (0, 0.05), (0.05, 0.07), (0.088, 0.078))


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
    plate: str = "blue"  # the bumper's look: one of PLATE_LOOKS
    yaw_deg: float = 0.0  # camera turned about the vertical from side-on: horizontal lengths shrink by cos
    change_plate: bool = False  # a smaller change plate on the sleeve outside the big one
    # Pictures taken at this rate, each shown on the file's frames until the next is taken
    # (24 in a 60 fps file: on 3, 2, 3, 2 frames), as a converted or re-encoded clip does
    content_fps: float | None = None
    time_scale: float = 1.0  # > 1 lifts slower (as a heavier bar does): every speed / time_scale
    lifts: int = 1  # a set: after each lift the bar is lowered back down its path, rests, and goes again
    rest_s: float = 1.5
    lead_s: float = 0.0  # set-up before the first lift: the lifter in the start position, the bar at rest
    # Slow motion: the file plays the world this many times slower (pictures taken at
    # fps * slow_motion); with capture_fps_tag the container says so, as Android phones do
    slow_motion: float = 1.0
    capture_fps_tag: bool = False
    # Lost pictures. drop_every: the camera takes pictures at fps * n / (n - 1) and every n-th
    # is lost, the file keeping wall time (30 fps footage in a 25 fps stream, n = 6).
    # drop_share: that share of the pictures, at random, is lost, the rest stamped at fps as
    # if none were (time in the file runs short)
    drop_every: int = 0
    drop_share: float = 0.0
    bystander: str | None = None  # "standing" or "seated": a person behind the platform
    # A hand-held camera: the view tilts up to follow the bar, the room moving down the
    # picture by up to this many pixels as the bar rises, and sways sideways by a third of it
    camera_follow_px: float = 0.0
    # A phone low and tilted up: everything 2 m above the floor looks this much smaller than
    # at the floor (linearly in height), the plate included
    perspective_pct: float = 0.0
    # Other bumpers in view, as big as the lifter's: one standing on the floor in front of
    # the bar, one on a rack behind the lifter at hip height
    distractor_plates: bool = False
    crf: int = 20  # x264's quality: 20 fine; 30 and over is the heavy compression of a messaging app
    # Backlight: a bright window behind the platform, blown out, and the camera exposing for
    # it: everything else at this share of its brightness (1: none)
    backlight: float = 1.0
    # A phone's wide lens, its distortion corrected only in part: barrel distortion that pulls
    # the picture's corners in by this share of the half-diagonal (0: none)
    lens_barrel: float = 0.0
    # The middle of the plate (HUB_LOOKS), and the sleeve's end nearer the camera than the
    # plate's face: drawn this share further from the picture's centre than the plate's centre
    # (a camera a few metres off; the real clips show 0.02-0.04)
    hub: str = "collar"
    sleeve_parallax: float = 0.0


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
    hip_height_m: list = field(default_factory=list)  # the lifter's hip joint above the floor

    def save(self, path: Path) -> None:
        Path(path).write_text(json.dumps(asdict(self)))

    @classmethod
    def load(cls, path: Path) -> Truth:
        return cls(**json.loads(Path(path).read_text()))


class Camera:
    """World metres (x forward from the ankle, y up) to upright image pixels. A camera turned
    `yaw_deg` from side-on sees horizontal lengths shortened by cos(yaw) (an orthographic view);
    with `perspective_pct` the scale falls linearly with height, as a phone low down and
    tilted up sees it (`local_px_per_m`)."""

    def __init__(
        self, width: int, height: int, facing: str, px_per_m: float, yaw_deg: float = 0.0, perspective_pct: float = 0.0
    ):
        self.width, self.height, self.px_per_m = width, height, px_per_m
        self.shrink_per_m = perspective_pct / 100 / 2.0
        self.squash = float(np.cos(np.radians(yaw_deg)))
        self.sign = self.squash if facing == "right" else -self.squash
        self.floor_px = height * 0.94
        self.ankle_px = width / 2 - self.sign * 0.1 * px_per_m

    def __call__(self, p):
        p = np.asarray(p, dtype=float)
        y, k = p[..., 1], self.shrink_per_m
        return np.stack(
            [
                self.ankle_px + self.sign * p[..., 0] * self.local_px_per_m(y),
                self.floor_px - (y - k * y * y / 2) * self.px_per_m,  # the local scale, integrated up
            ],
            axis=-1,
        )

    def local_px_per_m(self, height_m):
        """Pixels a metre at `height_m` above the floor: px_per_m at the floor, less higher up
        when the camera looks up from low down (`perspective_pct`)."""
        return self.px_per_m * (1 - self.shrink_per_m * np.asarray(height_m, float))


def _upright_size(spec: ClipSpec):
    return (spec.height, spec.width) if spec.rotation else (spec.width, spec.height)


def _background(width: int, height: int, floor_px: float, rng) -> np.ndarray:
    img = np.empty((height, width, 3), np.uint8)
    img[:] = (118, 126, 134)
    img[int(floor_px) :] = (146, 108, 72)
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


@functools.cache
def _shade(colour, k):
    return tuple(int(min(max(c * k, 0), 255)) for c in colour)


def _profile(a, b, rows, caps=(True, True)):
    """World outline (n, 2) of a segment from joint a to joint b with `rows` as its widths;
    the anterior side is the axis turned clockwise. Ends are half-discs, so joints look round."""
    d = np.asarray(b, float) - a
    length = max(np.linalg.norm(d), 1e-9)
    d /= length
    n = np.array([d[1], -d[0]])
    u, f, k = (np.array(col, float)[:, None] for col in zip(*rows))
    along = a + d * u * length
    pts = [along + n * f]
    for end in (1, 0):
        if caps[end]:
            c, r, sgn = along[-end] + n * (f[-end, 0] - k[-end, 0]) / 2, (f[-end, 0] + k[-end, 0]) / 2, 1 if end else -1
            pts.append(c + sgn * r * (_COS_HALF * n + _SIN_HALF * d))
        if end:
            pts.append((along - n * k)[::-1])
    return np.concatenate(pts)


_COS_HALF, _SIN_HALF = np.cos(np.linspace(0, np.pi, 9)[:, None]), np.sin(np.linspace(0, np.pi, 9)[:, None])


class _Pen:
    """Fills world-space outlines on one frame, for the near side or (darker, and `back_m`
    back and a little up) the far side; outlines are sub-pixel and anti-aliased so joints move
    smoothly."""

    def __init__(self, img, cam: Camera, far: bool = False, back_m: float = 0.0):
        self.img, self.cam = img, cam
        self.k = 0.72 if far else 1.0
        self.offset = np.array([-back_m * cam.sign, -0.15 * back_m]) * cam.px_per_m
        self.line = max(int(round(cam.px_per_m * 0.007)), 1)

    def px(self, pts):
        return np.round((self.cam(pts) + self.offset) * 8).astype(np.int32)

    def fill(self, pts, colour, k=1.0, outline=True):
        px = self.px(pts)
        cv2.fillPoly(self.img, [px], _shade(colour, self.k * k), cv2.LINE_AA, shift=3)
        if outline:
            cv2.polylines(self.img, [px], True, _shade(OUTLINE, self.k), self.line, cv2.LINE_AA, shift=3)

    def segment(self, a, b, rows, colour, caps=(True, True), outline=True):
        """A rounded limb, with a darker band on its back and a lighter one on its front."""
        whole = _profile(a, b, rows, caps)
        self.fill(whole, colour, outline=False)
        self.fill(_profile(a, b, [(u, -0.45 * k, k) for u, f, k in rows], caps), colour, 0.8, outline=False)
        self.fill(_profile(a, b, [(u, 0.7 * f, -0.2 * f) for u, f, k in rows], caps), colour, 1.12, outline=False)
        if outline:
            cv2.polylines(
                self.img,
                [self.px(whole)],
                True,
                _shade(OUTLINE, self.k),
                self.line,
                cv2.LINE_AA,
                shift=3,
            )


def _draw_lifter(img, j, cam: Camera, far: bool):
    """One side's leg and arm: calf, shoe, thigh in the shorts' leg, the seat over it, then the arm."""
    pen = _Pen(img, cam, far, 0.1 * far)  # far leg well apart: a leg hidden whole makes MediaPipe invent one
    pen.segment(j["ankle"], j["knee"], SHANK, SKIN)
    pen.fill(j["ankle"] * (1, 0) + np.array(SHOE_OUTLINE), SHOE)
    pen.fill(j["ankle"] * (1, 0) + np.array([[-0.068, 0], [0.205, 0], [0.21, 0.012], [-0.07, 0.022]]), SOLE)
    pen.segment(j["knee"], j["hip"], THIGH, SKIN)
    pen.segment(j["knee"], j["hip"], THIGH[3:], SHORTS, caps=(False, not far))  # no second seat behind
    inset = 1.5 * pen.line / cam.px_per_m  # the seat again, so thigh and buttocks read as one outline
    pen.segment(
        j["hip"],
        j["shoulder"],
        [(u, f - inset, k - inset) for u, f, k in TRUNK[:4]],
        SHORTS,
        caps=(True, False),
        outline=False,
    )
    pen = _Pen(img, cam, far, 0.02 * far)
    pen.segment(j["wrist"], j["elbow"], FOREARM, SKIN)
    pen.segment(j["elbow"], j["shoulder"], UPPER_ARM, SKIN)
    fist = j["wrist"] + (j["bar"] - j["wrist"]) * 0.6
    pen.segment(
        fist - (j["bar"] - j["wrist"]) * 0.4,
        fist + (j["bar"] - j["wrist"]) * 0.4,
        ((0, 0.045, 0.04), (1, 0.045, 0.04)),
        SKIN,
    )


def _draw_body(img, j, cam: Camera):
    """Trunk (shirt, with chest and back; shorts over the buttocks), neck and a head in profile."""
    pen = _Pen(img, cam)
    pen.segment(j["hip"], j["shoulder"], TRUNK, SHIRT)
    pen.segment(j["hip"], j["shoulder"], TRUNK[:4], SHORTS, caps=(True, False))
    up = j["head"] - j["shoulder"]
    up = up / np.linalg.norm(up)
    up = np.array([[np.cos(0.17), -np.sin(0.17)], [np.sin(0.17), np.cos(0.17)]]) @ up  # chin a little up
    fwd = np.array([up[1], -up[0]])
    to_world = lambda p: j["head"] + np.asarray(p)[..., :1] * fwd + np.asarray(p)[..., 1:] * up  # noqa: E731
    trunk = j["shoulder"] - j["hip"]
    trunk = trunk / np.linalg.norm(trunk)
    pen.segment(
        j["shoulder"] + trunk * 0.03 - np.array([trunk[1], -trunk[0]]) * 0.02,
        to_world((-0.01, -0.06)),
        ((0, 0.055, 0.055), (1, 0.05, 0.05)),
        SKIN,
    )
    a = np.radians(np.linspace(20, 235, 16))
    skull = np.stack([0.01 + 0.095 * np.cos(a), 0.03 + 0.1 * np.sin(a)], 1)
    pen.fill(to_world(np.concatenate([skull, np.array(FACE)[::-1]])), SKIN)
    a = np.radians(np.linspace(40, 232, 14))
    hair = np.stack([0.01 + 0.101 * np.cos(a), 0.03 + 0.106 * np.sin(a)], 1)
    pen.fill(to_world(np.concatenate([hair, np.array(HAIRLINE)])), HAIR)
    ear = np.array([[0.02 * np.cos(a), -0.005 + 0.03 * np.sin(a)] for a in np.linspace(0, 2 * np.pi, 12)])
    pen.fill(to_world(ear), SKIN, 0.85)
    pen.fill(
        to_world(np.array([[0.07, 0.012], [0.08, 0.018], [0.09, 0.012], [0.08, 0.008]])), (40, 30, 30), outline=False
    )
    pen.fill(to_world(np.array([[0.066, 0.03], [0.1, 0.034], [0.1, 0.028], [0.066, 0.025]])), HAIR, outline=False)
    pen.fill(
        to_world(np.array([[0.084, -0.062], [0.104, -0.062], [0.104, -0.066], [0.084, -0.066]])),
        (120, 60, 60),
        outline=False,
    )


PLATE_SHIFT = 4  # draw at 1/16 px so the plate's centre is where the truth says, not rounded


@functools.cache
def _drawn_radius(asked_px: float) -> float:
    """The radius of the disc cv2 draws, anti-aliased at PLATE_SHIFT, when asked for this one:
    that of a circle of the drawn disc's area."""
    k, side = 2**PLATE_SHIFT, int(2 * asked_px + 8)
    canvas = np.zeros((side, side), np.uint8)
    axes = (int(round(asked_px * k)),) * 2
    cv2.ellipse(canvas, (side * k // 2 + 5, side * k // 2 + 10), axes, 0, 0, 360, 255, -1, cv2.LINE_AA, PLATE_SHIFT)
    return float(np.sqrt(canvas.sum() / 255.0 / np.pi))


def aa_widening_px(radius_px: float) -> float:
    """How much wider than asked cv2 draws an anti-aliased filled disc that comes out this
    radius: about 0.6 px up to 60 px, 0.53 px at 200 (the asked radius, on cv2's 1/16 px
    grid, whose drawn disc's area is nearest a circle of this one; it is not smooth in the
    radius). The plate is drawn that much smaller, so it is the size the truth says: a fixed
    0.45 px drew a 360p plate 0.7 % large, and the engine read it so."""
    r = round(16 * radius_px) / 16
    near = [a for a in (r - 0.6 + j / 16 for j in range(-6, 7)) if a > 0] or [r]  # a hub's bore may be a pixel
    asked = min(near, key=lambda a: abs(_drawn_radius(a) - r))
    return r - asked


# How bumpers look, outermost band first: (outer radius as a share of the plate's, RGB). The
# engine must take the outer silhouette whatever the bands inside it are.
PLATE_LOOKS = {
    "blue": ((1.0, PLATE_RIM), (0.9, PLATE)),  # a dark rim band round a coloured face
    "black_bevel": ((1.0, (28, 28, 30)), (0.985, (96, 96, 100)), (0.93, (24, 24, 26))),  # lighter bevel inside the rim
    "steel_lip": ((1.0, (168, 170, 174)), (0.95, (120, 122, 128)), (0.9, (150, 152, 158))),  # raised lip
    "red_logo": ((1.0, (170, 30, 34)), (0.8, (150, 26, 30))),  # logo text on the face
}


# The plate's middle, drawn at the sleeve's end: (radius as a share of the plate's, RGB or
# "ring" for a collar ring in the plate's face colour, shaded), outermost first.
HUB_LOOKS = {
    "collar": ((0.3, "ring"), (0.2, HUB), (0.11, (90, 90, 95))),  # a collar round a chrome sleeve end
    "bare_sleeve": ((0.16, (215, 215, 220)), (0.06, (40, 40, 44))),  # the chrome end and its bore
    "dark_hub": ((0.28, (22, 22, 24)), (0.12, (150, 150, 156))),  # a black rubber insert, steel sleeve
}


def _draw_plate(
    img, bar_px, ppm, look: str = "blue", squash: float = 1.0, change_plate: bool = False, hub="collar", hub_px=None
):
    """A 0.45 m bumper at bar_px, its bands as PLATE_LOOKS says, its middle as HUB_LOOKS says
    at hub_px (the sleeve's end; bar_px unless given); squash < 1 narrows it as a camera
    turned from side-on sees it."""
    k = 2**PLATE_SHIFT
    r = PLATE_RADIUS_M * ppm

    def disc(radius, colour, thickness=-1, at=bar_px):
        c = tuple(int(v) for v in np.round(np.asarray(at) * k))
        widening = aa_widening_px(radius)
        axes = (int(round((radius * squash - widening) * k)), int(round((radius - widening) * k)))
        cv2.ellipse(img, c, axes, 0, 0, 360, colour, thickness, cv2.LINE_AA, PLATE_SHIFT)

    for share, colour in PLATE_LOOKS[look]:
        disc(r * share, colour)
    if look == "red_logo":
        text_at = (int(bar_px[0] - 0.45 * r * squash), int(bar_px[1] - 0.35 * r))
        cv2.putText(
            img, "IWF 25", text_at, cv2.FONT_HERSHEY_SIMPLEX, r / 70, (235, 235, 235), max(1, int(r / 25)), cv2.LINE_AA
        )
    if change_plate:  # 0.32 m across, nearer the camera than the big plate
        disc(r * 0.71, (40, 110, 60))
        disc(r * 0.64, (30, 90, 50))
    middle = bar_px if hub_px is None else hub_px
    for share, colour in HUB_LOOKS[hub]:
        ring = colour == "ring"
        disc(r * share, _shade(PLATE_LOOKS[look][-1][1], 0.7) if ring else colour, 2 if ring else -1, middle)


def render_frame(spec: ClipSpec, lift, cam: Camera, background, t: float) -> np.ndarray:
    """One upright RGB frame at (world) time t, blurred over half a picture interval."""
    shutter = 0.5 / (spec.content_fps or capture_fps(spec))
    offsets = np.linspace(-shutter / 2, shutter / 2, spec.blur_samples) if spec.blur_samples > 1 else [0.0]
    acc = np.zeros(background.shape, np.float32)
    for dt in offsets:
        j = {k: v[0] for k, v in lift.at(np.clip(t + dt, 0, lift.duration_s)).items()}
        img = background.copy()
        if spec.bystander:
            _draw_bystander(img, spec, cam, t + dt)
        if spec.show_lifter:
            _draw_lifter(img, j, cam, far=True)
            _draw_body(img, j, cam)
            _draw_lifter(img, j, cam, far=False)
        if spec.show_plate:
            ppm = float(cam.local_px_per_m(j["bar"][1]))
            at = cam(j["bar"])
            sleeve_end = at + spec.sleeve_parallax * (at - np.array([img.shape[1], img.shape[0]]) / 2)
            _draw_plate(img, at, ppm, spec.plate, cam.squash, spec.change_plate, spec.hub, sleeve_end)
        acc += img
    return acc / len(offsets)


def frame_times(spec: ClipSpec, duration_s: float, rng) -> np.ndarray:
    if not spec.vfr:
        return np.arange(int(duration_s * spec.fps) + 1) / spec.fps
    steps = rng.choice([1 / 24, 1 / 30, 1 / 36], size=int(duration_s * spec.fps * 1.5))
    t = np.concatenate([[0.0], np.cumsum(steps)])
    return np.round(t[t <= duration_s] * 1000) / 1000  # the container keeps milliseconds


def capture_fps(spec: ClipSpec) -> float:
    """Pictures the camera took a second (of world time)."""
    if spec.drop_every:
        return spec.fps * spec.drop_every / (spec.drop_every - 1)
    return spec.fps * spec.slow_motion


def _shown_times(spec: ClipSpec, times: np.ndarray, rng) -> np.ndarray:
    """When (world time) the picture each frame shows was taken: the frame's own time; with
    `content_fps` the latest picture taken by then; in slow motion the file's time over the
    factor; with lost pictures, the time of each picture kept."""
    if spec.content_fps:
        return np.floor(times * spec.content_fps + 1e-9) / spec.content_fps
    n = len(times)
    if spec.drop_every:
        kept = np.flatnonzero(np.arange(2 * n) % spec.drop_every != spec.drop_every - 1)[:n]
        return kept / capture_fps(spec)
    if spec.drop_share:
        steps = 1 + (rng.random(n) < spec.drop_share)
        steps[0] = 0
        return np.cumsum(steps) / spec.fps
    return times / spec.slow_motion


def camera_view_px(spec: ClipSpec, lift, times: np.ndarray) -> np.ndarray:
    """(frames, 2): how far the room moves in the picture at each (world) time, for a camera
    that follows the bar up (`camera_follow_px`) and sways; zeros for a tripod."""
    if not spec.camera_follow_px:
        return np.zeros((len(times), 2))
    height = lift.at(times)["bar"][:, 1]
    rise = (height - height.min()) / max(float(np.ptp(height)), 1e-9)
    sway = np.sin(2 * np.pi * 0.4 * (times - times[0]))
    return spec.camera_follow_px * np.stack([sway / 3, rise], axis=1)


def _draw_distractor_plates(img, lift, cam: Camera) -> None:
    """Two loose bumpers in the background: standing on the floor 0.7 m in front of where
    the bar starts, and racked at 1.1 m, 0.9 m behind the lifter; another look than the bar's."""
    start = lift.at(0.0)["bar"][0]
    for x_m, y_m, look in ((start[0] + 0.7, PLATE_RADIUS_M, "black_bevel"), (-0.9, 1.1, "red_logo")):
        centre = np.array([x_m, y_m])
        _draw_plate(img, cam(centre), float(cam.local_px_per_m(y_m)), look, cam.squash)


def bystander_camera(cam: Camera, facing: str) -> Camera:
    """Where a bystander stands: well behind the platform (so smaller, on floor higher up the
    picture), a little to the lifter's back side, facing the other way."""
    far = Camera(cam.width, cam.height, "left" if facing == "right" else "right", cam.px_per_m * 0.72)
    far.floor_px = cam.floor_px - 0.09 * cam.height
    far.ankle_px = cam.ankle_px - cam.sign * 0.45 * cam.px_per_m
    return far


def _draw_bystander(img, spec: ClipSpec, cam: Camera, t: float) -> None:
    """A person behind the platform (`bystander_camera`), swaying slightly; seated on a bench,
    or standing with the arms down."""
    far = bystander_camera(cam, spec.facing)
    sway = 3.0 * np.sin(2 * np.pi * 0.4 * t)
    if spec.bystander == "seated":
        angles = {"shank": 90.0, "thigh": 5.0, "trunk": 100.0 + sway, "upper_arm": -70.0, "forearm": -15.0}
    else:
        angles = {"shank": 92.0, "thigh": 88.0, "trunk": 91.0 + sway, "upper_arm": -95.0, "forearm": -80.0}
    j = forward_kinematics(Body(spec.lifter_height_m * 0.97), {k: np.asarray(v) for k, v in angles.items()})
    if spec.bystander == "seated":  # the bench under the thighs, from behind the knee to past the seat
        top = far(np.stack([j["knee"] + [-0.05, -0.06], j["hip"] + [-0.2, -0.06]]))
        x0, x1 = sorted(top[:, 0])
        cv2.rectangle(img, (int(x0), int(top[0, 1])), (int(x1), int(far.floor_px)), (70, 52, 40), -1)
    _draw_lifter(img, j, far, far=True)
    _draw_body(img, j, far)
    _draw_lifter(img, j, far, far=False)


class LiftSet:
    """`count` lifts in a row after `lead_s` in the start position, as `Lift.at` sees them.
    After each lift the lifter lets go: the bar falls freely (g) from where the lift left it
    to the floor, then rolls back to where it started while the lifter stands as the lift
    ended; from half-way through `rest_s` the lifter goes back down to the start position,
    hands on the bar, over up to RETURN_S, for the next lift. `rest_s` counts from the
    release."""

    G_MPS2 = 9.81
    RETURN_S = 1.5

    def __init__(self, lift, count: int, rest_s: float, lead_s: float = 0.0):
        self.lift, self.count, self.rest_s, self.lead_s = lift, count, rest_s, lead_s
        self.start_bar = lift.at(0.0)["bar"][0]
        self.end_bar = lift.at(lift.duration_s)["bar"][0]
        self.fall_s = float(np.sqrt(2 * (self.end_bar[1] - self.start_bar[1]) / self.G_MPS2))
        self.period_s = lift.duration_s + rest_s
        self.return_s = min(self.RETURN_S, max(rest_s / 2 - 0.5, 0.3))
        if rest_s < 2 * self.fall_s:
            raise ValueError(f"rest_s must leave time for the bar to fall: at least {2 * self.fall_s:.2f} s")

    @property
    def duration_s(self) -> float:
        return self.lead_s + self.count * self.period_s - self.rest_s / 2

    def at(self, t) -> dict:
        d, half = self.lift.duration_s, self.rest_s / 2
        local = np.clip(np.atleast_1d(np.asarray(t, dtype=float)) - self.lead_s, 0, None)
        k = np.minimum(np.floor(local / self.period_s), self.count - 1)
        u = local - k * self.period_s  # time into this lift's period; past d, since the release
        lifting = u <= d
        angles = self.lift.angles(np.where(lifting, u, d))
        start = self.lift.angles(np.zeros(1))
        back = np.clip((u - d - half) / self.return_s, 0, 1)
        back = np.where(lifting, 0.0, back * back * (3 - 2 * back))  # starts and stops smoothly
        angles = {seg: (1 - back) * a + back * start[seg] for seg, a in angles.items()}
        joints = forward_kinematics(self.lift.body, angles)
        fallen = np.clip(0.5 * self.G_MPS2 * (u - d) ** 2, 0, self.end_bar[1] - self.start_bar[1])
        rolled = np.clip((u - d - self.fall_s) / (half - self.fall_s), 0, 1)
        rolled = rolled * rolled * (3 - 2 * rolled)
        x = self.end_bar[0] + rolled * (self.start_bar[0] - self.end_bar[0])
        joints["bar"] = np.where(lifting[:, None], joints["bar"], np.stack([x, self.end_bar[1] - fallen], axis=1))
        return joints


def render_clip(spec: ClipSpec, path: Path) -> Truth:
    """Write `spec` to `path` and return its ground truth (also saved beside it as .json)."""
    rng = np.random.default_rng(spec.seed)
    lift = make_lift(spec.exercise, spec.lifter_height_m, spec.time_scale)
    if spec.lifts > 1 or spec.lead_s:
        lift = LiftSet(lift, spec.lifts, spec.rest_s, spec.lead_s)
    width, height = _upright_size(spec)
    px_per_m = min(0.86 * height / 2.45, 0.8 * width / 1.5)
    cam = Camera(width, height, spec.facing, px_per_m, spec.yaw_deg, spec.perspective_pct)
    background = _background(width, height, cam.floor_px, rng)
    if spec.distractor_plates:
        _draw_distractor_plates(background, lift, cam)
    noise = [rng.normal(0, spec.noise_sigma, background.shape).astype(np.float32) for _ in range(6)]
    times = frame_times(spec, lift.duration_s * spec.slow_motion * (1 + spec.drop_share), rng)
    shown = _shown_times(spec, times, rng)
    times, shown = times[shown <= lift.duration_s], shown[shown <= lift.duration_s]
    view = camera_view_px(spec, lift, shown)
    lens_maps = barrel_maps(width, height, spec.lens_barrel) if spec.lens_barrel else None

    with av.open(str(path), "w", options={"movflags": "use_metadata_tags"}) as container:
        if spec.capture_fps_tag:
            container.metadata["com.android.capture.fps"] = f"{capture_fps(spec):.6f}"
        stream = container.add_stream(spec.codec, rate=Fraction(spec.fps).limit_denominator(1001))
        stream.width, stream.height = (height, width) if spec.rotation else (width, height)
        stream.pix_fmt = "yuv420p"
        # One x264 thread: with more, its output changes from run to run and with the core count,
        # so a test's clip on CI was not the one it passed on here (a pose glitch came and went).
        x264 = {"crf": str(spec.crf), "preset": "veryfast", "threads": "1"}
        stream.options = x264 if spec.codec == "libx264" else {"crf": "24"}
        if spec.vfr:
            stream.codec_context.time_base = Fraction(1, 1000)
        if spec.rotation:
            stream.set_display_rotation(spec.rotation)
        picture = None
        for i, t in enumerate(times):
            if not (i and shown[i] == shown[i - 1]):  # else the same picture again, noise and all
                picture = render_frame(spec, lift, cam, background, float(shown[i]))
                if spec.backlight < 1:
                    room = room_share(spec, lift, cam, background, float(shown[i]), picture)
                    picture = backlit(picture, background, spec.backlight, room)
                if spec.camera_follow_px:
                    shift = np.float32([[1, 0, view[i, 0]], [0, 1, view[i, 1]]])
                    picture = cv2.warpAffine(picture, shift, picture.shape[1::-1], borderMode=cv2.BORDER_REPLICATE)
                if spec.lens_barrel:
                    picture = cv2.remap(picture, *lens_maps, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
                picture = picture + noise[i % len(noise)]
            img = np.clip(picture, 0, 255).astype(np.uint8)
            if spec.rotation:
                img = np.ascontiguousarray(np.rot90(img, k=-(spec.rotation // 90)))
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts = int(round(t * 1000)) if spec.vfr else i
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)

    truth = _truth(spec, lift, cam, shown)
    shown_px = np.asarray(truth.bar_px) + view
    if spec.lens_barrel:
        shown_px = barrel_px(shown_px, width, height, spec.lens_barrel)
    truth.bar_px = shown_px.tolist()  # where the bar shows in each frame
    if spec.content_fps:  # each frame shows the bar where its picture was taken, at the file's time
        truth.timestamps_s = times.tolist()
    truth.save(Path(path).with_suffix(".json"))
    return truth


def backlit(picture: np.ndarray, background: np.ndarray, exposure: float, room: np.ndarray | None = None) -> np.ndarray:
    """The picture as a camera exposing for a bright window behind the platform sees it: the
    window (the back wall's upper middle) blown out to white with a glow round it, everything
    else at `exposure` of its brightness. `room` is the share of each pixel (0-1) that shows the
    background (`room_share`); without it, pixels that equal the background. A pixel on an
    edge shows the window by that share: blown out whole, an edge's anti-aliased and blurred
    pixels were all darkened, and a plate in front of the window came out about a pixel wider
    than its truth (3 % at 360p)."""
    h, w = background.shape[:2]
    window = np.zeros((h, w), np.float32)
    window[int(0.08 * h) : int(0.45 * h), int(0.30 * w) : int(0.80 * w)] = 1.0
    back = background.astype(np.float32)
    if room is None:
        room = np.all(np.abs(picture - back) < 1.0, axis=2).astype(np.float32)
    glow = (255 * 0.35 * cv2.GaussianBlur(window, (0, 0), 0.04 * h))[..., None]
    out = picture * exposure + glow
    return (out + (window * room)[..., None] * (255.0 - back * exposure - glow)).astype(np.float32)


def room_share(spec: ClipSpec, lift, cam: Camera, background: np.ndarray, t: float, picture: np.ndarray) -> np.ndarray:
    """The share (0-1) of each pixel of `picture` (render_frame on `background` at t) that shows
    the background, from the same frame drawn again on a background 100 grey levels off: what
    is drawn covers both alike, so the two differ by the background's share of the 100."""
    back = background.astype(np.float32)
    other = np.where(back < 128, back + 100, back - 100)
    again = render_frame(spec, lift, cam, other.astype(background.dtype), t)
    return np.clip(((picture - again) / (back - other)).mean(axis=2), 0.0, 1.0)


def _barrel_r(width: int, height: int):
    centre = np.array([(width - 1) / 2, (height - 1) / 2])
    return centre, float(np.hypot(*centre))


def barrel_px(px: np.ndarray, width: int, height: int, barrel: float) -> np.ndarray:
    """Where points of the undistorted picture show through a barrel-distorted lens that pulls
    the corners in by `barrel` of the half-diagonal: r' = r (1 - barrel (r / half-diagonal)^2)."""
    centre, half = _barrel_r(width, height)
    d = np.asarray(px, float) - centre
    r2 = (d**2).sum(axis=-1, keepdims=True) / half**2
    return centre + d * (1 - barrel * r2)


def barrel_maps(width: int, height: int, barrel: float) -> tuple:
    """cv2.remap maps that draw the picture through that lens: each shown pixel takes the
    undistorted point that `barrel_px` sends there (the inverse, by fixed-point steps)."""
    centre, half = _barrel_r(width, height)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    shown = np.stack([xs - centre[0], ys - centre[1]], axis=-1)
    src = shown.copy()
    for _ in range(5):  # src = shown / (1 - barrel |src|^2): converges for small barrel
        src = shown / (1 - barrel * (src**2).sum(axis=-1, keepdims=True) / half**2)
    return (src[..., 0] + centre[0]).astype(np.float32), (src[..., 1] + centre[1]).astype(np.float32)


def _truth(spec: ClipSpec, lift, cam: Camera, times: np.ndarray) -> Truth:
    dt = 1e-4
    bar = lift.at(times)["bar"]
    vel = (lift.at(times + dt)["bar"] - lift.at(times - dt)["bar"]) / (2 * dt)
    angles = true_angles(lift.at(times))
    return Truth(
        spec=asdict(spec),
        px_per_m=cam.px_per_m,
        timestamps_s=times.tolist(),
        bar_x_m=(bar[:, 0] - bar[0, 0]).tolist(),
        bar_height_m=bar[:, 1].tolist(),
        bar_vy_mps=vel[:, 1].tolist(),
        bar_speed_mps=np.linalg.norm(vel, axis=1).tolist(),
        bar_px=cam(bar).tolist(),
        angles={k: v.tolist() for k, v in angles.items()},
        hip_height_m=lift.at(times)["hip"][:, 1].tolist(),
    )
