"""Body: angles, body lines and centre of mass on hand-built keypoints (metres)."""

from __future__ import annotations

import numpy as np
import pytest

from shared.analysis import body
from shared.analysis.body import (
    HEAD_MASS,
    JOINTS,
    SEGMENTS,
    SIDES,
    TRUNK_MASS,
    body_lines,
    centre_of_mass,
    included_angle,
    joint_angles,
)

# Side-view poses, (x forward, v up) per joint.
STANDING = {
    "ank": (0.0, 0.08),
    "kne": (0.0, 0.50),
    "hip": (0.0, 0.92),
    "sho": (0.0, 1.42),
    "elb": (0.0, 1.12),
    "wri": (0.0, 0.86),
    "hee": (-0.05, 0.0),
    "toe": (0.20, 0.0),
}
# Shank tilted 45 deg forward, thigh horizontal backwards, trunk upright, upper arm
# horizontal forward, forearm hanging down: knee 45, ankle 45, hip 90, shoulder 90, elbow 90.
BENT = {
    "ank": (0.0, 0.08),
    "kne": (0.30, 0.38),
    "hip": (-0.10, 0.38),
    "sho": (-0.10, 0.88),
    "elb": (0.20, 0.88),
    "wri": (0.20, 0.63),
    "hee": (-0.05, 0.0),
    "toe": (0.20, 0.0),
}


def keypoints(left: dict, right: dict | None = None) -> dict:
    """A one-frame keypoints dict in the `{side}{joint}{x|v}` layout."""
    right = left if right is None else right
    kp = {}
    for side, pose in (("l", left), ("r", right)):
        for joint in JOINTS:
            x, v = pose[joint]
            kp[f"{side}{joint}x"] = np.array([x])
            kp[f"{side}{joint}v"] = np.array([v])
    return kp


def _pts(*xy):
    return np.array([xy], dtype=float)


def test_included_angle_of_a_right_angle_is_90():
    assert included_angle(_pts(1, 0), _pts(0, 0), _pts(0, 1))[0] == pytest.approx(90.0)


def test_included_angle_of_a_straight_line_is_180():
    assert included_angle(_pts(-1, 0), _pts(0, 0), _pts(2, 0))[0] == pytest.approx(180.0)


def test_included_angle_of_an_isosceles_right_triangle_corner_is_45():
    assert included_angle(_pts(1, 1), _pts(0, 0), _pts(1, 0))[0] == pytest.approx(45.0)


def test_included_angle_works_on_arrays_of_points():
    a = np.array([[1, 0], [-1, 0], [1, 1]], float)
    b = np.zeros((3, 2))
    c = np.array([[0, 1], [2, 0], [1, 0]], float)
    np.testing.assert_allclose(included_angle(a, b, c), [90, 180, 45])


def test_standing_pose_has_straight_knee_hip_and_elbow():
    ang = joint_angles(keypoints(STANDING))
    for side in SIDES:
        for joint in ("kne", "hip", "elb"):
            assert ang[f"{side}{joint}_angle"][0] == pytest.approx(180.0), f"{side}{joint}"


def test_standing_pose_has_ankle_at_90():
    ang = joint_angles(keypoints(STANDING))
    assert ang["lank_angle"][0] == pytest.approx(90.0)
    assert ang["rank_angle"][0] == pytest.approx(90.0)


def test_standing_pose_with_arms_down_has_shoulder_at_0():
    ang = joint_angles(keypoints(STANDING))
    assert ang["lsho_angle"][0] == pytest.approx(0.0, abs=1e-6)
    assert ang["rsho_angle"][0] == pytest.approx(0.0, abs=1e-6)


def test_bent_pose_has_the_constructed_angles():
    ang = joint_angles(keypoints(BENT))
    expected = {"kne": 45.0, "ank": 45.0, "hip": 90.0, "sho": 90.0, "elb": 90.0}
    for joint, deg in expected.items():
        assert ang[f"l{joint}_angle"][0] == pytest.approx(deg), joint


def test_joint_angles_keep_left_and_right_apart():
    ang = joint_angles(keypoints(STANDING, BENT))
    assert ang["lkne_angle"][0] == pytest.approx(180.0)
    assert ang["rkne_angle"][0] == pytest.approx(45.0)


def test_joint_angles_returns_every_angle_joint_for_both_sides():
    ang = joint_angles(keypoints(STANDING))
    assert set(ang) == {f"{s}{j}_angle" for s in SIDES for j in body.ANGLE_JOINTS}


def test_torso_angle_is_0_when_upright():
    lines = body_lines(keypoints(STANDING), "l")
    assert lines["torso_angle"][0] == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("dx", [0.3, -0.3])
def test_torso_angle_is_45_when_leaning_either_way(dx):
    pose = dict(STANDING, sho=(dx, STANDING["hip"][1] + 0.3))
    assert body_lines(keypoints(pose), "l")["torso_angle"][0] == pytest.approx(45.0)


def test_shin_angle_is_90_when_vertical():
    assert body_lines(keypoints(STANDING), "r")["shin_angle"][0] == pytest.approx(90.0)


def test_shin_angle_is_45_with_knee_forward_at_45():
    assert body_lines(keypoints(BENT), "r")["shin_angle"][0] == pytest.approx(45.0)


def test_body_lines_report_hip_and_shoulder_height_of_the_given_side():
    lines = body_lines(keypoints(STANDING, BENT), "r")
    assert lines["hip_height_m"][0] == pytest.approx(BENT["hip"][1])
    assert lines["shoulder_height_m"][0] == pytest.approx(BENT["sho"][1])


def test_de_leva_mass_fractions_sum_to_one():
    limbs = sum(mass for _, _, mass, _ in SEGMENTS.values())
    assert 2 * limbs + TRUNK_MASS + HEAD_MASS == pytest.approx(1.0, abs=1e-9)


def test_centre_of_mass_of_a_pose_collapsed_to_one_point_is_that_point():
    where = (0.37, 1.05)
    kp = keypoints({j: where for j in JOINTS})
    com = centre_of_mass(kp, np.array([where]))
    np.testing.assert_allclose(com, [where], atol=1e-12)


def test_centre_of_mass_moves_by_head_fraction_when_only_the_head_moves():
    kp = keypoints({j: (0.0, 1.0) for j in JOINTS})
    com = centre_of_mass(kp, np.array([[0.0, 2.0]]))
    np.testing.assert_allclose(com, [[0.0, 1.0 + HEAD_MASS]], atol=1e-12)


def test_centre_of_mass_of_standing_pose_is_off_the_body_line_only_by_the_feet():
    kp = keypoints(STANDING)
    com = centre_of_mass(kp, np.array([[0.0, 1.60]]))[0]
    _, _, foot_mass, foot_along = SEGMENTS["foot"]
    (hx, _), (tx, _) = STANDING["hee"], STANDING["toe"]
    assert com[0] == pytest.approx(2 * foot_mass * (hx + (tx - hx) * foot_along), abs=1e-12)
    assert STANDING["kne"][1] < com[1] < STANDING["sho"][1]
