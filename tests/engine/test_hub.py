"""Hub: the plate's centre by the sleeve end and the middle of the plate, on drawn plates."""

from __future__ import annotations

import numpy as np
import pytest

from shared.analysis.hub import Hub, steadied
from tests.engine.test_bar import SIZE, _bumper, _disc_layer


@pytest.mark.parametrize("move", [(0.0, 0.0), (7.3, -12.6), (-21.8, 30.4)])
def test_a_hub_is_found_where_its_plate_moved_within_a_third_of_a_pixel(move):
    rng = np.random.default_rng(61)
    hub = Hub(_bumper(320.2, 240.7, 50.0, rng), (320.2, 240.7), 50.0)
    assert hub.usable
    moved = _bumper(320.2 + move[0], 240.7 + move[1], 50.0, rng)
    found = hub.find(moved, (320.2, 240.7), 40.0)
    assert found is not None and found[1] > 0.9
    assert np.hypot(*(found[0] - (320.2 + move[0], 240.7 + move[1]))) < 1 / 3


def test_a_hub_further_than_the_reach_is_not_found():
    rng = np.random.default_rng(62)
    hub = Hub(_bumper(320.0, 240.0, 50.0, rng), (320.0, 240.0), 50.0)
    found = hub.find(_bumper(320.0, 160.0, 50.0, rng), (320.0, 240.0), 20.0)
    assert found is None or np.hypot(*(found[0] - (320.0, 160.0))) > 20


def test_a_plain_disc_has_no_usable_hub():
    """A plate with nothing drawn at its middle matches itself anywhere on its face."""
    plain = _disc_layer(320.0, 240.0, 50.0).astype(float) + np.random.default_rng(63).normal(0, 3.0, SIZE)
    assert not Hub(np.clip(plain, 0, 255).astype(np.uint8), (320.0, 240.0), 50.0).usable


def test_a_smooth_shading_is_no_usable_hub():
    """Contrast alone is not enough: a ramp across the middle matches itself moved along it."""
    ramp = np.tile(np.linspace(40, 200, SIZE[1]), (SIZE[0], 1)).astype(np.uint8)
    assert not Hub(ramp, (320.0, 240.0), 50.0).usable


def test_a_hub_cut_by_the_frame_edge_is_still_found():
    rng = np.random.default_rng(64)
    hub = Hub(_bumper(320.0, 240.0, 50.0, rng), (320.0, 240.0), 50.0)
    found = hub.find(_bumper(320.0, 8.0, 50.0, rng), (320.0, 20.0), 30.0)
    assert found is not None and np.hypot(*(found[0] - (320.0, 8.0))) < 1.0


def test_the_offset_keeps_up_with_a_sleeve_end_drifting_against_the_plate():
    """Parallax: a camera a few metres off sees the sleeve end move a few % further than the
    plate's centre, so the rim's centre less the hub's drifts as the bar rises, here 0.15 px a
    frame (3 % of a 5 px rise). Following the agreeing fits HUB_FOLLOWS of the way each frame,
    the plate placed by the hub lags them by under a pixel after 40 frames (at 5 % a frame it
    lagged 2.9 px)."""
    rng = np.random.default_rng(65)
    hub = Hub(_bumper(320.0, 400.0, 50.0, rng), np.array([320.0, 400.0]), 50.0)
    for i in range(1, 41):
        centre = np.array([320.0, 400.0 - 5.0 * i])
        frame = _bumper(*centre, 50.0, rng)
        rim = centre + [0.0, 0.15 * i]  # the plate's centre; the hub is drawn at `centre`
        placed = hub.place(frame, centre, (rim, 0.8), False, 50.0, 5.0, 15.0)
        assert placed[0] is rim  # the fit agrees, and stands
    found = hub.find(frame, centre, 10.0)
    assert np.linalg.norm(found[0] + hub.offset - rim) < 1.0


def test_a_lost_rims_hub_too_far_off_places_nothing_and_steadies_nothing():
    """The rim lost, a hub matched 15 px from where the bar's motion puts it is past the rescue
    reach (5 px): the tracker does not place the plate by it, so neither may `steadied`."""
    rng = np.random.default_rng(66)
    hub = Hub(_bumper(320.0, 240.0, 50.0, rng), (320.0, 240.0), 50.0)
    frame = _bumper(320.0, 225.0, 50.0, rng)
    assert hub.place(frame, np.array([320.0, 240.0]), None, False, 50.0, 0.0, 5.0) is None
    assert np.isnan(hub.seen).all()
    placed = hub.place(frame, np.array([320.0, 228.0]), None, False, 50.0, 0.0, 5.0)  # within reach
    assert placed is not None and np.hypot(*(placed[0] - (320.0, 225.0))) < 1.0 and hub.seen[3] == 1


def _pull():
    """A bar rising 300 px in a second at 30 fps, its speed peaking mid-way, and the hub's
    match: the sleeve end 3 % further from the picture's centre (0, 0) than the plate's centre."""
    t = np.arange(0, 1.5, 1 / 30)
    y = 600.0 - 300.0 * np.clip(t - 0.25, 0, 1) ** 2 * (3 - 2 * np.clip(t - 0.25, 0, 1))
    truth = np.stack([np.full_like(t, 300.0), y], axis=1)
    hub = np.column_stack([1.03 * truth, np.full(len(t), 0.95), np.zeros(len(t))])
    return t, truth, hub


def test_steadying_takes_the_rims_jitter_out_and_follows_the_parallax():
    t, truth, hub = _pull()
    jitter = np.random.default_rng(64).uniform(-1.9, 1.9, truth.shape)  # within the agreement window
    out = steadied(truth + jitter, hub, t, np.full(len(t), 28.0))
    assert np.abs(out - truth).max() < 1.2
    top = -np.diff(truth[:, 1]).min()
    assert -np.diff(truth[:, 1] + jitter[:, 1]).min() > 1.1 * top  # the rim alone: 10 % fast at the peak
    assert abs(-np.diff(out[:, 1]).min() - top) < 0.02 * top


def test_steadying_leaves_a_stray_fit_and_a_poor_match_and_fills_the_hubs_placings():
    t, truth, hub = _pull()
    rim = truth + np.random.default_rng(65).uniform(-1.0, 1.0, truth.shape)
    rim[[10, 20, 25]] += (0.0, 9.0)  # on the body: outside the agreement window (2.8 px)
    rim[25] += (0.0, 9.0)  # and outside the hub's reach (14 px)
    hub[20, 2] = 0.85  # matched well, not clearly: the fit stands
    hub[30, 2] = 0.7  # a blurred hub's match
    hub[40:44, 3] = 1  # the hub placed the plate, at the tracker's lagging offset
    rim[40:44] = hub[40:44, :2] + (-6.0, -12.0)
    out = steadied(rim, hub, t, np.full(len(t), 28.0))
    assert np.array_equal(out[[20, 25, 30]], rim[[20, 25, 30]])
    assert np.abs(out[[10, 40, 41, 42, 43]] - truth[[10, 40, 41, 42, 43]]).max() < 1.0  # a clear match places it


def test_the_sleeve_ends_parallax_is_measured_over_the_lift():
    """The rim less the hub moves by -k times the hub's move, k = 0.03 / 1.03 for a sleeve end 3 %
    further out; an offset that moves more than any sleeve end could is not parallax."""
    from shared.analysis.hub import parallax

    t, truth, hub = _pull()
    jitter = np.random.default_rng(66).uniform(-1.5, 1.5, truth.shape)
    d = truth + jitter - hub[:, :2]
    assert parallax(d, hub[:, :2], t) == pytest.approx(0.03 / 1.03, abs=0.003)
    assert abs(parallax(jitter, truth, t)) < 0.005  # a hub drawn where the plate is
    assert parallax(0.3 * (truth - truth[0]), truth, t) == 0.0  # past PARALLAX_MAX: not a sleeve end
    still = np.tile(truth[0], (len(t), 1))
    assert parallax(jitter, still, t) == 0.0  # a bar that never moves tells nothing


def test_steadying_keeps_the_plate_through_a_fast_rise_with_parallax():
    """Where the plate rises a radius or two within the steadying window, the median of the
    rim-less-hub offsets over the window lags the parallax, and the fastest step read 2.7 %
    fast; with the parallax taken out first, within half a percent."""
    t, truth, hub = _pull()
    jitter = np.random.default_rng(67).uniform(-1.5, 1.5, truth.shape)
    out = steadied(truth + jitter, hub, t, np.full(len(t), 28.0))
    top = -np.diff(truth[:, 1]).min()
    assert abs(-np.diff(out[:, 1]).min() - top) < 0.005 * top
    assert np.abs(out - truth).max() < 0.8


def test_a_rim_fit_biased_through_the_pull_does_not_move_the_steadied_track():
    """A red plate in front of red shorts: through almost half a second of the pull its rim is
    seen only at the sides, and the fit sits 3 px low. The hub's offset is the median over a
    second either side, so the biased stretch is a minority and the track stays on the plate."""
    t, truth, hub = _pull()
    rim = truth + np.random.default_rng(68).uniform(-1.0, 1.0, truth.shape)
    biased = (t > 0.4) & (t < 0.85)
    rim[biased, 1] += 3.0
    out = steadied(rim, hub, t, np.full(len(t), 28.0))
    assert np.abs(out[biased] - truth[biased]).max() < 1.0
    assert np.abs(rim[biased, 1] - truth[biased, 1]).min() > 2.0


def test_a_still_plate_keeps_one_offset_until_it_moves():
    """A set-up held for a second: the rim fits sit 1.5 px low while the bar rests (its bottom
    edge meets the floor), and are right once it rises. The offset over a second either side of
    each set-up frame took in more and more of the rise towards liftoff, and the resting bar
    crept up a pixel before it moved, which read as the rise starting early. Still frames take
    the offset from the frames the plate stood still in."""
    t = np.arange(0, 2.0, 1 / 60)
    u = np.clip(t - 1.0, 0, 1)
    truth = np.stack([np.full_like(t, 300.0), 600.0 - 300.0 * u**2 * (3 - 2 * u)], axis=1)
    hub = np.column_stack([truth, np.full(len(t), 0.95), np.zeros(len(t))])
    rim = truth + np.random.default_rng(69).uniform(-0.5, 0.5, truth.shape)
    resting = t < 1.0
    rim[resting, 1] += 1.5
    out = steadied(rim, hub, t, np.full(len(t), 28.0))
    assert np.ptp(out[resting, 1]) < 0.05
    assert np.abs(out[t > 1.2] - truth[t > 1.2]).max() < 0.6
