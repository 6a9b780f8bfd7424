"""Keyframed lifts for a 2-D side-view mannequin, with exact ground truth.

A lift is a set of world segment angles (degrees, counter-clockwise from the direction the
lifter faces, y up) keyframed in time and interpolated with PCHIP. PCHIP puts every local
extremum of an angle exactly on a keyframe and has no overshoot, so the knee-angle
landmarks the engine looks for sit where the keyframes say. Forward kinematics from the
fixed ankle gives every joint and the bar (held in the hands) at any time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.interpolate import PchipInterpolator
from scipy.optimize import brentq

PLATE_RADIUS_M = 0.225
# World angles of the segments, and the wrist's bend: the hand's turn from the forearm's line
# (counter-clockwise, as the angles; 0 a straight wrist).
SEGMENTS = ("shank", "thigh", "trunk", "upper_arm", "forearm", "wrist")


@dataclass(frozen=True)
class Body:
    """Segment lengths (m) of a lifter, from Winter's fractions of standing height."""

    height_m: float = 1.75
    arm_projection: float = 1.0  # a wide snatch grip seen side-on looks shorter

    @property
    def lengths(self) -> dict:
        h, arm = self.height_m, self.height_m * self.arm_projection
        return {
            "shank": 0.246 * h,
            "thigh": 0.245 * h,
            "trunk": 0.288 * h,
            "upper_arm": 0.186 * arm,
            "forearm": 0.146 * arm,
            "grip": 0.04 * arm,
            "ankle_height": 0.039 * h,
            "heel": 0.03 * h,
            "toe": 0.12 * h,
            "head": 0.12 * h,
        }


def _dir(deg):
    rad = np.radians(deg)
    return np.stack([np.cos(rad), np.sin(rad)], axis=-1)


def forward_kinematics(body: Body, angles: dict) -> dict:
    """Joint positions (..., 2) in metres; x forward from the ankle, y above the floor."""
    n = np.shape(angles["shank"])
    L = body.lengths
    ankle = np.zeros(n + (2,))
    ankle[..., 1] = L["ankle_height"]
    knee = ankle + L["shank"] * _dir(angles["shank"])
    hip = knee + L["thigh"] * _dir(angles["thigh"])
    shoulder = hip + L["trunk"] * _dir(angles["trunk"])
    elbow = shoulder + L["upper_arm"] * _dir(angles["upper_arm"])
    wrist = elbow + L["forearm"] * _dir(angles["forearm"])
    bar = wrist + L["grip"] * _dir(np.asarray(angles["forearm"]) + angles.get("wrist", 0.0))
    head = shoulder + L["head"] * _dir(np.asarray(angles["trunk"]) * 0.5 + 38.0)
    heel = ankle + np.array([-L["heel"], -L["ankle_height"]])
    toe = ankle + np.array([L["toe"], -L["ankle_height"]])
    return {
        "ankle": ankle,
        "knee": knee,
        "hip": hip,
        "shoulder": shoulder,
        "elbow": elbow,
        "wrist": wrist,
        "bar": bar,
        "head": head,
        "heel": heel,
        "toe": toe,
    }


def included_angle_deg(a, b, c):
    """Angle ABC in degrees at vertex b, for arrays of points (..., 2)."""
    u, v = np.asarray(a) - b, np.asarray(c) - b
    cos = (u * v).sum(-1) / (np.linalg.norm(u, axis=-1) * np.linalg.norm(v, axis=-1))
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def true_angles(joints: dict) -> dict:
    """The DESIGN.md angle conventions, computed on exact joint positions."""
    trunk = joints["shoulder"] - joints["hip"]
    shank = joints["knee"] - joints["ankle"]
    return {
        "knee": included_angle_deg(joints["ankle"], joints["knee"], joints["hip"]),
        "hip": included_angle_deg(joints["knee"], joints["hip"], joints["shoulder"]),
        "elbow": included_angle_deg(joints["shoulder"], joints["elbow"], joints["wrist"]),
        "ankle": included_angle_deg(
            joints["knee"], joints["ankle"], joints["ankle"] + (joints["toe"] - joints["heel"])
        ),
        "shoulder": included_angle_deg(joints["hip"], joints["shoulder"], joints["elbow"]),
        "torso": np.degrees(np.arctan2(np.abs(trunk[..., 0]), trunk[..., 1])),
        "shin": np.degrees(np.arctan2(shank[..., 1], shank[..., 0])),
    }


# Keyframes: (tag, time s, shank, thigh, trunk, upper_arm, forearm[, wrist]). The "setup" rows take
# the trunk angle solved so that the bar rests on the floor. Between a "release" row and the
# next "lock" row the hands are not keyframed: the bar follows a cubic Hermite curve that
# matches position and velocity at both ends, and the arms reach it by two-link IK (the bar keeps
# rising after the legs finish while the lifter drops under it).
_PULL = [
    ("setup", 0.00, 58, 172, None, -97, -97),
    ("setup", 0.60, 58, 172, None, -97, -97),
    ("knee_peak", 1.05, 80, 120, 47, -96, -96),
    ("rebend", 1.22, 62, 117, 70, -93, -93),
    ("release", 1.33, 78, 98, 88, -90, -90),
    ("extension", 1.40, 86, 90, 98, None, None),
    ("", 1.55, 68, 140, 86, None, None),
]
_SNATCH = _PULL + [
    ("lock", 1.72, 45, 178, 72, 98, 98),
    ("bottom", 1.94, 42, 182, 70, 98, 98),
    ("stand", 2.90, 88, 90, 90, 103, 103),
    ("stand", 3.30, 88, 90, 90, 103, 103),
]
# The front rack, (upper_arm, forearm, wrist): elbows forward at shoulder height and the hands
# bent back at the wrist, the bar on the shoulders 8 cm in front of the joint and 9 cm above it,
# where the plate covers the shoulder as it does in real footage (straight wrists held it 33 cm
# up, over the head). RACK_RELEASE: the arms as the jerk's drive lets the bar go.
RACK, RACK_RELEASE = (0, 145, 95), (2, 143, 90)
_CLEAN = _PULL + [
    ("lock", 1.66, 50, 160, 80, *RACK),  # met high (the bar 1.13 m up), ridden down to the bottom
    ("bottom", 1.88, 42, 182, 78, *RACK),
    ("stand", 2.90, 88, 90, 90, *RACK),
    ("stand", 3.20, 88, 90, 90, *RACK),
]
_JERK = [
    ("dip", 3.55, 74, 106, 90, *RACK),
    ("release", 3.78, 90, 90, 92, *RACK_RELEASE),
    ("", 3.94, 80, 100, 90, None, None),
    ("lock", 4.10, 74, 108, 90, 103, 103),
    ("jerk_bottom", 4.24, 72, 110, 90, 103, 103),
    ("stand", 4.90, 88, 90, 90, 103, 103),
    ("stand", 5.30, 88, 90, 90, 103, 103),
]
_MISSED_SNATCH = _PULL + [  # caught, then lost forward and lowered back to the floor
    ("lock", 1.72, 45, 178, 72, 98, 98),
    ("", 2.20, 50, 170, 70, 60, 60),
    ("setup", 3.00, 58, 172, None, -97, -97),
    ("setup", 3.40, 58, 172, None, -97, -97),
]
LIFTS = {"snatch": _SNATCH, "clean": _CLEAN, "clean_and_jerk": _CLEAN + _JERK, "missed_snatch": _MISSED_SNATCH}


def _hermite(t, t0, t1, p0, v0, p1, v1):
    """Cubic Hermite position (..., 2) between two (position, velocity) states."""
    T = t1 - t0
    s = ((t - t0) / T)[..., None]
    h00, h10 = 2 * s**3 - 3 * s**2 + 1, s**3 - 2 * s**2 + s
    h01, h11 = -2 * s**3 + 3 * s**2, s**3 - s**2
    return h00 * p0 + h10 * T * v0 + h01 * p1 + h11 * T * v1


def _reach(shoulder, target, upper_m, lower_m):
    """World angles (deg) of upper arm and forearm+hand reaching `target`; the elbow bends
    clockwise of the shoulder-to-bar line (high and back while the bar is below the
    shoulder, forward under it in the rack)."""
    d = target - shoulder
    dist = np.clip(np.linalg.norm(d, axis=-1), abs(upper_m - lower_m) + 1e-6, upper_m + lower_m)
    base = np.degrees(np.arctan2(d[..., 1], d[..., 0]))
    cos_a = (upper_m**2 + dist**2 - lower_m**2) / (2 * upper_m * dist)
    a = np.degrees(np.arccos(np.clip(cos_a, -1, 1)))
    upper = base - a
    elbow = shoulder + upper_m * _dir(upper)
    forearm = shoulder + dist[..., None] * _dir(base) - elbow
    return upper, np.degrees(np.arctan2(forearm[..., 1], forearm[..., 0]))


@dataclass
class Lift:
    """A keyframed lift: `at(t)` gives every joint and the bar at times t (s)."""

    exercise: str
    body: Body
    times: np.ndarray
    splines: dict
    free_hands: list  # (t_release, t_lock) windows where the bar follows a Hermite curve

    @property
    def duration_s(self) -> float:
        return float(self.times[-1])

    def angles(self, t) -> dict:
        t = np.atleast_1d(np.asarray(t, dtype=float))
        angles = {k: self.splines[k](t) for k in SEGMENTS}
        L = self.body.lengths
        for t0, t1 in self.free_hands:
            inside = (t > t0) & (t < t1)
            if not inside.any():
                continue
            ends = [self._state(t0), self._state(t1)]
            bar = _hermite(t[inside], t0, t1, ends[0][0], ends[0][1], ends[1][0], ends[1][1])
            shoulder = forward_kinematics(self.body, {k: v[inside] for k, v in angles.items()})["shoulder"]
            bend = np.radians(angles["wrist"][inside])  # the hand's line from elbow to bar, bent at the wrist
            along, across = L["forearm"] + L["grip"] * np.cos(bend), L["grip"] * np.sin(bend)
            upper, lower = _reach(shoulder, bar, L["upper_arm"], np.hypot(along, across))
            angles["upper_arm"][inside] = upper
            angles["forearm"][inside] = lower - np.degrees(np.arctan2(across, along))
        return angles

    def _state(self, t, dt=1e-4):
        """Bar position and velocity from the keyframed arms at t."""
        a = {k: self.splines[k](np.array([t - dt, t, t + dt])) for k in SEGMENTS}
        bar = forward_kinematics(self.body, a)["bar"]
        return bar[1], (bar[2] - bar[0]) / (2 * dt)

    def at(self, t) -> dict:
        return forward_kinematics(self.body, self.angles(t))


def _solve_setup_trunk(body: Body, row) -> float:
    def bar_height(trunk):
        a = dict(zip(SEGMENTS, (row[2], row[3], trunk, row[5], row[6], 0.0)))
        return forward_kinematics(body, a)["bar"][1] - PLATE_RADIUS_M

    return brentq(bar_height, 5.0, 89.0)


def make_lift(exercise: str, height_m: float = 1.75, time_scale: float = 1.0) -> Lift:
    body = Body(height_m, arm_projection=0.78 if "snatch" in exercise else 1.0)
    rows = LIFTS[exercise]
    setup_trunk = _solve_setup_trunk(body, rows[0])
    table = np.array(
        [
            [
                r[1] * time_scale,
                r[2],
                r[3],
                setup_trunk if r[4] is None else r[4],
                np.nan if r[5] is None else r[5],
                np.nan if r[6] is None else r[6],
                (r[7] if len(r) > 7 else 0.0) if r[6] is not None else np.nan,
            ]
            for r in rows
        ],
        dtype=float,
    )
    splines = {}
    for i, k in enumerate(SEGMENTS):
        keyed = ~np.isnan(table[:, i + 1])
        splines[k] = PchipInterpolator(table[keyed, 0], table[keyed, i + 1])
    tags = [r[0] for r in rows]
    free_hands = [(table[i, 0], table[tags.index("lock", i), 0]) for i, tag in enumerate(tags) if tag == "release"]
    return Lift(exercise, body, table[:, 0], splines, free_hands)
