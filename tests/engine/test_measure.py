"""Leg repair on landmark arrays with a known leg: what MediaPipe gets wrong side-on, put back."""

from __future__ import annotations

import numpy as np
import pytest

from shared.analysis.body import included_angle
from shared.analysis.kinematics import bridged, reject_spikes
from shared.analysis.legs import _folded, repair_hidden_legs, timing_hip, unless_guessed
from shared.analysis.measure import _held_outside, forward_px_per_m, spike_floor_m
from shared.analysis.pose import LANDMARKS

N, FPS = 40, 30.0
THIGH = SHANK = TRUNK = 100.0
RADIUS = 50.0  # plate radius in px: 0.225 m, so 222 px a metre
PX_PER_M = RADIUS / 0.225
FLOOR = 600.0
ANKLE = np.array([300.0, FLOOR - 0.07 * PX_PER_M])  # a planted ankle is ~7 cm up


def leg(knee_deg, thigh=THIGH, shank=SHANK):
    """(hip, knee, ankle, shoulder) pixels of a right-facing lifter's leg at these knee angles."""
    a = np.radians((180.0 - knee_deg) / 2)  # shank leans forward, thigh back, by the same angle
    knee = ANKLE + shank * np.stack([np.sin(a), -np.cos(a)], axis=1)
    hip = knee + thigh * np.stack([-np.sin(a), -np.cos(a)], axis=1)
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
    return repair_hidden_legs(t, px, plate, radius, sign=1.0)[0]


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


@pytest.mark.parametrize("perspective_m", [0.0, 0.2])
def test_a_heel_raise_is_not_taken_for_a_misplaced_ankle(truth, perspective_m):
    """Up on the toes the ankle rises ~0.15 m. Filmed in perspective, the feet (farther from the
    camera than the near plate) stand on a floor line up to ~0.2 m above the plate's."""
    t, _, px, plate, radius = truth
    raised = px.copy()
    raised[..., 1] -= perspective_m * PX_PER_M
    body = [LANDMARKS["r" + j] for j in ("ank", "kne", "hip", "sho")]
    raised[30:, body, 1] -= 0.15 * PX_PER_M  # the body goes up with the ankle
    np.testing.assert_allclose(repair(t, raised, plate, radius)[..., :2], raised[..., :2])


@pytest.mark.parametrize("landmark", ["rhee", "rtoe"])
def test_a_heel_or_toe_put_up_the_shin_is_put_back_on_the_floor(truth, landmark):
    t, _, px, plate, radius = truth
    bad = px.copy()
    bad[:6, LANDMARKS[landmark], 1] -= 0.3 * PX_PER_M
    out = repair(t, bad, plate, radius)
    np.testing.assert_allclose(out[:6, LANDMARKS[landmark], :2], px[:6, LANDMARKS[landmark], :2], atol=1e-6)


def test_a_leg_turned_out_of_the_plane_looks_shorter_and_is_kept_until_implausibly_short(truth):
    """Side-on, a thigh and shank turned out (knees out in a deep squat) only look shorter."""
    t, knee_deg, px, plate, radius = truth
    turned = px.copy()
    for frames, scale in ((slice(20, 24), 0.75), (slice(26, 30), 0.5)):
        for name, xy in zip(("hip", "kne", "ank", "sho"), leg(knee_deg[frames], THIGH * scale, SHANK * scale)):
            turned[frames, LANDMARKS["r" + name], :2] = xy
    out = repair(t, turned, plate, radius)
    np.testing.assert_allclose(out[20:24, LANDMARKS["rkne"], :2], turned[20:24, LANDMARKS["rkne"], :2])
    assert (out[20:24, LANDMARKS["rkne"], 2] == 0.9).all()  # MediaPipe's own, untouched
    assert (out[26:30, LANDMARKS["rkne"], 2] == 0.5).all()  # rebuilt
    assert not np.allclose(out[26:30, LANDMARKS["rkne"], :2], turned[26:30, LANDMARKS["rkne"], :2], atol=1.0)


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


def test_a_knee_behind_the_plate_of_a_turned_camera_is_rebuilt_in_the_lift_s_plane(truth):
    """Filmed 25° off side-on, forward-back lengths look cos(25°) as long: a bent leg's thigh
    and shank look shorter than upright ones. Rebuilt in the picture from the median length,
    the knee is pushed forward (more bent); rebuilt in the lift's plane, it is where it was."""
    t, _, _, plate, radius = truth
    knee_deg = np.full(N, 170.0)
    knee_deg[4:10] = 90.0  # bent only where the plate hides the knee; upright in every clear frame
    px = landmarks(knee_deg)
    squash = np.cos(np.radians(25.0))
    turned, hidden = px.copy(), plate.copy()
    turned[..., 0] = ANKLE[0] + (px[..., 0] - ANKLE[0]) * squash
    hidden[:, 0] = ANKLE[0] + (plate[:, 0] - ANKLE[0]) * squash
    hidden[5:9] = turned[5:9, LANDMARKS["rkne"], :2] + [10.0, 0.0]  # the plate passes in front of the knee
    guess = turned.copy()
    guess[5:9, LANDMARKS["rkne"], :2] += [-15.0, 12.0]
    knee = LANDMARKS["rkne"]
    in_plane = repair_hidden_legs(t, guess, hidden, radius, sign=1.0, across=squash)[0]
    np.testing.assert_allclose(in_plane[5:9, knee, :2], turned[5:9, knee, :2], atol=0.5)
    in_picture = repair_hidden_legs(t, guess, hidden, radius, sign=1.0)[0]
    assert (in_picture[5:9, knee, 0] - turned[5:9, knee, 0] > 3.0).all()  # forward: more bent


def test_without_a_plate_feet_are_not_judged_but_a_stretched_knee_is_rebuilt(truth):
    """No plate: no scale for a foot's rise, and nothing hides the legs; segment lengths still hold."""
    t, _, px, _, _ = truth
    bad = px.copy()
    bad[:8, LANDMARKS["rank"], 1] -= 0.35 * PX_PER_M
    bad[:8, [LANDMARKS["rhip"], LANDMARKS["rsho"]], 1] -= 0.35 * PX_PER_M  # the leg stays whole...
    bad[10:15, LANDMARKS["rkne"], 0] += 60.0  # ...while this knee stretches the thigh
    out, guessed = repair_hidden_legs(t, bad, np.full((N, 2), np.nan), np.full(N, np.nan), sign=1.0)
    assert not guessed.any()
    np.testing.assert_allclose(out[:8, LANDMARKS["rank"], :2], bad[:8, LANDMARKS["rank"], :2])
    np.testing.assert_allclose(out[10:15, LANDMARKS["rkne"], :2], px[10:15, LANDMARKS["rkne"], :2], atol=0.5)


def _lifting_plate(rise_from: int = 10):
    """The plate rests in front of the shins, then rises 10 px a frame from `rise_from`."""
    plate = np.tile([ANKLE[0] + 40.0, FLOOR - RADIUS], (N, 1))
    plate[rise_from:, 1] -= 10.0 * np.arange(1, N - rise_from + 1)
    return plate


def _ankle_guessed_beside_the_plate(px, plate):
    """MediaPipe's ankle 30 px behind the true one (off the plate, but near it) in the frames
    where the plate is within 2.5 radii of that guess; returns them."""
    guess = ANKLE - [30.0, 0.0]
    near = np.linalg.norm(guess - plate, axis=1) < 2.5 * RADIUS
    px[near, LANDMARKS["rank"], :2] = guess
    return near


def test_a_foot_near_the_plate_is_put_where_it_is_first_seen_clear_of_it(truth):
    t, _, px, _, radius = truth
    plate = _lifting_plate()
    guessed = px.copy()
    near = _ankle_guessed_beside_the_plate(guessed, plate)
    assert 10 < near.sum() < N - 5
    out = repair(t, guessed, plate, radius)
    np.testing.assert_allclose(out[near, LANDMARKS["rank"], :2], np.tile(ANKLE, (near.sum(), 1)), atol=1e-6)
    np.testing.assert_allclose(out[~near, LANDMARKS["rank"], :2], px[~near, LANDMARKS["rank"], :2])


def test_a_foot_bent_up_in_its_first_clear_looks_is_planted_where_it_stands_still(truth):
    """As the plate passes the knee MediaPipe can bend the whole leg for a few frames: the ankle
    10-20 cm up and back though clear of the plate. Those looks are not where the foot stands."""
    t, _, px, _, radius = truth
    plate = _lifting_plate()
    guessed = px.copy()
    near = _ankle_guessed_beside_the_plate(guessed, plate)
    first = int(np.flatnonzero(~near)[0])
    bent = slice(first, first + 3)
    guessed[bent, LANDMARKS["rank"], :2] = ANKLE + np.array([[-25.0, -20.0], [-20.0, -40.0], [-28.0, -10.0]])
    out = repair(t, guessed, plate, radius)
    np.testing.assert_allclose(out[: first + 3, LANDMARKS["rank"], :2], np.tile(ANKLE, (first + 3, 1)), atol=1e-6)


def test_a_foot_is_planted_where_it_stands_once_the_plate_is_clear_of_the_knee(truth):
    """While the plate still covers the knee, MediaPipe can hold the ankle steadily behind the
    joint, though the plate is clear of the ankle itself: those looks are still, and wrong."""
    t, _, px, _, radius = truth
    plate = np.tile([ANKLE[0] + 40.0, FLOOR - RADIUS], (N, 1))
    plate[5:, 1] -= 4.0 * np.arange(1, N - 4)  # a slow rise: the plate covers the knee for long
    ankle_clear = np.linalg.norm(ANKLE - plate, axis=1) >= 2.5 * RADIUS
    knee_covered = np.linalg.norm(px[:, LANDMARKS["rkne"], :2] - plate, axis=1) < RADIUS
    held_back = ankle_clear & knee_covered
    assert held_back.sum() >= 6 and (ankle_clear & ~knee_covered).sum() >= 6
    guessed = px.copy()
    guessed[~ankle_clear, LANDMARKS["rank"], :2] = ANKLE + [10.0, -40.0]  # folded up behind the plate
    guessed[held_back, LANDMARKS["rank"], :2] = ANKLE - [15.0, 0.0]
    out = repair(t, guessed, plate, radius)
    first_clear = int(np.flatnonzero(ankle_clear & ~knee_covered)[0])
    np.testing.assert_allclose(out[:first_clear, LANDMARKS["rank"], :2], np.tile(ANKLE, (first_clear, 1)), atol=1e-6)


def test_a_foot_first_still_once_the_bar_is_at_the_hips_is_not_planted_there(truth):
    """The feet may have left the floor by then (the first still look can be the landing)."""
    from shared.analysis.legs import FOOT_PLANTED_RISE_M

    t, _, px, _, radius = truth
    plate = _lifting_plate()
    guessed = px.copy()
    near = _ankle_guessed_beside_the_plate(guessed, plate)
    rise_m = (plate[0, 1] - plate[:, 1]) / PX_PER_M
    moving = ~near & (rise_m < FOOT_PLANTED_RISE_M)  # the foot clear of the plate, but never still, until then
    guessed[moving, LANDMARKS["rank"], 1] -= 30.0 * (np.arange(moving.sum()) % 2)
    out = repair(t, guessed, plate, radius)
    np.testing.assert_allclose(out[near, LANDMARKS["rank"], :2], guessed[near, LANDMARKS["rank"], :2])


def test_a_foot_under_a_misplaced_hip_stays_planted_and_the_hip_is_bridged(truth):
    """Where MediaPipe's hip makes the trunk 30 % long the hip is bridged from the frames beside
    it, so the foot stays where it is planted: on a rendered 60 fps clean, leaving MediaPipe's
    ankle 4 cm behind the joint under such hips in the transition turned the knee 3 frames early."""
    t, _, px, _, radius = truth
    plate = _lifting_plate()
    guessed = px.copy()
    near = _ankle_guessed_beside_the_plate(guessed, plate)
    assert near.sum() > 9
    guessed[4:8, LANDMARKS["rhip"], 1] += 0.3 * TRUNK
    out, hip_guessed = repair_hidden_legs(t, guessed, plate, radius, sign=1.0)
    np.testing.assert_allclose(out[near, LANDMARKS["rank"], :2], np.tile(ANKLE, (near.sum(), 1)), atol=1e-6)
    np.testing.assert_allclose(out[4:8, LANDMARKS["rhip"], :2], px[4:8, LANDMARKS["rhip"], :2], atol=2.0)
    assert not hip_guessed[:, LANDMARKS["rhip"]].any()


def test_a_foot_first_still_after_the_bar_tops_out_is_not_planted_there(truth):
    """A clip that starts mid-pull: the bar never rises FOOT_PLANTED_RISE_M above where it is
    first seen, and the first still looks at the foot come after the bar's highest point, where
    the feet have landed from the catch (here 15 px further forward): that is not where they stood
    in the pull."""
    t, _, px, _, radius = truth
    plate = _lifting_plate()
    plate[20:, 1] = plate[20, 1] + np.minimum(4.0 * np.arange(N - 20), 20.0)  # tops out at frame 20
    guessed = px.copy()
    near = _ankle_guessed_beside_the_plate(guessed, plate)
    clear = np.flatnonzero(~near)
    assert 15 <= clear[0] < 20
    guessed[clear[0] : 20, LANDMARKS["rank"], 1] -= 30.0 * (np.arange(20 - clear[0]) % 2)  # moving
    guessed[20:, LANDMARKS["rank"], :2] = ANKLE + [15.0, 0.0]  # landed, and still
    out = repair(t, guessed, plate, radius)
    np.testing.assert_allclose(out[near, LANDMARKS["rank"], :2], guessed[near, LANDMARKS["rank"], :2])


def test_a_foot_never_seen_clear_of_the_plate_is_not_planted(truth):
    t, _, px, _, radius = truth
    plate = _lifting_plate(rise_from=N - 2)
    guessed = px.copy()
    near = _ankle_guessed_beside_the_plate(guessed, plate)
    assert near.sum() >= N - 4
    out = repair(t, guessed, plate, radius)
    np.testing.assert_allclose(out[near, LANDMARKS["rank"], :2], guessed[near, LANDMARKS["rank"], :2])


def test_a_foot_is_not_planted_where_the_plate_was_lost_before_it_came_clear(truth):
    """The first clear look at the foot may then come after the feet moved in the catch."""
    t, _, px, _, radius = truth
    plate = _lifting_plate()
    guessed = px.copy()
    near = _ankle_guessed_beside_the_plate(guessed, plate)
    plate[5 : near.sum()] = np.nan  # not followed from frame 5 until the foot is clear
    out = repair(t, guessed, plate, radius)
    np.testing.assert_allclose(out[near, LANDMARKS["rank"], :2], guessed[near, LANDMARKS["rank"], :2])


# --- calibration from the plate's outline ---------------------------------------------------------


def test_forward_lengths_are_read_true_from_a_camera_turned_20_degrees():
    """A camera turned 20 deg from side-on draws a 0.30 m forward move 0.30 cos 20 deg long
    in pixels; heights keep the plate's scale."""
    px_per_m = 250.0
    drawn_px = 0.30 * np.cos(np.radians(20.0)) * px_per_m
    assert drawn_px / forward_px_per_m(px_per_m, 20.0) == pytest.approx(0.30, abs=1e-9)
    assert forward_px_per_m(px_per_m, None) == px_per_m
    assert forward_px_per_m(px_per_m, 0.0) == px_per_m


def test_a_360p_bar_track_placed_to_the_pixel_is_not_cut_into_spikes():
    """At 360p a pixel is ~8 mm. A still plate is placed the same way every frame, so the
    track's typical scatter is tiny; a fast, blurred pull placed to a pixel or so keeps its
    samples all the same, and a jump of 20 cm (a template on a limb) is still cut."""
    rng = np.random.default_rng(5)
    px_per_m, fps = 127.0, 30.0
    t = np.arange(0, 2.0, 1 / fps)
    u = np.clip((t - 0.5) / 0.8, 0, 1)
    h = 0.225 + 1.1 * (10 * u**3 - 15 * u**4 + 6 * u**5)  # a minimum-jerk rise of 1.1 m
    moving = (u > 0) & (u < 1)
    seen_px = np.round(h * px_per_m + np.where(moving, rng.normal(0, 0.7, len(t)), 0.0))
    seen_px[40] += 0.2 * px_per_m  # the template slipped 20 cm for a frame
    kept = reject_spikes(t, seen_px / px_per_m, floor=spike_floor_m(px_per_m))
    assert np.isnan(kept[40])
    assert np.isfinite(np.delete(kept, 40)).mean() > 0.97
    assert spike_floor_m(1000.0) == pytest.approx(0.002)  # a big plate: 2 mm


def test_a_bar_turning_over_sharply_at_30_fps_keeps_its_frames_and_a_glitch_is_still_cut():
    """A bar pulled at 6 m/s^2 to 1.8 m/s, turned over at -25 m/s^2 for a tenth of a second and
    caught at 20 m/s^2 (a plate 250 px a metre, placed to half a millimetre). Its path leaves a
    quadratic through 7 frames by over a centimetre where the acceleration turns, and a 2 mm
    floor cut four true frames there; what a bar can do in a frame at 30 fps is not cut, and a
    3 cm jump for one frame still is."""
    fps, px_per_m = 30.0, 250.0
    t = np.arange(0, 1.5, 1 / fps)
    turns = [(t > 0.3) & (t <= 0.6), (t > 0.6) & (t <= 0.7), (t > 0.7) & (t <= 0.735)]
    v = np.cumsum(np.select(turns, [6.0, -25.0, 20.0], 0.0)) / fps
    h = 0.225 + np.cumsum(v) / fps + np.random.default_rng(3).normal(0, 0.0005, len(t))
    assert np.isnan(reject_spikes(t, h, floor=spike_floor_m(px_per_m))[18:22]).all()  # as before
    assert np.isfinite(reject_spikes(t, h, floor=spike_floor_m(px_per_m, 1 / fps))).all()
    glitch = h.copy()
    glitch[30] += 0.03
    kept = reject_spikes(t, glitch, floor=spike_floor_m(px_per_m, 1 / fps))
    assert np.flatnonzero(np.isnan(kept)).tolist() == [30]
    assert spike_floor_m(1000.0, 1 / 60) == pytest.approx(30.0 / 60**2 / 2)  # 4 mm at 60 fps, a big plate


def test_a_tracker_that_jumps_to_something_else_is_dropped_until_the_bar_could_be_there():
    """At 25 fps a bar moves at most MAX_BAR_SPEED_MPS / 25 = 0.28 m a frame. A tracker that let
    go of the plate and took up a circle a metre away is dropped while it stays out of reach."""
    from shared.analysis.measure import MAX_BAR_SPEED_MPS, drop_jumps

    t = np.arange(20) / 25
    x, y = np.zeros(20), np.linspace(0.2, 1.2, 20)  # the pull: 1.3 m/s, well within reach
    x[8:11] = 1.0  # three frames on something else
    keep = drop_jumps(t, x, y)
    assert keep.tolist() == [True] * 8 + [False] * 3 + [True] * 9
    x[8:] = 1.0  # ... and it stays there: taken up again once the bar could have got there
    keep = drop_jumps(t, x, y)
    first_back = 8 + int(np.flatnonzero(keep[8:])[0])
    assert (t[first_back] - t[7]) * MAX_BAR_SPEED_MPS + 0.03 >= np.hypot(1.0, y[first_back] - y[7])
    assert not keep[8]


def unbridged(t, seen, max_gap_s):
    return ~bridged(t, seen, max_gap_s)


def test_unbridged_frames_are_those_outside_short_gaps_between_seen_ones():
    t = np.arange(10) / 10
    seen = np.zeros(10, dtype=bool)
    seen[[2, 3, 8]] = True  # 0.5 s between frames 3 and 8
    out = unbridged(t, seen, max_gap_s=0.4)
    assert out.tolist() == [True, True, False, False, True, True, True, True, False, True]
    assert not unbridged(t, seen, max_gap_s=0.5)[2:9].any()
    assert unbridged(t, np.zeros(10, dtype=bool), 0.5).all()


@pytest.mark.parametrize("misplaced", [slice(0, 16), slice(10, 14)])
def test_a_hip_misplaced_for_long_is_a_guess_and_for_a_moment_is_bridged(truth, misplaced):
    """A crouched set-up's hip that makes the trunk 30 % long from the clip's start (0.53 s)
    can only be guessed from where it is first seen; four frames (0.13 s) are bridged."""
    t, _, px, plate, radius = truth
    bad = px.copy()
    bad[misplaced, LANDMARKS["rhip"], 1] += 0.3 * TRUNK
    _, guessed = repair_hidden_legs(t, bad, plate, radius, sign=1.0)
    hip = guessed[:, LANDMARKS["rhip"]]
    expected = np.zeros(N, dtype=bool)
    if misplaced.start == 0:
        expected[misplaced] = True
    assert hip.tolist() == expected.tolist()
    assert not guessed[:, LANDMARKS["lhip"]].any()  # that side's hip was seen


@pytest.mark.parametrize(
    "bar_up_m, off_radii, guess", [(0.0, 0.57, True), (0.0, 1.15, True), (0.0, 1.4, False), (0.3, 0.57, False)]
)
def test_a_hip_on_the_plate_over_a_resting_bar_is_a_guess(truth, bar_up_m, off_radii, guess):
    """Set up over a bar on the floor, no lifter's hip is on the plate's face or just off it;
    MediaPipe, with the knees hidden, can put it there through the whole set-up with the trunk
    its right length (0.86-1.11 radii from the plate's centre on a rendered clean whose hip was
    1.61 away). Those looks are guesses. Once the bar is up (the second pull) a hip there is no
    surprise, nor is one 1.4 radii (0.32 m) from the centre, where a short lifter's can be."""
    t, _, px, plate, radius = truth
    bad, plate = px.copy(), plate.copy()
    plate[:16, 1] -= bar_up_m * PX_PER_M
    shift = plate[:16] + off_radii * RADIUS * np.array([-1.0, -1.0]) / np.sqrt(2) - bad[:16, LANDMARKS["rhip"], :2]
    for j in ("hip", "sho"):  # the whole trunk moved: its length is right
        bad[:16, LANDMARKS["r" + j], :2] += shift
    _, guessed = repair_hidden_legs(t, bad, plate, radius, sign=1.0)
    expected = (np.arange(N) < 16) & guess
    assert guessed[:, LANDMARKS["rhip"]].tolist() == expected.tolist()
    assert not guessed[:, LANDMARKS["lhip"]].any()


@pytest.mark.parametrize("rack_m, behind", [((0.08, 0.09), True), ((0.13, 0.33), False)])
def test_a_shoulder_the_plate_covers_in_the_rack_is_a_guess(truth, rack_m, behind):
    """Caught in a front rack the bar sits on the shoulders, 8 cm in front of the joint and 9 cm
    above it: the plate covers the shoulder, and what MediaPipe puts there is a guess (the hip,
    shoulder and elbow angles read from it unmeasured). With the bar 33 cm up, over the head,
    the shoulder shows."""
    t, _, px, plate, radius = truth
    plate = plate.copy()
    sho = px[:, LANDMARKS["rsho"], :2]
    plate[20:] = sho[20:] + np.multiply(rack_m, (1.0, -1.0)) * PX_PER_M
    out, guessed = repair_hidden_legs(t, px, plate, radius, sign=1.0)
    expected = (np.arange(N) >= 20) & behind
    for side in "lr":
        assert guessed[:, LANDMARKS[side + "sho"]].tolist() == expected.tolist()
    assert not guessed[:, [LANDMARKS["rhip"], LANDMARKS["rkne"]]].any()
    hip = unless_guessed(guessed, "r", ("kne", "hip", "sho"), np.ones(N))
    assert np.isnan(hip).tolist() == expected.tolist()


@pytest.mark.parametrize("folded", [[20, 21, 25], list(range(16))])
def test_a_pose_folded_at_the_trunk_is_dropped_and_its_hips_bridged_or_guessed(truth, folded):
    """MediaPipe can fold the whole skeleton at full visibility, the shoulders down at the hips
    and the knees folded up: side-on the trunk keeps its length, so such a look is no reading of
    the lifter. Its landmarks are dropped and its hips are hidden ones: bridged across a moment,
    a guess (angles unmeasured) through a whole set-up."""
    t, _, px, plate, radius = truth
    bad = px.copy()
    for side in "lr":
        bad[folded, LANDMARKS[side + "sho"], :2] = bad[folded, LANDMARKS[side + "hip"], :2] + (5.0, -15.0)
        bad[folded, LANDMARKS[side + "kne"], 1] -= 60.0
    out, guessed = repair_hidden_legs(t, bad, plate, radius, sign=1.0)
    assert np.isnan(out[folded, LANDMARKS["rsho"], :2]).all()
    kept = np.setdiff1d(np.arange(N), folded)
    np.testing.assert_allclose(out[kept][..., :2], px[kept][..., :2])
    if len(folded) == 3:
        assert not guessed.any()
        assert np.abs(out[folded, LANDMARKS["rhip"], :2] - px[folded, LANDMARKS["rhip"], :2]).max() < 3.0
    else:
        assert guessed[:, LANDMARKS["rhip"]].tolist() == (np.arange(N) < 16).tolist()


def test_a_pose_upside_down_is_dropped_like_a_folded_one(truth):
    """With the head and shoulders behind the plate in a front rack, MediaPipe read a lifter
    standing up from a clean upside down at full visibility: shoulders where the hips are, hips
    at the shoulders, the trunk its right length. No lift puts the shoulders below the hips."""
    t, _, px, plate, radius = truth
    bad = px.copy()
    flipped = list(range(24, 34))  # a third of a second: bridged
    for side in "lr":
        sho, hip = LANDMARKS[side + "sho"], LANDMARKS[side + "hip"]
        bad[flipped, sho, :2], bad[flipped, hip, :2] = px[flipped, hip, :2], px[flipped, sho, :2]
    assert _folded(t, bad).tolist() == np.isin(np.arange(N), flipped).tolist()
    out, guessed = repair_hidden_legs(t, bad, plate, radius, sign=1.0)
    assert np.isnan(out[flipped, LANDMARKS["rsho"], :2]).all()
    assert np.abs(out[flipped, LANDMARKS["rhip"], :2] - px[flipped, LANDMARKS["rhip"], :2]).max() < 3.0
    assert not guessed[:, LANDMARKS["rhip"]].any()


def test_a_lifter_looking_smaller_further_off_is_not_a_folded_pose():
    """Walking away from the camera between lifts, the lifter looks half the size: his trunk
    is judged against its length over the second either side, not over the clip."""
    t = np.arange(0, 6, 1 / 30)
    size = np.interp(t, [2.0, 3.5], [0.5, 1.0])  # far off, then walking back to the platform
    px = np.zeros((len(t), 33, 3))
    px[..., 2] = 0.9
    for side in "lr":
        px[:, LANDMARKS[side + "hip"], :2] = np.stack([np.full_like(t, 300.0), 500 - 100 * size], axis=1)
        px[:, LANDMARKS[side + "sho"], :2] = px[:, LANDMARKS[side + "hip"], :2] - np.stack([0 * t, 100 * size], axis=1)
    assert not _folded(t, px).any()
    px[[40, 130], LANDMARKS["rsho"], 1] += 80 * size[[40, 130]]  # folded to a fifth, far off and near
    assert np.flatnonzero(_folded(t, px)).tolist() == [40, 130]


def test_a_guess_covers_the_frames_pose_skipped_beside_it(truth):
    """The set-up is posed a few times a second; the frames between two looks are filled from
    them, so a guessed look's neighbours are guesses too."""
    t, _, px, plate, radius = truth
    bad = px.copy()
    bad[:18, LANDMARKS["rhip"], 1] += 0.3 * TRUNK
    skipped = (np.arange(N) % 3 != 0) & (np.arange(N) < 24)
    bad[skipped] = np.nan
    _, guessed = repair_hidden_legs(t, bad, plate, radius, sign=1.0)
    assert np.flatnonzero(guessed[:, LANDMARKS["rhip"]]).tolist() == list(range(18))  # up to look 18


def test_unmeasured_angles_are_reported_as_frame_ranges():
    from shared.analysis.quality import unmeasured

    knee = np.array([np.nan, np.nan, 60.0, 61.0, np.nan, 62.0])
    body = {"torso_angle": np.full(6, 40.0), "shin_angle": np.r_[np.nan, np.full(5, 60.0)], "hip_height_m": knee}
    assert unmeasured({"rkne_angle": knee, "rhip_angle": np.full(6, 50.0)}, body) == {
        "rkne_angle": [{"start_frame": 0, "end_frame": 1}, {"start_frame": 4, "end_frame": 4}],
        "shin_angle": [{"start_frame": 0, "end_frame": 0}],
    }


def test_landmarks_outside_the_picture_are_not_seen():
    """MediaPipe places a foot the frame's bottom edge cuts off all the same; such a guess must
    not set the floor or a leg's length."""
    from shared.analysis.legs import outside_unseen, point_px

    px = landmarks(np.full(3, 120.0))
    px[1, LANDMARKS["rhee"], 1] = 700.0  # below a 640-row picture
    px[2, LANDMARKS["rtoe"], 0] = -5.0  # left of it
    out = outside_unseen(px, (0, 0, 480, 640))
    assert np.isnan(point_px(out, "rhee")[1]).all() and np.isnan(point_px(out, "rtoe")[2]).all()
    seen = np.ones((3, 33), bool)
    seen[1, LANDMARKS["rhee"]] = seen[2, LANDMARKS["rtoe"]] = False
    assert (out[..., 2] > 0)[seen].all() and np.array_equal(out[..., :2], px[..., :2])


def test_the_phases_knee_is_held_outside_the_frames_it_was_measured_in():
    """Before the first frame with a measured knee (its hip a guess), the knee the phases time by
    is held at the first measured angle, not read from a hip held still: that one's turn where
    the real knee takes over read as a re-bend in the first pull."""
    from_guess = np.array([90.0, 88.0, 85.0, 82.0, 84.0, 90.0, 100.0, 110.0, 100.0])
    measured = np.array([False, False, False, False, True, True, True, True, False])
    held = _held_outside(from_guess, measured)
    assert held.tolist() == [84.0] * 5 + [90.0, 100.0, 110.0, 110.0]
    assert _held_outside(from_guess, np.zeros(9, dtype=bool)).tolist() == from_guess.tolist()


def _transition(n: int = 60, fps: float = 60.0):
    """A side-on chain (metres, forward +x) through a re-bend: the knee bends from 140° to its
    deepest, 125° at frame 36, then snaps straight; the trunk rises; the ankle stays put."""
    t = np.arange(n) / fps
    knee_deg = np.where(t < 0.6, 140 - 15 * np.sin(np.pi / 2 * t / 0.6), 125 + 400 * (t - 0.6) ** 2)
    lean = np.radians(np.where(t < 0.6, 10 + 15 * t / 0.6, 25 - 30 * (t - 0.6)))  # shank forward
    back = np.radians(180 - knee_deg) - lean  # thigh leaning back from upright
    ankle = np.tile([0.0, 0.1], (n, 1))
    knee = ankle + 0.43 * np.stack([np.sin(lean), np.cos(lean)], axis=1)
    hip = knee + 0.43 * np.stack([-np.sin(back), np.cos(back)], axis=1)
    trunk = np.radians(40 - 40 * t)  # leaning forward, rising
    sho = hip + 0.5 * np.stack([np.sin(trunk), np.cos(trunk)], axis=1)
    return t, knee_deg, ankle, knee, hip, sho


def test_the_knee_s_re_bend_is_timed_on_a_hip_the_plate_covers_rebuilt_from_trunk_and_thigh():
    """As the plate slides over the hip, MediaPipe's hip swings forward a quarter of a thigh in
    3 frames and the knee read from it turns early; the hip where trunk and thigh meet between
    shoulder and knee, at their lengths in clear frames, keeps the re-bend on its frame."""
    t, knee_deg, ankle, knee, hip, sho = _transition()
    bar = hip + [0.1, -0.05]  # the plate over the hip...
    bar[:20] = hip[:20] + [0.4, -0.3]  # ...once it has come up from mid-thigh
    seen = hip.copy()
    seen[30:, 0] += np.clip((np.arange(30, len(t)) - 30) / 3, 0, 1) * 0.11  # swung forward from frame 30
    timed = timing_hip(sho, seen, knee, bar, 0.225)
    np.testing.assert_allclose(timed[:20], seen[:20])  # clear of the plate: MediaPipe's
    bent = np.linalg.norm(sho - knee, axis=1) < 0.93 * (0.5 + 0.43)  # hip angle under ~140°
    assert bent[20:41].all()
    assert np.abs(timed[20:][bent[20:]] - hip[20:][bent[20:]]).max() < 0.005
    np.testing.assert_allclose(timed[~bent], seen[~bent])
    assert int(np.argmin(included_angle(ankle, knee, seen))) <= 33  # 3 frames early or more
    assert int(np.argmin(included_angle(ankle, knee, timed))) == int(np.argmin(knee_deg)) == 36


def test_a_hip_the_plate_covers_on_a_nearly_straight_chain_is_left_as_mediapipe_put_it():
    """Near full extension a centimetre along the chord moves the rebuilt hip a long way across
    it, so past HIP_REACH_MAX of trunk + thigh MediaPipe's hip is kept."""
    t, _, ankle, knee, hip, _ = _transition()
    sho = hip + [0.0, 0.5]  # trunk upright over a thigh nearly so: hip angle ~170°
    knee = hip + 0.43 * np.stack([np.full(len(t), np.sin(0.17)), np.full(len(t), -np.cos(0.17))], axis=1)
    bar = hip + [0.1, -0.05]
    bar[:20] += [0.4, -0.3]
    seen = hip + [0.03, 0.0]
    np.testing.assert_allclose(timing_hip(sho, seen, knee, bar, 0.225), seen)
