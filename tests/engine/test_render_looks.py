"""The generator's harder looks (tests.synth.render) keep their ground truth exact: a wide
lens moves each point where `barrel_px` says, and backlight blows out only the window."""

from __future__ import annotations

import numpy as np
import pytest

from tests.synth.render import backlit, barrel_maps, barrel_px

W, H = 640, 360


@pytest.mark.parametrize("point", [(320.0, 180.0), (80.0, 60.0), (600.0, 300.0), (500.0, 40.0)])
def test_a_wide_lens_draws_each_point_where_its_truth_says(point):
    """A dot drawn on the undistorted picture and sent through the lens maps shows at
    `barrel_px` of it, to a tenth of a pixel; the corners come in by the barrel's share."""
    import cv2

    barrel = 0.03
    img = np.zeros((H, W), np.float32)
    ys, xs = np.mgrid[0:H, 0:W]
    img[:] = np.exp(-((xs - point[0]) ** 2 + (ys - point[1]) ** 2) / (2 * 3.0**2))
    shown = cv2.remap(img, *barrel_maps(W, H, barrel), cv2.INTER_LINEAR)
    centroid = np.array([(shown * xs).sum(), (shown * ys).sum()]) / shown.sum()
    assert centroid == pytest.approx(barrel_px(np.array(point), W, H, barrel), abs=0.1)
    corner = barrel_px(np.array([0.0, 0.0]), W, H, barrel)
    half = np.hypot((W - 1) / 2, (H - 1) / 2)
    assert np.hypot(*(corner - [(W - 1) / 2, (H - 1) / 2])) == pytest.approx(half * (1 - barrel))


def test_backlight_blows_out_the_window_and_darkens_the_rest():
    background = np.full((H, W, 3), 120, np.uint8)
    picture = background.astype(np.float32)
    picture[100:300, 300:340] = (200, 40, 40)  # the lifter, in front of the window's lower edge
    out = backlit(picture, background, 0.55)
    assert (out[60, 250] == 255).all()  # the window, where nothing covers it
    assert out[150, 320] == pytest.approx(np.array([200, 40, 40]) * 0.55, abs=255 * 0.35 + 1e-3)
    assert out[150, 320, 0] < 200  # the lifter in front of it is not blown out
    assert out[340, 20] == pytest.approx(np.full(3, 120 * 0.55), abs=2.0)  # far from the glow
