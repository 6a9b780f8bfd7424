"""Leg repair on landmark arrays with a known leg: what MediaPipe gets wrong side-on, put back."""
from __future__ import annotations

import numpy as np
import pytest

from shared.analysis.measure import repair_hidden_legs
from shared.analysis.pose import LANDMARKS

N, FPS = 40, 30.0
THIGH = SHANK = TRUNK = 100.0
RADIUS = 50.0  # plate radius in px: 0.225 m, so 222 px a metre
PX_PER_M = RADIUS / 0.225
FLOOR = 600.0
ANKLE = np.array([300.0, FLOOR - 0.07 * PX_PER_M])  # a planted ankle is ~7 cm up


def leg(knee_deg):
    """(hip, knee, ankle, shoulder) pixels of a right-facing lifter's leg at these knee angles."""
    a = np.radians((180.0 - knee_deg) / 2)  # shank leans forward, thigh back, by the same angle
    knee = ANKLE + SHANK * np.stack([np.sin(a), -np.cos(a)], axis=1)
    hip = knee + THIGH * np.stack([-np.sin(a), -np.cos(a)], axis=1)
    return hip, knee, np.tile(ANKLE, (len(a), 1)), hip + [0.0, -TRUNK]


def landmarks(knee_deg):
    px = np.zeros((len(knee_deg), 33, 3))
    px[:, :, 2] = 0.9
    for side in "lr":
        for name, xy in zip(("hip", "kne", "ank", "sho"), leg(knee_deg)):
            px[:, LANDMARKS[side + name], :2] = xy
        px[:, LANDMARKS[side + "hee"], :2] = [ANKLE[0] - 20, FLOOR]
        px[:, LANDMARKS[side + "toe"], :2] = [ANKLE[0] + 60, FLOOR]
    return px


@pytest.fixture
def truth():
    t = np.arange(N) / FPS
    knee_deg = np.linspace(70, 170, N)
    plate = np.tile([600.0, FLOOR - RADIUS], (N, 1))  # in front of the shins, resting on the floor
    return t, knee_deg, landmarks(knee_deg), plate, np.full(N, RADIUS)


def repair(t, px, plate, radius):
    return repair_hidden_legs(t, px, plate, radius, sign=1.0)


def test_a_clear_leg_is_left_as_it_is(truth):
    t, _, px, plate, radius = truth
    np.testing.assert_allclose(repair(t, px, plate, radius)[..., :2], px[..., :2])


def test_an_ankle_lifted_off_the_floor_is_put_back_where_the_foot_is_planted(truth):
    """A crouched setup behind the plate: MediaPipe folds the leg and puts the ankle at knee height."""
    t, _, px, plate, radius = truth
    bad = px.copy()
    bad[:8, LANDMARKS["rank"], :2] = ANKLE + [25.0, -0.35 * PX_PER_M]  # 0.42 m up
    out = repair(t, bad, plate, radius)
    np.testing.assert_allclose(out[:8, LANDMARKS["rank"], :2], np.tile(ANKLE, (8, 1)), atol=1e-6)
    assert (out[:8, LANDMARKS["rank"], 2] == 0.5).all()


def test_a_heel_raise_is_not_taken_for_a_misplaced_ankle(truth):
    t, _, px, plate, radius = truth
    raised = px.copy()
    body = [LANDMARKS["r" + j] for j in ("ank", "kne", "hip", "sho")]
    raised[30:, body, 1] -= 0.13 * PX_PER_M  # up on the toes: the ankle 0.2 m up, the body with it
    np.testing.assert_allclose(repair(t, raised, plate, radius)[..., :2], raised[..., :2])


def test_a_knee_that_stretches_the_thigh_is_rebuilt_from_the_segment_lengths(truth):
    t, knee_deg, px, plate, radius = truth
    bad = px.copy()
    bad[10:15, LANDMARKS["rkne"], 0] += 60.0
    out = repair(t, bad, plate, radius)
    np.testing.assert_allclose(out[10:15, LANDMARKS["rkne"], :2], px[10:15, LANDMARKS["rkne"], :2], atol=0.5)


def test_a_knee_mediapipe_is_unsure_of_but_that_fits_the_leg_is_kept(truth):
    t, _, px, plate, radius = truth
    unsure = px.copy()
    unsure[20:25, LANDMARKS["rkne"], 2] = 0.1
    out = repair(t, unsure, plate, radius)
    np.testing.assert_allclose(out[20:25, LANDMARKS["rkne"], :2], px[20:25, LANDMARKS["rkne"], :2])
    assert (out[20:25, LANDMARKS["rkne"], 2] >= 0.5).all()


def test_a_knee_on_the_plate_is_rebuilt(truth):
    t, _, px, plate, radius = truth
    hidden = plate.copy()
    hidden[5:9] = px[5:9, LANDMARKS["rkne"], :2] + [10.0, 0.0]  # the plate passes in front of the knee
    guess = px.copy()
    guess[5:9, LANDMARKS["rkne"], :2] += [-15.0, 12.0]  # MediaPipe's guess behind it
    out = repair(t, guess, hidden, radius)
    np.testing.assert_allclose(out[5:9, LANDMARKS["rkne"], :2], px[5:9, LANDMARKS["rkne"], :2], atol=0.5)


def test_without_a_plate_nothing_is_repaired(truth):
    t, _, px, _, _ = truth
    bad = px.copy()
    bad[:8, LANDMARKS["rank"], :2] = ANKLE + [25.0, -0.35 * PX_PER_M]
    out = repair(t, bad, np.full((N, 2), np.nan), np.full(N, np.nan))
    np.testing.assert_allclose(out[..., :2], bad[..., :2])


def test_a_knee_mediapipe_lost_is_rebuilt(truth):
    t, _, px, plate, radius = truth
    lost = px.copy()
    lost[12:16, LANDMARKS["rkne"], :2] = np.nan
    out = repair(t, lost, plate, radius)
    np.testing.assert_allclose(out[12:16, LANDMARKS["rkne"], :2], px[12:16, LANDMARKS["rkne"], :2], atol=0.5)
    assert (out[12:16, LANDMARKS["rkne"], 2] == 0.5).all()
