"""Body: joint angles, body lines and the whole-body centre of mass, from keypoints in metres.

Keypoints are a dict of arrays keyed as in DESIGN.md (`lknex`, `lknev`, ...): `x` is
horizontal, positive the way the lifter faces, `v` is height above the floor.
Angle conventions (degrees): knee, hip, elbow are included angles (180 = straight);
ankle is shank to foot; shoulder is trunk to upper arm (0 = arm down); torso is trunk
from vertical; shin is shank from the floor (90 = vertical).
"""

from __future__ import annotations

import numpy as np

JOINTS = ("ank", "kne", "hip", "sho", "elb", "wri", "hee", "toe")
ANGLE_JOINTS = ("ank", "kne", "hip", "sho", "elb")
# The landmarks each angle is read from (the included ones: A, B, C of angle ABC).
INCLUDED = {
    "kne": ("ank", "kne", "hip"),
    "hip": ("kne", "hip", "sho"),
    "sho": ("hip", "sho", "elb"),
    "elb": ("sho", "elb", "wri"),
}
READS = {**INCLUDED, "ank": ("kne", "ank", "hee", "toe")}
LINE_READS = {"torso_angle": ("hip", "sho"), "shin_angle": ("kne", "ank"), "hip_height_m": ("hip",)}
SIDES = ("l", "r")

# de Leva (1996), male: segment mass fraction and centre-of-mass position along the
# segment from its proximal end. Head+neck is placed at the ear; hands at the bar.
SEGMENTS = {
    "upper_arm": ("sho", "elb", 0.0271, 0.5772),
    "forearm": ("elb", "wri", 0.0162, 0.4574),
    "hand": ("wri", "wri", 0.0061, 0.0),
    "thigh": ("hip", "kne", 0.1416, 0.4095),
    "shank": ("kne", "ank", 0.0433, 0.4459),
    "foot": ("hee", "toe", 0.0137, 0.4415),
}
TRUNK_MASS, TRUNK_COM_FROM_HIP = 0.4346, 0.5514  # de Leva: 44.86 % from the cervicale
HEAD_MASS = 0.0694


def point(kp: dict, side: str, joint: str) -> np.ndarray:
    return np.stack([kp[f"{side}{joint}x"], kp[f"{side}{joint}v"]], axis=-1)


def included_angle(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Angle ABC in degrees for arrays of 2-D points (n, 2)."""
    u, v = a - b, c - b
    cos = (u * v).sum(-1) / (np.linalg.norm(u, axis=-1) * np.linalg.norm(v, axis=-1))
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def joint_angles(kp: dict) -> dict:
    """`{side}{joint}_angle` series for both sides."""
    out = {}
    for s in SIDES:
        P = {j: point(kp, s, j) for j in JOINTS}
        out[f"{s}ank_angle"] = included_angle(P["kne"], P["ank"], P["ank"] + (P["toe"] - P["hee"]))
        for joint, (a, b, c) in INCLUDED.items():
            out[f"{s}{joint}_angle"] = included_angle(P[a], P[b], P[c])
    return out


def body_lines(kp: dict, side: str) -> dict:
    """Torso and shin angle (deg), hip and shoulder height (m) on the given side."""
    trunk = point(kp, side, "sho") - point(kp, side, "hip")
    shank = point(kp, side, "kne") - point(kp, side, "ank")
    return {
        "torso_angle": np.degrees(np.arctan2(np.abs(trunk[:, 0]), trunk[:, 1])),
        "shin_angle": np.degrees(np.arctan2(shank[:, 1], shank[:, 0])),
        "hip_height_m": kp[f"{side}hipv"],
        "shoulder_height_m": kp[f"{side}shov"],
    }


def _either_side(kp, side, joint):
    """A side's point, or the other side's where it is missing: side-on, they overlap."""
    other = "r" if side == "l" else "l"
    a, b = point(kp, side, joint), point(kp, other, joint)
    return np.where(np.isfinite(a), a, b)


def centre_of_mass(kp: dict, head_xy: np.ndarray) -> np.ndarray:
    """Whole-body centre of mass (n, 2) in metres, from the de Leva segment model.

    `head_xy` is the head+neck centre (the ears' midpoint)."""
    total = HEAD_MASS * head_xy
    hip = (_either_side(kp, "l", "hip") + _either_side(kp, "r", "hip")) / 2
    sho = (_either_side(kp, "l", "sho") + _either_side(kp, "r", "sho")) / 2
    total = total + TRUNK_MASS * (hip + (sho - hip) * TRUNK_COM_FROM_HIP)
    for s in SIDES:
        for prox, dist, mass, along in SEGMENTS.values():
            a, b = _either_side(kp, s, prox), _either_side(kp, s, dist)
            total = total + mass * (a + (b - a) * along)
    return total
