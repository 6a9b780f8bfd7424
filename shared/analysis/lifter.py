"""Lifter selection: find the person holding the bar, and keep pose on them.

A lifter stays where the platform is and has the bar in the hands; someone walking past
travels across the frame and has no bar. Before the main pass, `find_lifter_region` looks
at the first seconds with multi-person detection, picks the person whose wrists are at a
plate (else the most stationary one) and returns a region around them with room for the
bar overhead, when that region keeps someone else out (else the whole frame); pose then
tracks one person inside it, or two when someone else stood beside the lifter inside it. After the pass,
`link_tracks` and `choose_lifter` keep the track that stays with the bar, in case the
tracker still jumped to someone else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from shared.analysis.pose import LANDMARKS

_HIPS = [LANDMARKS["lhip"], LANDMARKS["rhip"]]
_SHOULDERS = [LANDMARKS["lsho"], LANDMARKS["rsho"]]
_WRISTS = [LANDMARKS["lwri"], LANDMARKS["rwri"]]


def _centre(person: np.ndarray) -> np.ndarray:
    return np.nanmean(person[_HIPS + _SHOULDERS, :2], axis=0)


def _torso_px(person: np.ndarray) -> float:
    return float(np.linalg.norm(np.nanmean(person[_HIPS, :2], 0) - np.nanmean(person[_SHOULDERS, :2], 0)))


def link_tracks(candidates: list) -> np.ndarray:
    """Tracks (tracks, frames, 33, 3) from per-frame candidate arrays (people, 33, 3), NaN where absent.

    Each track takes the candidate whose whole pose moved least since its last frame, within
    one torso length. MediaPipe sometimes reports one person twice with slightly different
    limbs; a candidate whose centre lies within half a torso of one already taken is that
    duplicate and is dropped, so a track never flickers between two guesses."""
    n = len(candidates)
    tracks: list = []
    last: list = []
    for i, people in enumerate(candidates):
        people = [p for p in people if np.isfinite(_centre(p)).all()]
        taken: list = []
        for k in sorted(range(len(last)), key=lambda k: -np.isfinite(tracks[k][:i, 0, 0]).sum()):
            if not people:
                break
            moved = [np.nanmean(np.linalg.norm(p[:, :2] - last[k][:, :2], axis=1)) for p in people]
            j = int(np.argmin(moved))
            if np.linalg.norm(_centre(people[j]) - _centre(last[k])) > max(_torso_px(last[k]), 1.0):
                continue
            tracks[k][i], last[k] = people[j], people[j]
            taken.append(people.pop(j))
        for person in people:
            if any(np.linalg.norm(_centre(person) - _centre(q)) < 0.5 * max(_torso_px(q), 1.0) for q in taken):
                continue
            tracks.append(np.full((n, 33, 3), np.nan, np.float32))
            tracks[-1][i] = person
            last.append(person)
            taken.append(person)
    return np.stack(tracks) if tracks else np.full((0, n, 33, 3), np.nan, np.float32)


class Region(tuple):
    """(x0, y0, x1, y1) around the lifter; `band`, the columns he and the bar move in (the
    rest is background, for `camera.CameraMotion`); and `people`: how many pass 1 tracks in
    the region. That is 2 when someone else was seen inside it beside the lifter (a spectator on the bench
    behind the platform): a one-person tracker may lock onto them for the whole clip, and
    `choose_lifter` can only choose among the people tracked."""

    people: int
    band: tuple | None  # (x0, x1): the columns the lifter and the bar move in; None: not known

    def __new__(cls, box: tuple, people: int = 1, band: tuple | None = None) -> Region:
        region = super().__new__(cls, tuple(int(v) for v in box))
        region.people, region.band = people, band
        return region


BAND_MARGIN = 0.25  # of the lifter's height each side of him: his band, with the plate in front of him
SEEN_BESIDE = 2  # looks where someone else is seen beside the lifter, inside his region, to track two


def find_lifter_region(
    frames: Iterable,
    detect: Callable,
    find_plate: Callable,
    width: int,
    height: int,
    seconds: float = 3.0,
) -> Region:
    """The `Region` around the lifter, from multi-person detections on the frames given (a
    sparse sample of the first `seconds`).

    `detect(rgb)` returns candidates (people, 33, 3); `find_plate(rgb, person)` returns a plate
    observation or None. Returns the whole frame unless the region keeps someone else out:
    a crop only pays then, and MediaPipe tracks best on full frames. Looks 0.6 s apart can
    split the lifter himself into two tracks (his hips drop more than a torso from the pull to
    the catch), and MediaPipe reports the odd ghost in gym clutter: inside his region, neither
    keeps anyone out. (A ghost seen once outside it still makes a crop: a walker, too, may be
    seen in only one or two looks.)"""
    candidates, plates = [], []
    for frame in frames:
        if frame.t_s > seconds:
            break
        people = detect(frame.rgb)
        found = next(filter(None, (find_plate(frame.rgb, p) for p in people)), None)
        candidates.append(people)
        plates.append((found.x_px, found.y_px) if found else (np.nan, np.nan))
    tracks = link_tracks(candidates)
    k = choose_lifter(tracks, np.array(plates, dtype=float).reshape(-1, 2)) if len(tracks) else None
    if k is None:
        return Region((0, 0, width, height))
    xy = tracks[k][..., :2].reshape(-1, 2)
    x0, y0 = np.nanmin(xy, axis=0)
    x1, y1 = np.nanmax(xy, axis=0)
    tall = max(y1 - y0, 1.0)
    band = (float(x0 - BAND_MARGIN * tall), float(x1 + BAND_MARGIN * tall))
    if len(tracks) < 2:
        return Region((0, 0, width, height), 1, band)
    box = (int(max(0, x0 - 0.6 * tall)), int(max(0, y0 - 1.5 * tall)), int(min(width, x1 + 0.6 * tall)), height)
    others = [
        _centre(p)
        for j, track in enumerate(tracks)
        if j != k
        for p in track
        if np.isfinite(p[_HIPS + _SHOULDERS, 0]).any()
    ]
    kept_out = any(not (box[0] <= x <= box[2] and box[1] <= y <= box[3]) for x, y in others)
    # someone beside him, in the same looks (a track of his own split by a big move never is;
    # a ghost in the clutter is seen once)
    lifter_seen = np.isfinite(tracks[k][:, _HIPS[0], 0])
    beside = max(
        (int((lifter_seen & np.isfinite(track[:, _HIPS[0], 0])).sum()) for j, track in enumerate(tracks) if j != k),
        default=0,
    )
    people = 2 if beside >= SEEN_BESIDE else 1
    return Region(box if kept_out else (0, 0, width, height), people, band)


def choose_lifter(tracks: np.ndarray, bar_px: np.ndarray | None = None) -> int | None:
    """Index of the lifter's track, or None when nobody is in view long enough."""
    if not len(tracks):
        return None
    best, best_score = None, 0.0
    for k, track in enumerate(tracks):
        present = np.isfinite(track[:, _HIPS[0], 0])
        coverage = present.mean()
        if coverage < 0.1:
            continue
        torso = np.nanmedian([_torso_px(p) for p in track[present]])
        hip_x = np.nanmean(track[present][:, _HIPS, 0], axis=1)
        travel = (np.percentile(hip_x, 90) - np.percentile(hip_x, 10)) / torso
        score = coverage / (1.0 + travel)
        if bar_px is not None and np.isfinite(bar_px).any():
            both = present & np.isfinite(bar_px[:, 0])
            if both.any():
                wrists = track[both][:, _WRISTS, :2]
                gap = np.nanmin(np.linalg.norm(wrists - bar_px[both][:, None, :], axis=-1), axis=1)
                if np.isfinite(gap).any():
                    score /= 1.0 + np.nanmedian(gap) / torso
        if score > best_score:
            best, best_score = k, score
    return best


def wrist_gap_px(person: np.ndarray, bar_px: np.ndarray) -> float:
    """How far (px) the nearer of a pose's wrists is from the bar; inf without either."""
    gap = np.linalg.norm(person[_WRISTS, :2] - np.asarray(bar_px)[None, :], axis=1)
    return float(np.nanmin(gap)) if np.isfinite(gap).any() else float("inf")


def torso_px(track: np.ndarray) -> float:
    """The median torso length (px) of a track's poses; nan without any."""
    present = np.isfinite(track[:, _HIPS[0], 0])
    return float(np.nanmedian([_torso_px(p) for p in track[present]])) if present.any() else float("nan")


HOLDS_WITHIN = 1.0  # of a torso between a wrist and the plate's centre: the hands are on the bar


def nearest_the_bar(people: np.ndarray | list, bar_px: np.ndarray, torso: float) -> np.ndarray | None:
    """The pose among `people` with a wrist nearest the bar, within HOLDS_WITHIN torsos of
    it, or None."""
    gaps = [wrist_gap_px(p, bar_px) for p in people]
    if not gaps or min(gaps) > HOLDS_WITHIN * torso:
        return None
    return people[int(np.argmin(gaps))]


def pick_at_the_bar(track: np.ndarray, candidates: list, bar_px: np.ndarray) -> tuple:
    """The lifter's track made sample by sample where the bar is seen: the candidate holding
    it (`nearest_the_bar`) wherever there is one, and the samples where the bar is seen and
    nobody holds it: (track, lacking).

    A one-person tracker that loses the lifter in the catch re-finds whoever is easiest to
    see, a spectator sitting still behind the platform, and keeps him; linking poses into
    tracks then mixes the two. The hands on the bar say who lifts, frame by frame."""
    track = track.copy()
    torso = torso_px(track)
    lacking = np.zeros(len(track), bool)
    if not np.isfinite(torso):
        return track, lacking
    for i, people in enumerate(candidates):
        if not np.isfinite(bar_px[i]).all():
            continue
        holding = nearest_the_bar(people, bar_px[i], torso)
        if holding is not None:
            track[i] = holding
        else:
            lacking[i] = True
    return track, lacking


SET_UP_S = 0.5  # before the bar leaves its rest: the lifter holds it in the start position
RELOOK_MIN = 10  # frames nobody held the bar in, with nobody seen beside the lifter, worth a second look
RELOOK_RUN_S = 0.8  # and only in stretches this long: a dropped bar falls from 2 m in 0.64 s


def second_look(lacking: np.ndarray, bar_px: np.ndarray, t_s: np.ndarray, torso: float, people: int) -> np.ndarray:
    """Which of the samples where nobody holds the bar (`pick_at_the_bar`'s `lacking`) are worth
    posing again: all of them when pass 1 tracked two `people` (someone was seen beside the
    lifter). Otherwise only those with the bar in the air (half a torso over where it rests)
    or in the SET_UP_S before it leaves, where someone must hold it but for a drop, in
    stretches of RELOOK_RUN_S or more, and RELOOK_MIN in all: a drop's few frames are not
    worth loading a model for."""
    if people > 1:
        return lacking
    with np.errstate(invalid="ignore"):
        in_air = bar_px[:, 1] < np.nanpercentile(bar_px[:, 1], 95) - torso / 2
    lifted_at = t_s[in_air]  # increasing, as the samples' times are
    set_up = np.searchsorted(lifted_at, t_s + SET_UP_S, "right") > np.searchsorted(lifted_at, t_s, "right")
    wanted = lacking & (in_air | set_up)
    wanted &= _in_runs_of(wanted, t_s, RELOOK_RUN_S)  # a drop is over in a moment
    return wanted if wanted.sum() >= RELOOK_MIN else np.zeros_like(wanted)


def _in_runs_of(mask: np.ndarray, t_s: np.ndarray, seconds: float) -> np.ndarray:
    """`mask` kept only in runs of consecutive True samples that last at least `seconds`."""
    out = np.zeros_like(mask)
    starts = np.flatnonzero(mask & ~np.r_[False, mask[:-1]])
    ends = np.flatnonzero(mask & ~np.r_[mask[1:], False])
    for a, b in zip(starts, ends):
        out[a : b + 1] = t_s[b] - t_s[a] >= seconds
    return out
