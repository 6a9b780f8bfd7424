"""Lifter selection on synthetic per-frame pose candidates (people, 33, 3): x px, y px, visibility."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from shared.analysis.lifter import (
    choose_lifter,
    find_lifter_region,
    link_tracks,
    nearest_the_bar,
    pick_at_the_bar,
    second_look,
)
from shared.analysis.pose import LANDMARKS

N_FRAMES = 60
TORSO_PX = 200.0


def person(cx: float, cy: float = 300.0, wrist_dx: float = 0.0) -> np.ndarray:
    """A side-on figure centred at (cx, cy): shoulders 100 px above, hips 100 px below the centre,
    wrists hanging at hip height (offset by wrist_dx); every other landmark at the centre."""
    p = np.zeros((33, 3), np.float32)
    p[:, 0], p[:, 1], p[:, 2] = cx, cy, 0.9
    for name, (dx, dy) in {
        "lsho": (-5, -100),
        "rsho": (5, -100),
        "lhip": (-5, 100),
        "rhip": (5, 100),
        "lwri": (wrist_dx - 5, 100),
        "rwri": (wrist_dx + 5, 100),
        "lkne": (-5, 250),
        "rkne": (5, 250),
        "lank": (-5, 400),
        "rank": (5, 400),
    }.items():
        p[LANDMARKS[name], :2] = (cx + dx, cy + dy)
    return p


def frames(*people_per_frame) -> list:
    """Candidate arrays, one per frame, from per-frame lists of people."""
    return [np.stack(ps) if ps else np.zeros((0, 33, 3), np.float32) for ps in zip(*people_per_frame)]


def stationary(cx=300.0, n=N_FRAMES):
    rng = np.random.default_rng(int(cx))
    return [person(cx + dx, 300.0 + dy) for dx, dy in rng.normal(0, 3, (n, 2))]  # a few px of pose jitter


def walker(x0=700.0, x1=1250.0, n=N_FRAMES):
    return [person(x, 320.0) for x in np.linspace(x0, x1, n)]


def _hip_x(track):
    return track[:, LANDMARKS["lhip"], 0]


# --- link_tracks ------------------------------------------------------------------------------


def test_link_tracks_gives_one_track_per_person_over_all_frames():
    tracks = link_tracks(frames(walker(), stationary()))
    assert tracks.shape == (2, N_FRAMES, 33, 3)


def test_link_tracks_keeps_each_person_in_their_own_track():
    walk, still = walker(), stationary()
    tracks = link_tracks(frames(walk, still))
    np.testing.assert_allclose(_hip_x(tracks[0]), [p[LANDMARKS["lhip"], 0] for p in walk])
    np.testing.assert_allclose(_hip_x(tracks[1]), [p[LANDMARKS["lhip"], 0] for p in still])


def test_link_tracks_follows_people_when_their_order_in_the_frame_swaps():
    walk, still = walker(), stationary()
    cands = [np.stack([a, b] if i % 2 else [b, a]) for i, (a, b) in enumerate(zip(walk, still))]
    tracks = link_tracks(cands)
    assert tracks.shape[0] == 2
    still_track = int(np.argmin([np.ptp(_hip_x(t)) for t in tracks]))
    assert np.ptp(_hip_x(tracks[still_track])) < 30
    assert np.ptp(_hip_x(tracks[1 - still_track])) > 500


def test_link_tracks_fills_frames_where_a_person_is_absent_with_nan():
    still = stationary()
    cands = frames(still)
    cands[10:20] = [np.zeros((0, 33, 3), np.float32)] * 10
    tracks = link_tracks(cands)
    assert tracks.shape == (1, N_FRAMES, 33, 3)
    assert np.isnan(tracks[0, 10:20]).all()
    assert np.isfinite(tracks[0, :10]).all() and np.isfinite(tracks[0, 20:]).all()


def test_link_tracks_starts_a_new_track_for_a_jump_longer_than_a_torso():
    cands = frames([person(300.0)] * 5 + [person(300.0 + 1.5 * TORSO_PX)] * 5)
    tracks = link_tracks(cands)
    assert tracks.shape[0] == 2
    assert np.isfinite(tracks[0, :5, 0, 0]).all() and np.isnan(tracks[0, 5:, 0, 0]).all()
    assert np.isnan(tracks[1, :5, 0, 0]).all() and np.isfinite(tracks[1, 5:, 0, 0]).all()


def test_link_tracks_drops_a_second_detection_of_the_same_person():
    still = stationary()
    cands = [np.stack([p, person(p[LANDMARKS["lhip"], 0] + 25.0, 310.0)]) for p in still]  # 1/8 torso apart
    tracks = link_tracks(cands)
    assert tracks.shape[0] == 1
    np.testing.assert_allclose(_hip_x(tracks[0]), [p[LANDMARKS["lhip"], 0] for p in still])


def test_link_tracks_of_no_frames_is_empty():
    assert link_tracks([]).shape == (0, 0, 33, 3)


# --- choose_lifter ----------------------------------------------------------------------------


def test_stationary_person_is_chosen_over_a_person_walking_across():
    tracks = link_tracks(frames(walker(), stationary()))
    assert choose_lifter(tracks) == 1


def test_stationary_person_is_chosen_whichever_track_comes_first():
    tracks = link_tracks(frames(stationary(), walker()))
    assert choose_lifter(tracks) == 0


def test_person_with_the_bar_at_their_wrists_is_chosen():
    a, b = stationary(300.0), stationary(900.0)
    tracks = link_tracks(frames(a, b))
    bar = np.array([p[LANDMARKS["rwri"], :2] + (10.0, 5.0) for p in b])  # the plate sits at b's hands
    assert choose_lifter(tracks, bar) == 1


def test_bar_near_a_walking_persons_wrists_outweighs_being_stationary():
    walk, still = walker(), stationary()
    tracks = link_tracks(frames(still, walk))
    bar = np.array([p[LANDMARKS["lwri"], :2] for p in walk])
    assert choose_lifter(tracks, bar) == 1


def test_bar_track_that_is_all_nan_is_ignored():
    tracks = link_tracks(frames(walker(), stationary()))
    assert choose_lifter(tracks, np.full((N_FRAMES, 2), np.nan)) == 1


def test_no_candidates_gives_none():
    assert choose_lifter(link_tracks([])) is None


def test_frames_without_people_give_none():
    assert choose_lifter(link_tracks([np.zeros((0, 33, 3), np.float32)] * N_FRAMES)) is None


def test_person_seen_in_under_a_tenth_of_the_frames_is_not_chosen():
    cands = [np.zeros((0, 33, 3), np.float32)] * N_FRAMES
    cands[30:34] = [person(300.0)[None]] * 4  # 4 of 60 frames
    assert choose_lifter(link_tracks(cands)) is None


@pytest.mark.parametrize("present", [6, 30])
def test_better_covered_stationary_person_wins(present):
    still = stationary(300.0)
    brief = [person(900.0) if i < present else None for i in range(N_FRAMES)]
    cands = [np.stack([s] + ([b] if b is not None else [])) for s, b in zip(still, brief)]
    tracks = link_tracks(cands)
    assert choose_lifter(tracks) == 0


# --- find_lifter_region -----------------------------------------------------------------------


def _region(looks, width=1280, height=720):
    """The scan's region over looks 0.6 s apart, given each look's candidates (people, 33, 3)."""
    sample = [SimpleNamespace(rgb=i, t_s=0.6 * i) for i in range(len(looks))]
    return find_lifter_region(iter(sample), lambda i: looks[i], lambda rgb, p: None, width, height)


def test_the_scan_crops_to_the_lifter_when_that_keeps_a_walker_out():
    x0, y0, x1, y1 = _region(frames(stationary(300.0, 6), walker(900.0, 1200.0, 6)))
    assert x0 <= 290 and x1 >= 310 and x1 < 900  # the lifter in, the walker out
    assert (y0, y1) == (0, 720)


def test_a_lifter_split_into_two_tracks_by_the_scan_is_not_cropped():
    """Hips that drop more than a torso between two looks (pull to catch) start a second
    track of the same man, inside his region: the whole frame, as for one person."""
    lifter = [person(300.0, 300.0 if i < 3 else 520.0) for i in range(6)]
    assert len(link_tracks(frames(lifter))) == 2
    assert _region(frames(lifter)) == (0, 0, 1280, 720)


def test_a_ghost_in_the_clutter_inside_the_lifters_region_is_no_reason_to_crop():
    ghost = [person(330.0, 420.0) if i == 3 else None for i in range(6)]
    looks = [[p] + ([g] if g is not None else []) for p, g in zip(stationary(300.0, 6), ghost)]
    cands = [np.stack(ps) for ps in looks]
    assert len(link_tracks(cands)) == 2  # the ghost is a track of its own
    assert _region(cands) == (0, 0, 1280, 720)


def test_someone_beside_the_lifter_in_his_region_makes_pass_1_track_two():
    """A spectator sitting still behind the lifter, inside his region, seen beside him in two
    looks: no crop keeps him out, so pass 1 tracks two people."""
    lifter = stationary(300.0, 6)
    spectator = [person(420.0, 280.0) if i in (2, 4) else None for i in range(6)]
    looks = [np.stack([p] + ([s] if s is not None else [])) for p, s in zip(lifter, spectator)]
    region = _region(looks)
    assert region == (0, 0, 1280, 720) and region.people == 2


def test_a_lifter_alone_is_tracked_alone():
    assert _region(frames(stationary(300.0, 6))).people == 1
    lifter = [person(300.0, 300.0 if i < 3 else 520.0) for i in range(6)]  # split in two, never beside himself
    assert _region(frames(lifter)).people == 1


def test_the_pose_holding_the_bar_is_the_lifter_frame_by_frame():
    """Tracks that mixed the lifter (wrists at the bar) with a spectator: each frame where the
    bar is seen takes the pose holding it; where nobody holds it, the frame is reported."""
    n = 6
    bar = np.array([[300.0, 400.0]] * n)
    bar[5] = np.nan  # the bar lost: that frame keeps what the track had
    lifter, spectator = person(300.0), person(480.0, wrist_dx=40.0)
    mixed = np.stack([lifter, spectator, lifter, spectator, spectator, spectator])
    candidates = [np.stack([lifter, spectator])] * 3 + [spectator[None], np.zeros((0, 33, 3)), spectator[None]]
    track, lacking = pick_at_the_bar(mixed, candidates, bar)
    assert (track[:3, LANDMARKS["lhip"], 0] < 310).all()  # the lifter wherever he was seen
    assert list(lacking) == [False, False, False, True, True, False]
    assert track[5, LANDMARKS["lhip"], 0] > 470  # no bar: as tracked
    assert nearest_the_bar([spectator], bar[0], TORSO_PX) is None  # his wrists 1.2 torsos away


def test_a_second_look_skips_a_drop_but_not_a_lifter_lost_for_seconds():
    """At 30 fps: the bar rests for 1 s, is lifted for 3 s, then falls. Nobody holds it for the
    0.3 s of the fall (a drop: not worth a model) or, in another clip, for the last 2 s of
    the lift (someone else took over the tracker)."""
    t = np.arange(150) / 30
    bar = np.stack([np.full(150, 300.0), np.where((t >= 1) & (t < 4), 100.0, 400.0)], axis=1)
    bar[(t >= 4) & (t < 4.3), 1] = 250.0  # falling
    drop = (t >= 4) & (t < 4.3)
    assert not second_look(drop, bar, t, TORSO_PX, people=1).any()
    lost = (t >= 2) & (t < 4)
    assert (second_look(lost, bar, t, TORSO_PX, people=1) == lost).all()
    # the half second before the bar leaves counts: the lifter holds it in the start position
    lost_early = (t >= 0.2) & (t < 2)
    assert (second_look(lost_early, bar, t, TORSO_PX, people=1) == ((t > 0.5 - 1e-9) & (t < 2))).all()
    # someone was seen beside the lifter: every frame nobody holds the bar in is looked at again
    assert (second_look(drop, bar, t, TORSO_PX, people=2) == drop).all()
