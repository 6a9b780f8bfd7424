"""Bar and rim: circle and ellipse fitting, the rim and the outer silhouette, plate detection and
tracking, on drawn discs."""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np
import pytest

from shared.analysis.bar import PlateObservation, find_plate, refine_on_rim
from shared.analysis.hub import Hub
from shared.analysis.pose import LANDMARKS
from shared.analysis.rim import fit_circle, fit_ellipse, outer_rim
from shared.analysis.tracker import EDGE_CIRCLE_SCORE, PlateTracker

SIZE = (480, 640)  # rows, cols
BACKGROUND, PLATE = 128, 40
SHIFT = 4  # cv2 sub-pixel drawing: coordinates in 1/16 px
NOISE_SIGMA = 3.0
TORSO_PX = 110.0  # a plate of radius 50 px is about 0.45 torso lengths, as for a real lifter


def person_with(wrists, feet_y: float = np.nan) -> np.ndarray:
    """A pose (33, 3) with the torso length above, the given wrists and (optionally) feet."""
    p = np.full((33, 3), np.nan)
    for name, xy in (
        ("lsho", (300, 60)),
        ("rsho", (300, 60)),
        ("lhip", (300, 60 + TORSO_PX)),
        ("rhip", (300, 60 + TORSO_PX)),
    ):
        p[LANDMARKS[name]] = (*xy, 1.0)
    for name, xy in zip(("lwri", "rwri"), wrists):
        p[LANDMARKS[name]] = (*xy, 1.0)
    for name in ("lank", "rank", "lhee", "rhee", "ltoe", "rtoe"):
        p[LANDMARKS[name]] = (300, feet_y, 1.0)
    return p


def _disc_layer(cx: float, cy: float, r: float) -> np.ndarray:
    g = np.full(SIZE, BACKGROUND, np.uint8)
    s = 2**SHIFT
    cv2.circle(g, (int(round(cx * s)), int(round(cy * s))), int(round(r * s)), PLATE, -1, cv2.LINE_AA, SHIFT)
    return g


def render(centres, r: float, rng: np.random.Generator | None = None) -> np.ndarray:
    """RGB frame: dark disc(s) on grey, averaged over `centres` (motion blur), plus noise."""
    acc = np.mean([_disc_layer(cx, cy, r).astype(float) for cx, cy in centres], axis=0)
    if rng is not None:
        acc = acc + rng.normal(0, NOISE_SIGMA, SIZE)
    g = np.clip(np.round(acc), 0, 255).astype(np.uint8)
    return np.dstack([g, g, g])


def drawn_disc(cx: float, cy: float, r: float):
    """Centre and radius of the disc cv2 actually draws: its intensity centroid and the radius
    of a circle of the same area (cv2's anti-aliased fill comes out ~0.6 px wider than asked)."""
    ink = (BACKGROUND - _disc_layer(cx, cy, r).astype(float)) / (BACKGROUND - PLATE)
    ys, xs = np.indices(SIZE)
    return (ink * xs).sum() / ink.sum(), (ink * ys).sum() / ink.sum(), float(np.sqrt(ink.sum() / np.pi))


def _gray(rgb):
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


# --- fit_circle -------------------------------------------------------------------------------


def test_fit_circle_recovers_an_exact_circle():
    a = np.linspace(0, 2 * np.pi, 50, endpoint=False)
    pts = np.column_stack([123.4 + 56.7 * np.cos(a), -78.9 + 56.7 * np.sin(a)])
    cx, cy, r = fit_circle(pts)
    assert (cx, cy, r) == pytest.approx((123.4, -78.9, 56.7), abs=1e-9)


def test_fit_circle_recovers_a_circle_from_a_short_arc():
    a = np.linspace(0.2, 1.4, 12)
    pts = np.column_stack([10 + 30 * np.cos(a), 20 + 30 * np.sin(a)])
    assert fit_circle(pts) == pytest.approx((10.0, 20.0, 30.0), abs=1e-6)


# --- fit_ellipse ------------------------------------------------------------------------------


def test_fit_ellipse_recovers_an_exact_circle():
    a = np.linspace(0, 2 * np.pi, 50, endpoint=False)
    pts = np.column_stack([123.4 + 56.7 * np.cos(a), 78.9 + 56.7 * np.sin(a)])
    cx, cy, major, minor, _ = fit_ellipse(pts)
    assert (cx, cy, major, minor) == pytest.approx((123.4, 78.9, 56.7, 56.7), abs=1e-3)


def test_fit_ellipse_gives_the_major_axis_first_whatever_its_direction():
    a = np.linspace(0, 2 * np.pi, 60, endpoint=False)
    pts = np.column_stack([200 + 40 * np.cos(a), 150 + 55 * np.sin(a)])  # taller than wide
    cx, cy, major, minor, angle = fit_ellipse(pts)
    assert (cx, cy, major, minor) == pytest.approx((200, 150, 55, 40), abs=1e-3)
    assert abs(np.sin(np.radians(angle))) == pytest.approx(1.0, abs=1e-4)  # the major axis is vertical


# --- refine_on_rim ----------------------------------------------------------------------------


@pytest.mark.parametrize("cx, cy, r", [(320.3, 240.7, 50.0), (200.6, 180.2, 49.4), (400.25, 300.75, 51.3)])
def test_refine_on_rim_recovers_centre_and_radius_within_half_a_pixel(cx, cy, r):
    rng = np.random.default_rng(7)
    gray = _gray(render([(cx, cy)], r, rng))
    fx, fy, fr, score = refine_on_rim(gray, cx + 3.0, cy - 2.0, r + 3.0)  # a rough first guess
    tx, ty, tr = drawn_disc(cx, cy, r)
    assert np.hypot(fx - tx, fy - ty) < 0.5
    assert abs(fr - tr) < 0.5
    assert score > 0.9


@pytest.mark.parametrize("cx, cy, r", [(320.3, 240.7, 50.0), (200.6, 180.2, 49.4)])
def test_outer_rim_of_a_plain_disc_is_its_edge_and_round(cx, cy, r):
    gray = _gray(render([(cx, cy)], r, np.random.default_rng(7)))
    fit = outer_rim(gray, cx + 3.0, cy - 2.0, r + 3.0)
    tx, ty, tr = drawn_disc(cx, cy, r)
    assert np.hypot(fit.x_px - tx, fit.y_px - ty) < 0.5
    assert abs(fit.radius_px - tr) < 0.5
    assert fit.score > 0.9
    assert fit.aspect == pytest.approx(1.0, abs=0.02)


def _bumper(cx, cy, r, rng, *, ring=None, squash=1.0, background=BACKGROUND, face=PLATE, below=None):
    """A dark bumper plate drawn at 4x and shrunk: its outer rim at r, an optional lighter
    bevel ring (inner fraction of r, grey level) just inside it, a lighter hub, and the plate
    squashed horizontally by `squash` (a plate turned from the image plane: cos of the turn).
    `face` is the plate's grey inside any ring; `below` (y, grey) paints the background from
    that row down (a dark floor, shoes and shins behind the plate's lower part)."""
    k, s = 4, 2**SHIFT
    big = np.full((SIZE[0] * k, SIZE[1] * k), background, np.uint8)
    if below is not None:
        big[int(round(below[0] * k)) :] = below[1]
    # pixel i of the small image averages big pixels 4i..4i+3, so small x is (big x - 1.5) / 4
    centre = (int(round((cx * k + 1.5) * s)), int(round((cy * k + 1.5) * s)))

    def disc(radius, grey):
        axes = (int(round(radius * squash * k * s)), int(round(radius * k * s)))
        cv2.ellipse(big, centre, axes, 0, 0, 360, grey, -1, cv2.LINE_AA, SHIFT)

    disc(r, face)
    if ring is not None:
        disc(r, ring[1])
        disc(r * ring[0], face)
    disc(0.3 * r, 90)
    disc(0.12 * r, 200)
    g = cv2.resize(big, (SIZE[1], SIZE[0]), interpolation=cv2.INTER_AREA).astype(float)
    g = np.clip(np.round(g + rng.normal(0, NOISE_SIGMA, SIZE)), 0, 255).astype(np.uint8)
    return g


@pytest.mark.parametrize("ring_grey, background", [(110, 200), (90, 160), (150, 60)])
def test_outer_rim_is_the_silhouette_not_a_lighter_ring_inside_it(ring_grey, background):
    """A dark plate with a lighter bevel ring 7 % inside its rim: the ring's inner edge is the
    strongest edge on every ray, and taking it for the plate's edge reads the plate 7 % small."""
    rng = np.random.default_rng(11)
    gray = _bumper(320.4, 240.6, 60.0, rng, ring=(0.93, ring_grey), background=background)
    for guess in (60.0, 56.0, 63.0):  # whichever edge the first guess sat nearest
        fit = outer_rim(gray, 322.0, 239.0, guess)
        assert fit is not None
        assert fit.radius_px == pytest.approx(60.0, rel=0.01)
        assert np.hypot(fit.x_px - 320.4, fit.y_px - 240.6) < 0.5


def test_outer_rim_measures_a_plate_turned_20_degrees_as_an_ellipse():
    """Turned 20 deg about the vertical, a plate keeps its height and narrows to cos 20 deg:
    the major axis still gives the scale, and the aspect gives the turn."""
    rng = np.random.default_rng(12)
    squash = np.cos(np.radians(20))
    gray = _bumper(300.2, 250.7, 55.0, rng, ring=(0.93, 120), squash=squash, background=180)
    fit = outer_rim(gray, 301.0, 250.0, 53.0)
    assert fit is not None
    assert fit.radius_px == pytest.approx(55.0, rel=0.01)
    assert fit.aspect == pytest.approx(squash, abs=0.01)
    assert np.degrees(np.arccos(fit.aspect)) == pytest.approx(20.0, abs=2.0)


@pytest.mark.parametrize("turn_deg", [0, 25])
def test_outer_rim_sizes_a_rim_seen_only_over_the_top_on_the_rings_ellipse(turn_deg):
    """A coloured plate with a dark rim band 10 % deep, resting against a floor, shoes and
    shins as dark as the band: its rim shows against the wall over the top alone, too short an
    arc for an ellipse of its own, while the band's inner edge shows all round. Taking that
    edge reads the plate 10 % small; the rim sizes the inner edge's ellipse."""
    rng = np.random.default_rng(13)
    squash = np.cos(np.radians(turn_deg))
    gray = _bumper(
        300.3, 250.6, 57.0, rng, ring=(0.9, 35), squash=squash, background=140, face=100, below=(250.6 - 20, 35)
    )
    for guess in (57.0, 51.0, 60.0):
        fit = outer_rim(gray, 301.0, 250.0, guess)
        assert fit is not None
        assert fit.radius_px == pytest.approx(57.0, rel=0.01)
        assert fit.aspect == pytest.approx(squash, abs=0.01)
        assert np.hypot(fit.x_px - 300.3, fit.y_px - 250.6) < 0.5


def test_refine_on_rim_returns_none_without_a_rim():
    gray = np.full(SIZE, BACKGROUND, np.uint8)
    assert refine_on_rim(gray, 320.0, 240.0, 50.0) is None


def test_refine_on_rim_returns_none_when_most_of_the_plate_is_out_of_frame():
    gray = _gray(render([(-35.0, 240.0)], 50.0, np.random.default_rng(3)))
    assert refine_on_rim(gray, -35.0, 240.0, 50.0) is None


# --- find_plate -------------------------------------------------------------------------------


def test_find_plate_returns_the_circle_next_to_a_wrist():
    rgb = render([(320.0, 240.0)], 50.0, np.random.default_rng(4))
    obs = find_plate(rgb, person_with([(335.0, 250.0), (600.0, 50.0)]))
    tx, ty, tr = drawn_disc(320.0, 240.0, 50.0)
    assert obs is not None
    assert (obs.x_px, obs.y_px, obs.radius_px) == pytest.approx((tx, ty, tr), abs=0.5)


def test_find_plate_says_on_what_share_of_the_rays_the_outline_showed():
    """A whole disc's silhouette shows on nearly every ray; with a third of its rim against a
    background of its own grey, on fewer (the calibration prefers outlines seen clearly)."""
    rng = np.random.default_rng(4)
    whole = find_plate(render([(320.0, 240.0)], 50.0, rng), person_with([(335.0, 250.0)]))
    rgb = render([(320.0, 240.0)], 50.0, rng)
    rgb[:, 345:] = PLATE  # the right third of the rim meets its own grey
    part = find_plate(rgb, person_with([(335.0, 250.0)]))
    assert whole is not None and whole.rim_score > 0.9
    assert part is not None and part.rim_score < whole.rim_score - 0.15


def test_find_plate_picks_the_plate_nearest_the_wrists_of_two():
    rgb = render([(150.0, 240.0)], 50.0)
    rgb = np.minimum(rgb, render([(470.0, 240.0)], 50.0))
    obs = find_plate(rgb, person_with([(480.0, 230.0)]))
    assert obs is not None and obs.x_px == pytest.approx(470.0, abs=1.0)


def test_find_plate_returns_none_when_no_wrist_is_near_any_circle():
    rgb = render([(200.0, 200.0)], 50.0, np.random.default_rng(5))
    assert find_plate(rgb, person_with([(560.0, 420.0), (600.0, 400.0)])) is None


def test_find_plate_returns_none_without_visible_wrists():
    rgb = render([(320.0, 240.0)], 50.0)
    assert find_plate(rgb, person_with([(np.nan, np.nan), (np.nan, np.nan)])) is None


def test_find_plate_returns_none_on_an_empty_frame():
    rgb = render([(-500.0, -500.0)], 50.0, np.random.default_rng(6))
    assert find_plate(rgb, person_with([(320.0, 240.0)])) is None


def test_a_circle_found_only_with_few_votes_and_no_silhouette_is_loose(monkeypatch):
    """A circle the search finds only with fewer votes, whose rim fits but whose silhouette does
    not show (a grey plate on a grey wall at 360p: its edge meets the wall in a dozen grey
    levels, crf 34), is no plate on its own: `loose` returns it unconfirmed."""
    from shared.analysis import bar

    rgb = render([(320.0, 240.0)], 50.0)
    monkeypatch.setattr(
        bar, "_circles_at_hands", lambda small, lo, hi, votes, *a: [] if votes > 20 else [(320.0, 240.0, 50.0)]
    )
    monkeypatch.setattr(bar, "_plate_at", lambda gray, circle: PlateObservation(*circle, 0.3))  # no silhouette
    person = person_with([(330.0, 250.0)])
    assert find_plate(rgb, person) is None
    obs = find_plate(rgb, person, loose=True)
    assert obs is not None and not obs.confirmed and (obs.x_px, obs.y_px) == (320.0, 240.0)


def test_find_plate_prefers_the_plate_resting_on_the_floor_by_the_feet():
    rgb = np.minimum(render([(320.0, 200.0)], 50.0), render([(320.0, 310.0)], 50.0))
    obs = find_plate(rgb, person_with([(320.0, 255.0)], feet_y=360.0))
    assert obs is not None and obs.y_px == pytest.approx(310.0, abs=1.0)


# --- PlateTracker -----------------------------------------------------------------------------

FPS, N_FRAMES, EXPOSURE_S, R_PX = 30, 40, 1 / 60, 50.0


def _path(t):
    """A pull seen side-on: up 200 px in 0.9 s with a small loop back and forth, then still."""
    s = np.clip(t / 0.9, 0, 1)
    return 300 - 15 * np.sin(np.pi * s) + 5 * np.sin(2 * np.pi * s), 380 - 100 * (1 - np.cos(np.pi * s))


@lru_cache(maxsize=1)
def _pull_clip():
    """(times, true centres, frames) of the pull `_path`."""
    rng = np.random.default_rng(2)
    times = np.arange(N_FRAMES) / FPS
    truth = np.array([_path(t) for t in times])
    # every frame is exposed for 1/60 s: the disc is averaged over 7 positions along the path,
    # which smears it by up to ~6 px in the fastest frames
    frames = [render([_path(t + d) for d in np.linspace(-EXPOSURE_S / 2, EXPOSURE_S / 2, 7)], R_PX, rng) for t in times]
    return times, truth, frames


@lru_cache(maxsize=1)
def _tracked_clip():
    times, truth, frames = _pull_clip()
    _, _, r0 = drawn_disc(*truth[0], R_PX)
    tracker = PlateTracker(PlateObservation(truth[0][0], truth[0][1], r0, 1.0), frames[0], 0.0)
    est = [truth[0]] + [
        (o.x_px, o.y_px) if (o := tracker.update(f, t)) else (np.nan, np.nan) for f, t in zip(frames[1:], times[1:])
    ]
    return truth, np.array(est, dtype=float), tracker


def test_plate_tracker_follows_a_moving_blurred_disc_within_1_5_px_rmse():
    truth, est, _ = _tracked_clip()
    assert np.isfinite(est).all()
    err = np.hypot(*(est - truth).T)
    assert np.sqrt(np.mean(err**2)) < 1.5


@pytest.mark.parametrize("back_s", [4.0, 0.5])
def test_a_plate_found_only_once_it_stands_still_is_tracked_back_through_the_pull(monkeypatch, back_s):
    """Where the circle search finds the plate only late (here: once it stands still after the
    pull, frame 30), the bar pass tracks it back through the frames since, as far as
    BACKTRACK_S: the pull and the set-up are measured too."""
    from shared.analysis import passes
    from shared.analysis.video import Frame

    times, truth, frames = _pull_clip()
    late = 30
    monkeypatch.setattr(passes.BarPass, "BACKTRACK_S", back_s)
    monkeypatch.setattr(
        passes,
        "find_plate",
        lambda rgb, person, loose=False: None if rgb is not frames[late] else PlateObservation(*truth[late], R_PX, 1.0),
    )
    seen = passes.BarPass(lambda frame: [person_with([(0.0, 0.0)])])
    for i, (t, rgb) in enumerate(zip(times, frames)):
        seen.see(Frame(i, t, rgb))
    back = np.array([np.nan if p is None else p.y_px for p in seen.plates[:late]]) - truth[:late, 1]
    reached = times[:late] >= times[late - 1] - back_s - 1e-9  # the last BACKTRACK_S of frames unseen
    assert np.isfinite(back[reached]).all() and np.isnan(back[~reached]).all()
    assert np.sqrt(np.mean(back[reached] ** 2)) < 1.5
    assert all(p is not None for p in seen.plates[late:])


def _loose_bar_pass(
    monkeypatch, loose_at, confirmed_at=lambda i: None, silhouette=True, still_disc=None, still_until=99, hidden=()
):
    """The bar pass over `_pull_clip` (with a second, still disc at `still_disc` up to frame
    `still_until` if given; the pull's plate out of sight on the frames `hidden`) where the
    circle search finds on frame i an unconfirmed circle (`find_plate(loose=True)`) at
    `loose_at(i)` and a confirmed one at `confirmed_at(i)` (None: nothing there); without
    `silhouette` the tracker never reads the plate's outline. (times, truth, the plates as they
    stood after each frame, the plates after `finish`)."""
    from shared.analysis import passes, tracker
    from shared.analysis.video import Frame

    times, truth, frames = _pull_clip()
    frames = [render([(-500.0, -500.0)], R_PX) if i in hidden else f for i, f in enumerate(frames)]
    if still_disc is not None:
        clutter = render([still_disc], R_PX)
        frames = [np.minimum(f, clutter) if i < still_until else f for i, f in enumerate(frames)]
    index = {id(f): i for i, f in enumerate(frames)}

    def search(rgb, person, loose=False):
        i = index[id(rgb)]
        if (at := confirmed_at(i)) is not None:
            return PlateObservation(*at, R_PX, 1.0)
        if loose and (at := loose_at(i)) is not None:
            return PlateObservation(*at, R_PX, 0.3, confirmed=False)
        return None

    monkeypatch.setattr(passes, "find_plate", search)
    if not silhouette:
        monkeypatch.setattr(tracker, "outline_about", lambda *a, **k: None)
    seen = passes.BarPass(lambda frame: [person_with([(0.0, 0.0)])])
    history = []
    for i, (t, rgb) in enumerate(zip(times, frames)):
        seen.see(Frame(i, t, rgb))
        history.append(list(seen.plates))
    return times, truth, history, seen.finish().plates


def _truth_at(i):
    """The plate's true centre on frame i of `_pull_clip`."""
    return tuple(_pull_clip()[1][i])


def _at_rest(i):
    """From frame 27 on the pull's bar has come to rest: the plate's centre there."""
    return None if i < 27 else _truth_at(i)


def test_a_circle_found_only_loosely_is_the_plate_once_it_holds_still(monkeypatch):
    """A grey plate on a grey wall at 360p shows no silhouette: the search finds its circle only
    loosely. Taken at once, any curve at the hands could pass; held still at the hands for
    LOOSE_STILL_S over LOOSE_LOOKS searches, it is tracked, and the frames before are tracked
    back; its silhouette shows on the track, so it is kept."""
    from shared.analysis.passes import BarPass

    times, truth, _, plates = _loose_bar_pass(monkeypatch, _at_rest)
    found = [i for i, p in enumerate(plates) if p is not None]
    assert times[found[-1]] == times[-1]
    (taken,) = [i for i in found if not plates[i].confirmed]  # the find itself; the rest tracked
    assert times[taken] - times[27] >= BarPass.LOOSE_STILL_S - 1e-6  # not on its first look
    assert all(plates[i] is not None for i in range(27, len(times)))  # the wait tracked back
    assert sum(np.isfinite(p.rim_radius_px) for p in plates[27:]) >= BarPass.LOOSE_OUTLINES
    y = np.array([plates[i].y_px for i in range(27, len(times))])
    assert np.abs(y - truth[27:, 1]).max() < 1.5


def test_a_loose_circle_that_moves_between_looks_is_never_taken(monkeypatch):
    """Loose finds that jump a quarter of a radius from look to look are no plate set down."""
    _, _, history, _ = _loose_bar_pass(monkeypatch, lambda i: (300.0 + 12.0 * (i % 2), 180.0) if i >= 27 else None)
    assert all(p is None for p in history[-1])


def test_a_loose_track_whose_silhouette_never_shows_is_dropped(monkeypatch):
    """A crouched lifter with no plate: hand, shin and knee make a circle that holds as still as
    a plate set down and fits a rim, and the tracker follows it; but no plate's silhouette ever
    shows on its track, so once the clip ends its frames are dropped (no bar, not a wrong one)."""
    _, _, history, after = _loose_bar_pass(monkeypatch, _at_rest, silhouette=False)
    assert all(p is not None for p in history[-1][27:])  # it was tracked...
    assert all(p is None for p in after)  # ...and dropped


@pytest.mark.parametrize("missed_before", [False, True])
def test_a_confirmed_find_where_the_loose_track_is_confirms_it(monkeypatch, missed_before):
    """A search while an unconfirmed track runs finds the plate for sure where it is tracked:
    the track is the plate's, silhouette or not, even where the tracker missed the plate on
    the frame before (it is compared with where the track last placed it)."""
    _, _, history, after = _loose_bar_pass(
        monkeypatch,
        _at_rest,
        confirmed_at=lambda i: _truth_at(i) if i == 39 else None,
        silhouette=False,
        hidden=(38,) if missed_before else (),
    )
    assert not history[38][36].confirmed  # the loose find, taken before the sure one
    assert history[38][38] is None if missed_before else history[38][38] is not None
    assert not after[36].confirmed and all(after[i] is not None for i in range(27, 38))


def test_an_unconfirmed_track_lost_is_dropped_when_it_is_given_up(monkeypatch):
    """A still circle tracked loosely whose silhouette never showed, lost (it went away at frame
    20), is dropped once the tracker gives it up (LOST_AFTER_S), not only at the clip's end."""
    clutter = (520.0, 110.0)
    times, _, history, after = _loose_bar_pass(
        monkeypatch, lambda i: clutter if i < 20 else None, silhouette=False, still_disc=clutter, still_until=20
    )
    assert all(p is not None for p in history[19][:20])  # tracked (back to the start)
    given_up = next(i for i in range(20, len(times)) if all(p is None for p in history[i]))
    assert times[given_up] - times[20] > 0.5  # LOST_AFTER_S after the loss
    assert all(p is None for p in after)


def test_a_confirmed_find_elsewhere_replaces_the_loose_track(monkeypatch):
    """A still circle that is not the plate is tracked from a loose find; the searches that go
    on while it is unconfirmed find the plate for sure elsewhere, which is tracked from there,
    and the still circle's frames are dropped."""
    clutter = (520.0, 110.0)
    _, truth, history, after = _loose_bar_pass(
        monkeypatch,
        lambda i: clutter,
        confirmed_at=lambda i: _truth_at(i) if i >= 30 else None,
        silhouette=False,
        still_disc=clutter,
    )
    assert all(np.hypot(p.x_px - clutter[0], p.y_px - clutter[1]) < 2 for p in history[29])  # the clutter tracked
    assert all(p is None for p in after[:30])
    assert all(p is not None and abs(p.y_px - y) < 1.5 for p, y in zip(after[30:], truth[30:, 1]))


def test_the_tracker_says_where_the_template_alone_placed_the_plate(monkeypatch):
    times, truth, frames = _pull_clip()
    tracker = PlateTracker(PlateObservation(*truth[0], R_PX, 1.0), frames[0], 0.0)
    assert not tracker.update(frames[1], times[1]).by_template  # the rim placed it
    monkeypatch.setattr(PlateTracker, "_rim", lambda self, gray, near: None)
    monkeypatch.setattr(PlateTracker, "_search", lambda self, *a: None)
    placed = tracker.update(frames[2], times[2])
    assert placed.by_template and np.hypot(placed.x_px - truth[2][0], placed.y_px - truth[2][1]) < 3


RIM, HUB, TEMPLATE = "rim", "hub", "template"


@pytest.mark.parametrize(
    "placed_by, kept",
    [
        # the rim on 1-10, the hub on 11, the template alone on 12, lost from 13: 11-12 dropped
        ([RIM] * 11 + [HUB] + [TEMPLATE] + [None] * 7, [True] * 11 + [False] * 9),
        # the same, but the rim takes over again at 13: nothing dropped
        ([RIM] * 11 + [HUB] + [TEMPLATE] + [RIM] * 7, [True] * 20),
        # the template alone from frame 2: only its last DRIFT_S (0.1 s, 3 frames) before the loss
        ([RIM] * 2 + [TEMPLATE] * 11 + [None] * 7, [True] * 10 + [None] + [False] * 9),
    ],
)
def test_placings_without_the_rim_just_before_the_plate_is_lost_are_dropped(monkeypatch, placed_by, kept):
    """A tracker that loses the plate drifted off it first: the frames over the last DRIFT_S
    before the loss that it placed without a rim fit (the hub, or the template's match alone)
    are forgotten, and the frames before them kept. Such placings the rim then takes over from
    stay. (`kept`: True kept, False dropped, None either.)"""
    from shared.analysis import passes
    from shared.analysis.video import Frame

    times, truth, frames = _pull_clip()

    class Scripted:
        """The tracker's placings, as `placed_by` says."""

        def __init__(self, found, rgb, t_s):
            """The find it starts from is the scripted plate's: nothing to keep."""

        def update(self, rgb, t_s):
            i = int(round(t_s * FPS))
            how = placed_by[i]
            hub = (*truth[i], 0.9, 1.0 if how == HUB else 0.0)
            return None if how is None else PlateObservation(*truth[i], R_PX, 0.5, hub=hub, by_template=how == TEMPLATE)

    monkeypatch.setattr(passes, "PlateTracker", Scripted)
    monkeypatch.setattr(passes, "find_plate", lambda rgb, person, loose=False: PlateObservation(*truth[0], R_PX, 1.0))
    seen = passes.BarPass(lambda frame: [person_with([(0.0, 0.0)])])
    for i, (t, rgb) in enumerate(zip(times[:20], frames[:20])):
        seen.see(Frame(i, t, rgb))
    for i, (p, want) in enumerate(zip(seen.plates, kept)):
        assert want is None or (p is not None) == want, i


def test_a_tracker_that_finds_the_plate_again_moves_on_at_its_speed_since_it_was_last_seen():
    """Lost for a few frames mid-pull, the tracker coasts (slowing) to where the plate is not.
    Found again, its speed is the plate's since it was last seen, not the step from where it
    coasted to: that step once put the next prediction 11 px off and lost the plate again."""
    times, truth, frames = _pull_clip()
    blank = render([(-500.0, -500.0)], R_PX)  # the plate out of sight
    tracker = PlateTracker(PlateObservation(*truth[0], R_PX, 1.0), frames[0], 0.0)
    for i in range(1, 16):
        seen = tracker.update(blank if 12 <= i <= 14 else frames[i], times[i])
        assert (seen is None) == (12 <= i <= 14), i
    since_seen = (truth[15] - truth[11]) / (times[15] - times[11])  # the plate's mean velocity, px/s
    assert np.linalg.norm(tracker._vel - since_seen) < 0.1 * np.linalg.norm(since_seen)  # was 28 % off


def test_plate_tracker_keeps_the_radius():
    _, _, tracker = _tracked_clip()
    assert tracker.radius_px == pytest.approx(drawn_disc(320, 240, R_PX)[2], abs=0.5)


def test_plate_tracker_reports_none_when_the_plate_vanishes():
    rgb = render([(320.0, 240.0)], R_PX)
    tracker = PlateTracker(PlateObservation(320.0, 240.0, R_PX, 1.0), rgb, 0.0)
    blank = render([(-500.0, -500.0)], R_PX, np.random.default_rng(8))
    assert tracker.update(blank, 1 / 30) is None


def test_find_plate_takes_the_bumper_not_the_change_plate_on_its_face():
    """A change plate (0.7 of the bumper across) on the sleeve is the stronger circle; the scale
    is the bumper's, the largest disc sharing its centre."""
    rng = np.random.default_rng(21)
    gray = _bumper(320.0, 240.0, 60.0, rng, background=170)
    small = _bumper(320.0, 240.0, 42.0, np.random.default_rng(22), background=255)
    gray = np.where(small < 200, np.minimum(small, 70), gray).astype(np.uint8)  # a darker disc in front
    obs = find_plate(np.dstack([gray] * 3), person_with([(330.0, 250.0)]))
    assert obs is not None
    assert obs.rim_radius_px == pytest.approx(60.0, rel=0.01)
    assert np.hypot(obs.x_px - 320.0, obs.y_px - 240.0) < 1.0


def _steel_plate_with_a_change_plate(cx, cy, r, rng):
    """A pale steel plate on a wall nearly as pale (a raised lip at the rim, a darker groove
    inside it), a dark change plate 0.68 of it across on its face, and a dark shin beside it."""
    k, s = 4, 2**SHIFT
    big = np.full((SIZE[0] * k, SIZE[1] * k), 122, np.uint8)
    centre = (int(round((cx * k + 1.5) * s)), int(round((cy * k + 1.5) * s)))
    for share, grey in ((1.0, 150), (0.9, 128), (0.85, 150), (0.68, 67), (0.15, 200)):
        cv2.circle(big, centre, int(round(share * r * k * s)), grey, -1, cv2.LINE_AA, SHIFT)
    shin = np.array([[cx + 0.8 * r, cy - 2.5 * r], [cx + 1.15 * r, cy + r]]) * k
    cv2.line(big, *(tuple(int(v) for v in p) for p in shin), 45, 4 * k, cv2.LINE_AA)
    g = cv2.resize(big, (SIZE[1], SIZE[0]), interpolation=cv2.INTER_AREA).astype(float)
    return np.clip(np.round(g + rng.normal(0, NOISE_SIGMA, SIZE)), 0, 255).astype(np.uint8)


def test_a_plate_found_off_centre_on_mixed_rings_is_recentred_on_its_outline():
    """At 360p the strongest edges of a steel plate's groove, its change plate and a shin made
    a circle 0.2 radii off centre; rays cast from there miss the pale rim, so the plate's
    outline is fitted again about its own centre."""
    from shared.analysis.bar import _plate_at

    gray = _steel_plate_with_a_change_plate(320.3, 240.6, 28.0, np.random.default_rng(31))
    obs = _plate_at(gray.astype(np.float32), (323.0, 244.0, 24.0))
    assert obs is not None
    assert obs.rim_radius_px == pytest.approx(28.0, rel=0.015)
    assert np.hypot(obs.x_px - 320.3, obs.y_px - 240.6) < 1.0


def test_tracker_finds_a_plain_plate_again_after_a_jump_the_template_missed():
    """A light plate on a background almost as light, jumping further than the template's
    window: the rim, a circle of known size, is looked for round the prediction."""
    rng = np.random.default_rng(23)
    frames = [
        np.dstack([_bumper(320.0, 300.0 - dy, 50.0, rng, ring=(0.95, 150), background=135)] * 3) for dy in (0, 0, 40)
    ]
    # as find_plate starts it: the strongest edge's circle (the band's inner edge) and the rim
    first = PlateObservation(*refine_on_rim(_gray(frames[0]), 320.0, 300.0, 50.0), rim_radius_px=50.0)
    tracker = PlateTracker(first, frames[0], 0.0)
    assert tracker.update(frames[1], 1 / 30) is not None
    obs = tracker.update(frames[2], 2 / 30)
    assert obs is not None and np.hypot(obs.x_px - 320.0, obs.y_px - 260.0) < 1.5


@pytest.mark.parametrize("away_m, taken", [(0.05, True), (0.30, False)])
def test_a_circle_found_afresh_is_the_plate_only_where_the_bar_could_have_got(away_m, taken):
    """The plate vanishes (blurred past seeing) and a plate of its size shows elsewhere (on a
    rack, or a round shape in the background): 5 cm from where the bar was heading is the
    plate; 30 cm in 1/30 s is no bar, and the frame is reported lost rather than followed."""
    from shared.analysis.bar import PLATE_DIAMETER_M

    rng = np.random.default_rng(24)
    px_per_m = 2 * 50.0 / PLATE_DIAMETER_M
    still = np.dstack([_bumper(320.0, 300.0, 50.0, rng, background=170)] * 3)
    other = np.dstack([_bumper(320.0 + away_m * px_per_m, 300.0, 50.0, rng, background=170)] * 3)
    first = PlateObservation(*refine_on_rim(_gray(still), 320.0, 300.0, 50.0), rim_radius_px=50.0)
    tracker = PlateTracker(first, still, 0.0)
    assert tracker.update(still, 1 / 30) is not None
    obs = tracker.update(other, 2 / 30)
    assert (obs is not None) == taken
    if taken:
        assert obs.x_px == pytest.approx(320.0 + away_m * px_per_m, abs=1.5)


def test_known_circle_finds_a_faint_plate_among_stronger_limb_edges():
    """A light plate on a background nearly as light, with two dark limbs crossing behind it:
    the strongest edges are the limbs'; the circle of the plate's size is the plate."""
    from shared.analysis.rim import known_circle

    rng = np.random.default_rng(31)
    gray = _bumper(320.3, 240.6, 50.0, rng, ring=(0.95, 150), background=135).astype(float)
    limbs = np.zeros(SIZE, np.uint8)
    cv2.line(limbs, (250, 330), (300, 150), 255, 14)
    cv2.line(limbs, (390, 330), (360, 180), 255, 14)
    outside = np.hypot(*np.meshgrid(np.arange(SIZE[1]) - 320.3, np.arange(SIZE[0]) - 240.6)) > 50
    gray[(limbs > 0) & outside] = 30
    fit = known_circle(gray.astype(np.uint8), 324.0, 237.0, 47.0, 50.0)
    assert fit is not None
    assert np.hypot(fit[0] - 320.3, fit[1] - 240.6) < 0.7


def test_find_plate_finds_a_small_faint_plate_that_gets_few_votes():
    """At 360p a plate is ~40 px across: a faint one in a noisy frame gets too few of
    HoughCircles' votes at the strict threshold, and is looked for again with fewer."""
    rng = np.random.default_rng(21)
    g = _bumper(320.3, 240.6, 19.0, rng, ring=(0.85, 100), background=72)
    g = np.clip(g.astype(float) + rng.normal(0, 4.0, SIZE), 0, 255).astype(np.uint8)
    person = person_with([(326.0, 246.0)])
    person[[LANDMARKS["lhip"], LANDMARKS["rhip"]], 1] = 60 + 42.0  # a torso in proportion to the plate
    obs = find_plate(np.dstack([g, g, g]), person)
    assert obs is not None
    assert np.hypot(obs.x_px - 320.3, obs.y_px - 240.6) < 1.0
    assert obs.rim_radius_px == pytest.approx(19.0, rel=0.04)


def test_a_faint_plate_is_found_with_its_local_contrast_brought_up_and_followed():
    """A plate only 26 grey levels off the wall (backlit: everything at half its brightness)
    gives the circle search too little edge; with the local contrast brought up it is found,
    and tracked so as it rises."""
    rng = np.random.default_rng(31)

    def faint(cy):
        g = 128 + (_bumper(320.0, cy, 50.0, rng, background=128).astype(float) - 128) * 0.3
        return np.dstack([np.clip(np.round(g + rng.normal(0, NOISE_SIGMA, g.shape)), 0, 255).astype(np.uint8)] * 3)

    obs = find_plate(faint(300.0), person_with([(330.0, 300.0)]))
    assert obs is not None and obs.faint
    assert np.hypot(obs.x_px - 320.0, obs.y_px - 300.0) < 0.5 and obs.radius_px == pytest.approx(50.0, abs=1.0)
    tracker = PlateTracker(obs, faint(300.0), 0.0)
    heights = [300.0 - 0.5 * 30.0 * (i / 30) ** 2 * 222 for i in range(1, 9)]  # 3 g of pull on a 222 px/m plate
    for i, y in enumerate(heights, 1):
        seen = tracker.update(faint(y), i / 30)
        assert seen is not None and abs(seen.y_px - y) < 1.5 and seen.faint


def _faint_plate_by_a_box(cy: float, rng) -> np.ndarray:
    """A plate 15 grey levels off the dark box it is found in front of (backlit), with a wall
    three times as bright above the box's top (y 250)."""
    bg = np.where(np.arange(SIZE[0])[:, None] > 250, 60.0, 230.0) * np.ones(SIZE)
    plate = (BACKGROUND - _disc_layer(320.0, cy, 50.0).astype(float)) / (BACKGROUND - PLATE)
    hub = (BACKGROUND - _disc_layer(320.0, cy, 15.0).astype(float)) / (BACKGROUND - PLATE)
    g = (bg * (1 - plate) + 75.0 * plate) * (1 - hub) + 110.0 * hub
    return np.dstack([np.clip(np.round(g + rng.normal(0, NOISE_SIGMA, SIZE)), 0, 255).astype(np.uint8)] * 3)


def test_a_faint_plate_is_followed_from_a_dark_box_up_in_front_of_a_bright_wall():
    """A faint plate's grey levels are stretched round where it is on each frame: stretched as
    they were where it was found, the plate and the bright wall both whiten, and the track was
    lost 15 px off as it rose past the box's top."""
    rng = np.random.default_rng(5)
    obs = find_plate(_faint_plate_by_a_box(360.0, rng), person_with([(330.0, 360.0)], 410.0))
    assert obs is not None and obs.faint
    tracker = PlateTracker(obs, _faint_plate_by_a_box(360.0, rng), 0.0)
    for i in range(1, 25):
        y = 360.0 - 10.0 * i
        seen = tracker.update(_faint_plate_by_a_box(y, rng), i / 30)
        assert seen is not None and abs(seen.y_px - y) < 1.0


def _turned_plate_dark_on_the_left(seed: int, dark_from_x: float = 300.0) -> np.ndarray:
    """A plate turned 26 deg (aspect 0.9, r 60 at (320.3, 240.6)) whose left side is nearly the
    grey of what is behind it there (a red plate backlit against a dark box)."""
    light = _bumper(320.3, 240.6, 60.0, np.random.default_rng(seed), squash=0.9, background=170)
    dark = _bumper(320.3, 240.6, 60.0, np.random.default_rng(seed + 100), squash=0.9, background=46)
    return np.dstack([np.where(np.arange(SIZE[1])[None, :] < dark_from_x, dark, light)] * 3)


def test_a_turned_plate_with_a_faint_side_is_centred_by_its_ellipse_not_a_circle():
    """A circle through an ellipse's edges where one side is missing sits 5 px off its centre;
    the edges stretched back into the plate's circle (`rim.Squash`) give the centre."""
    from shared.analysis.rim import Squash

    gray = _gray(_turned_plate_dark_on_the_left(3))
    circle = refine_on_rim(gray, 318.0, 241.0, 57.0)
    ellipse = refine_on_rim(gray, 318.0, 241.0, 57.0, Squash(0.9, 90.0))
    assert circle[0] - 320.3 < -4.0  # the bias the ellipse removes
    assert np.hypot(ellipse[0] - 320.3, ellipse[1] - 240.6) < 0.2
    assert ellipse[2] == pytest.approx(60.0, abs=0.5)  # the major semi-axis


@pytest.mark.parametrize("dark_from_x", [280.0, 300.0])
def test_the_tracker_fits_a_turned_plate_as_the_ellipse_its_outlines_show(dark_from_x):
    """Found as a circle 2.5-5 px off centre (its faint side missing), the plate's outline is
    read about its own centre where it is off the track's by more than OUTLINE_AGREES
    (measured again there, it is found again); once SHAPES_NEEDED outlines agree that it is
    turned, the rim is fitted as that ellipse and the track is on the plate's centre. A
    tracker that starts later (found mid-lift) takes the shape up from one that read it."""
    from shared.analysis.tracker import SHAPES_NEEDED

    first = _turned_plate_dark_on_the_left(0, dark_from_x)
    fit = refine_on_rim(_gray(first), 318.0, 241.0, 57.0)
    assert fit[0] - 320.3 < -2.0
    tracker = PlateTracker(PlateObservation(*fit), first, 0.0)
    seen = [tracker.update(_turned_plate_dark_on_the_left(i, dark_from_x), i / 30) for i in range(1, 16)]
    read = [obs for obs in seen if np.isfinite(obs.rim_radius_px)]
    assert len(read) >= SHAPES_NEEDED
    assert all(obs.rim_radius_px == pytest.approx(60.0, abs=0.3) for obs in read)
    assert all(obs.aspect == pytest.approx(0.9, abs=0.01) for obs in read)
    assert np.hypot(seen[-1].x_px - 320.3, seen[-1].y_px - 240.6) < 0.3
    later = PlateTracker(PlateObservation(*fit), first, 0.0)
    later.learn_shapes(tracker)
    obs = later.update(_turned_plate_dark_on_the_left(20, dark_from_x), 20 / 30)
    assert np.hypot(obs.x_px - 320.3, obs.y_px - 240.6) < 0.3


def test_a_near_circle_is_not_fitted_as_an_ellipse_on_a_few_outlines():
    """Four outlines of a plate all but side-on (aspects 0.95-0.997, axes all round, as on a
    real clip) are no shape to fit by: the rim stays a circle."""
    rgb = np.dstack([_bumper(320.0, 240.0, 50.0, np.random.default_rng(41))] * 3)
    tracker = PlateTracker(PlateObservation(320.0, 240.0, 50.0, 1.0), rgb, 0.0)
    tracker._shapes.extend([(0.971, 128.7), (0.997, 217.5), (0.95, 90.6), (0.95, 266.5)])
    assert tracker._squash() is None
    tracker._shapes.extend([(0.99, 90.0)] * 6)
    assert tracker._squash() is None  # three in four not clearly turned


@pytest.mark.parametrize(
    "plain_rim, faint_rim, taken",
    [(np.nan, 57.0, "faint"), (58.0, 57.0, "plain"), (np.nan, np.nan, "plain"), (None, np.nan, "faint")],
)
def test_find_plate_takes_a_silhouette_found_with_contrast_brought_up_over_a_circle_without(
    monkeypatch, plain_rim, faint_rim, taken
):
    """A circle through the plate and the shins round it can fit a rim without showing a
    silhouette (13 % large on a backlit red plate at 4K). Then the search with the local
    contrast brought up is tried too, and its circle taken where it shows its silhouette; a
    plain circle that shows one is taken as it is, and one without is kept over a faint one
    without. `None`: the plain search found nothing."""
    from shared.analysis import bar

    looks = []

    def plate_near(gray, *args):
        looks.append(gray)
        rim = plain_rim if len(looks) == 1 else faint_rim
        return None if rim is None else PlateObservation(320.0, 240.0, 55.0, 0.9, rim_radius_px=rim)

    monkeypatch.setattr(bar, "_plate_near", plate_near)
    obs = find_plate(render([(320.0, 240.0)], 55.0), person_with([(330.0, 250.0)]))
    assert obs.faint == (taken == "faint")
    assert len(looks) == (1 if np.isfinite(plain_rim or np.nan) else 2)


def test_a_long_still_plate_has_its_outline_read_on_a_sample_of_frames():
    """A long set-up gives hundreds of still frames; the outline (~3.5 ms each) is read on the
    first OUTLINES_EVERY_FRAME of them and every OUTLINE_STEP-th after, and the scale's median
    needs no more."""
    from shared.analysis.tracker import OUTLINE_STEP, OUTLINES_EVERY_FRAME

    rgb = np.dstack([_bumper(320.0, 240.0, 50.0, np.random.default_rng(41))] * 3)
    first = PlateObservation(*refine_on_rim(_gray(rgb), 320.0, 240.0, 50.0), rim_radius_px=50.0)
    tracker = PlateTracker(first, rgb, 0.0)
    n = OUTLINES_EVERY_FRAME + 10 * OUTLINE_STEP
    seen = [tracker.update(rgb, i / 30) for i in range(1, n + 1)]
    read = [i for i, s in enumerate(seen, 1) if np.isfinite(s.rim_radius_px)]
    assert read == list(range(1, OUTLINES_EVERY_FRAME + 1)) + list(
        range(OUTLINES_EVERY_FRAME + OUTLINE_STEP, n + 1, OUTLINE_STEP)
    )
    assert np.median([seen[i - 1].rim_radius_px for i in read]) == pytest.approx(50.0, abs=0.5)


def _within(cx: float, cy: float, r: float) -> np.ndarray:
    """The pixels of a SIZE frame within r of (cx, cy)."""
    return np.hypot(*np.meshgrid(np.arange(SIZE[1]) - cx, np.arange(SIZE[0]) - cy)) < r


def test_a_plate_whose_rim_is_lost_against_the_wall_is_still_followed():
    """A steel plate the grey of the wall behind it, picked up mid-pull (the tracker starts
    with no speed) and rising 2 m/s past the lifter's dark legs: its rim is gone, and only its
    middle places it (the hub, or the whole plate's template, which is mostly the hub)."""
    rng = np.random.default_rng(51)
    px_per_m, x = 222.0, 320.0

    def frame(ys, legs_y):
        acc = []
        for y in ys:  # the exposure, averaged
            g = np.full(SIZE, 128.0)
            g[int(legs_y) :, 250:390] = 35.0  # the legs and shorts behind the plate, rising
            inside = np.clip((BACKGROUND - _disc_layer(x, y, 50.0).astype(float)) / (BACKGROUND - PLATE), 0, 1)
            plate = 128 + (_bumper(x, y, 50.0, rng, background=128).astype(float) - 128) * 0.02
            hub = _within(x, y, 0.3 * 50)
            plate[hub] = _bumper(x, y, 50.0, rng, background=128)[hub]
            acc.append(inside * plate + (1 - inside) * g)
        g = np.clip(np.round(np.mean(acc, axis=0) + rng.normal(0, NOISE_SIGMA, SIZE)), 0, 255).astype(np.uint8)
        return np.dstack([g] * 3)

    def height(t):
        return 330.0 - px_per_m * 2.0 * t

    tracker = PlateTracker(PlateObservation(x, 330.0, 50.0, 1.0, rim_radius_px=50.0), frame([330.0], 390.0), 0.0)
    for i in range(1, 9):
        t = i / 30
        seen = tracker.update(frame([height(t + d) for d in np.linspace(-1 / 120, 1 / 120, 7)], 390 - 200 * t), t)
        assert seen is not None and np.hypot(seen.x_px - x, seen.y_px - height(t)) < 0.5, (i, seen)


def test_a_rim_fit_snapped_to_a_ghost_of_the_plate_is_overruled_by_the_hub():
    """Heavy compression can leave a sharp outline of the plate where it stood while the real
    plate, faint and blurred, has already risen: the rim fit round the prediction snaps back to
    the outline. The hub, matched clearly and 0.2 radii up, places the plate there."""
    from shared.analysis.hub import HUB_OVERRULES

    rng = np.random.default_rng(52)

    def frame(y, outline_at=None):
        g = 128 + (_bumper(320.0, y, 50.0, rng, background=128).astype(float) - 128) * 0.3
        if outline_at is not None:  # the ghost: the rim's outline, sharp, outside the plate's face
            ring = np.zeros(SIZE, np.uint8)
            cv2.circle(ring, (320 * 16, int(outline_at * 16)), 50 * 16, 255, 3, cv2.LINE_AA, 4)
            face = _within(320.0, y, 50)
            g = np.where((ring > 0) & ~face, 40.0, g)
        return np.dstack([np.clip(np.round(g), 0, 255).astype(np.uint8)] * 3)

    first = PlateObservation(*refine_on_rim(_gray(frame(330.0)), 320.0, 330.0, 50.0), rim_radius_px=50.0)
    tracker = PlateTracker(first, frame(330.0), 0.0)
    assert tracker.update(frame(330.0), 1 / 30) is not None
    seen = tracker.update(frame(320.0, outline_at=330.0), 2 / 30)
    assert seen is not None and abs(seen.y_px - 320.0) < 1.0, seen
    assert seen.score >= 0.5 * HUB_OVERRULES  # placed by the hub


@pytest.mark.parametrize(
    "rim_score, peak, hub_y, wins",
    [
        (0.7, 0.95, 100.0, True),  # a clear match overrules any fit
        (0.35, 0.85, 100.0, True),  # a fit on few rays, the hub matched well where the motion puts the bar
        (0.35, 0.85, 92.0, False),  # ... but farther off the motion than the fit: the blurred hub strayed
        (0.7, 0.85, 100.0, False),  # a fit on most rays stands against a match short of clear
        (0.35, 0.7, 100.0, False),  # a poor match overrules nothing
    ],
)
def test_the_hub_overrules_a_rim_fit_only_where_it_is_the_likelier(rim_score, peak, hub_y, wins):
    """The rim's fit 4 px off the prediction (100, 100), the hub at (100, hub_y): which places
    the plate follows how clearly the hub matched, how many rays the fit was seen on, and which
    of the two lies nearer the bar's motion."""
    rim = (np.array([104.0, 100.0]), rim_score)
    weak = rim_score < EDGE_CIRCLE_SCORE
    assert Hub.wins(rim, weak, np.array([100.0, hub_y]), peak, np.array([100.0, 100.0])) is wins


def test_a_plate_whose_edge_runs_on_into_something_its_colour_is_found_inside_it():
    """Shorts the plate's colour behind its upper-left quarter carry its edge on: the strongest
    edges seeded from a circle found there fit a circle 20 % too big with no silhouette of its
    own. The plate inside it, whose silhouette shows, is the one returned."""
    from shared.analysis.bar import _plate_at

    rng = np.random.default_rng(71)
    g = _bumper(320.0, 300.0, 30.0, rng).astype(float)
    yy, xx = np.mgrid[: SIZE[0], : SIZE[1]]
    shorts = (np.hypot(xx - 312, yy - 294) < 37) & (xx < 318) & (yy < 296) & ~_within(320.0, 300.0, 30.0)
    g[shorts] = g[300, 300]
    gray = np.clip(g + rng.normal(0, 2, g.shape), 0, 255).astype(np.uint8)
    assert refine_on_rim(gray, 313.0, 295.0, 34.0)[2] > 35  # the strongest edges take the shorts in
    seen = _plate_at(gray, (313.0, 295.0, 34.0))
    assert seen is not None and np.hypot(seen.x_px - 320.0, seen.y_px - 300.0) < 0.5
    assert seen.rim_radius_px == pytest.approx(30.0, abs=0.5)
