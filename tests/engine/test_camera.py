"""Camera motion on frames with known shifts: a textured room moved by exact sub-pixel
amounts, with a 'lifter' moving on his own inside the band left out."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from shared.analysis.camera import STILL_PX, CameraMotion

W, H = 640, 360
BAND = (240.0, 400.0)


def _room(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = np.full((H + 400, W + 400, 3), 120, np.uint8)
    for _ in range(200):  # posters, boxes, racks
        x, y = rng.integers(0, W + 380), rng.integers(0, H + 380)
        w, h = rng.integers(10, 60), rng.integers(10, 60)
        cv2.rectangle(
            img, (int(x), int(y)), (int(x + w), int(y + h)), tuple(int(c) for c in rng.integers(0, 255, 3)), -1
        )
    return img


def _frame(room: np.ndarray, shift: tuple, lifter_y: float) -> np.ndarray:
    """The room seen moved by `shift` (px), and a block moving up and down in the band."""
    m = np.float32([[1, 0, shift[0] - 200], [0, 1, shift[1] - 200]])
    img = cv2.warpAffine(room, m, (W, H), flags=cv2.INTER_LINEAR)
    cv2.rectangle(img, (280, int(lifter_y)), (360, int(lifter_y) + 120), (200, 40, 40), -1)
    return img


def _follow(shifts) -> np.ndarray:
    room, camera = _room(), CameraMotion(BAND)
    for i, s in enumerate(shifts):
        camera.see(_frame(room, s, 200 - 150 * np.sin(i / 10)))
    return camera.shifts_px()


def test_a_hand_held_view_is_followed_to_a_fraction_of_a_pixel():
    truth = [(3 * np.sin(i / 7), 0.4 * i) for i in range(50)]  # swaying, and tilting to follow the bar up
    # a look every third frame at half size, the frames between interpolated: within 3/4 px
    np.testing.assert_allclose(_follow(truth), truth, atol=0.75)


def test_a_tripods_view_reads_still_whatever_the_lifter_does():
    np.testing.assert_array_equal(_follow([(0.0, 0.0)] * 40), np.zeros((40, 2)))
    wobble = [(0.3 * np.sin(i), 0.0) for i in range(40)]  # under STILL_PX: a tripod on a sprung floor
    assert np.abs(wobble).max() < STILL_PX
    np.testing.assert_array_equal(_follow(wobble), np.zeros((40, 2)))


def test_a_view_that_moves_far_is_followed_from_new_references():
    truth = [(-2.0 * i, 0.0) for i in range(40)]  # a pan of 78 px: most corners leave the frame
    np.testing.assert_allclose(_follow(truth), truth, atol=0.5)


@pytest.mark.parametrize("band", [None])
def test_without_the_lifters_band_nothing_is_measured(band):
    camera = CameraMotion(band)
    room = _room()
    for i in range(5):
        camera.see(_frame(room, (5.0 * i, 0.0), 200))
    assert not camera.measured and not camera.shifts_px().any()
