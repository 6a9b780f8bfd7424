"""Bar: find the bumper plate near the wrists (`find_plate`); `tracker.PlateTracker` then
follows it frame by frame.

HoughCircles finds the plate in the first place; its rim, the strongest edge along rays from
the centre fitted by a circle, gives a sub-pixel centre (`refine_on_rim`), and `rim.outer_rim`
its outer silhouette. The tracker never waits for pose: pose only says where to look for the
plate before liftoff."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import cv2
import numpy as np

from shared.analysis.pose import LANDMARKS
from shared.analysis.rim import (
    RAYS,
    RESEEDED_AGREES,
    RIM_MIN_RAYS,
    RimFit,
    Squash,
    edges_along_rays,
    fit_circle,
    known_circle,
    outline_about,
    settled_rim,
)

PLATE_DIAMETER_M = 0.450  # IWF bumper plates
CHANGE_PLATE_REACH, BIGGER_DISC = 1.45, 1.15  # change plates are 0.6-0.8 of a bumper across
INNER_PLATE = (0.75, 0.97)  # the sizes, as shares of a rim fit with no silhouette, a plate inside it may be
SEARCH_TRIES = 3  # circles found tried, nearest first
# HoughCircles' accumulator thresholds, strict first; the rim fit then checks the circle found
HOUGH_VOTES = (30, 20, 14)
LOCAL_CONTRAST = cv2.createCLAHE(clipLimit=3.0, tileGridSize=(8, 8))  # a faint plate's rim brought up


@dataclass
class PlateObservation:
    x_px: float
    y_px: float
    radius_px: float
    score: float  # 0..1, how well the rim fitted
    # This frame's outer silhouette (`rim.outer_rim`): its major semi-axis and minor / major
    # ratio, NaN where it was not measured (the plate moving, or placed by the template)
    rim_radius_px: float = float("nan")
    aspect: float = float("nan")
    faint: bool = False  # found only with local contrast brought up (LOCAL_CONTRAST): tracked with it stretched
    hub: tuple = (float("nan"),) * 4  # `Hub.seen` this frame, for `hub.steadied`
    axis_deg: float = float("nan")  # the silhouette's major axis (`rim.RimFit.axis_deg`), where measured
    rim_score: float = float("nan")  # the share of rays the silhouette was seen on, where measured
    # False for a circle at the hands found only with fewer votes whose silhouette did not show
    # (`find_plate(loose=True)`): tracked once it holds still, kept once the track shows the
    # plate's silhouette (`passes.BarPass`)
    confirmed: bool = True
    by_template: bool = False  # placed by the template's match alone (no rim fit, no hub)

    @property
    def without_rim(self) -> bool:
        """Placed by the template alone or by the hub (`Hub.place`), not by a rim fit."""
        return self.by_template or self.hub[3] == 1


def bar_gray(image: np.ndarray) -> np.ndarray:
    """An RGB frame in grey; a grey one as it is."""
    return image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)


def refine_on_rim(gray: np.ndarray, cx: float, cy: float, r: float, squash: Squash | None = None) -> tuple | None:
    """Sub-pixel plate circle from the strongest edge along each ray near radius r.

    Returns (cx, cy, r, score), where score is the fraction of rays that agree with the fit,
    or None when too few rays see an edge (plate out of frame or hidden). With `squash` (a
    turned plate's ellipse, `rim.Squash`) the circle is fitted to the edges stretched back
    into the plate's circle: r is then the ellipse's major semi-axis."""
    for fine in (True, False):  # the fine gradient first; the wide one for a faint or small rim
        pts, strength = edges_along_rays(gray, cx, cy, r, fine=fine)
        fit = _strongest_edge_circle(pts if squash is None else squash.undo(pts), strength)
        if fit is not None:
            return fit if squash is None else (*squash.redo(fit[:2]), *fit[2:])
    return None


def _circles_at_hands(small: np.ndarray, lo: float, hi: float, votes: int, wrists: np.ndarray, feet_y: float) -> list:
    """HoughCircles' circles (x, y, r in full-size pixels) of radius lo..hi on the half-size
    image `small` within reach of the wrists, nearest first, tie-broken by resting on the floor."""
    circles = cv2.HoughCircles(
        small,
        cv2.HOUGH_GRADIENT,
        dp=1,
        minDist=lo / 2,
        param1=100,
        param2=votes,
        minRadius=max(int(lo / 2), 4),
        maxRadius=max(int(hi / 2), 5),
    )
    if circles is None:
        return []
    scored = []
    for x, y, r in circles[0] * 2:
        near_hands = np.min(np.hypot(wrists[:, 0] - x, wrists[:, 1] - y)) / r
        if near_hands <= 1.2:
            on_floor = abs(y + r - feet_y) / r if np.isfinite(feet_y) else 0.0
            scored.append((near_hands + 0.5 * min(on_floor, 2.0), (float(x), float(y), float(r))))
    return [circle for _, circle in sorted(scored)]


def _strongest_edge_circle(pts: np.ndarray, strength: np.ndarray):
    """A circle through each ray's strongest edge, dropping twice the rays far off it (they
    caught the body or clutter instead of the rim); None when too few remain."""
    good = strength[:, 0] > 0
    if good.sum() < RIM_MIN_RAYS:
        return None
    pts = pts[np.arange(len(pts)), np.argmax(strength, axis=1)][good]
    for _ in range(2):  # drop rays that caught the body or clutter instead of the rim
        fx, fy, fr = fit_circle(pts)
        resid = np.abs(np.hypot(pts[:, 0] - fx, pts[:, 1] - fy) - fr)
        keep = resid < max(1.5, 2.5 * np.median(resid))
        if keep.sum() < RIM_MIN_RAYS:
            return None
        pts = pts[keep]
    fx, fy, fr = fit_circle(pts)
    return fx, fy, fr, len(pts) / len(RAYS)


def find_plate(rgb: np.ndarray, person: np.ndarray, loose: bool = False) -> PlateObservation | None:
    """The plate in this person's hands, from HoughCircles on a half-size image.

    `person` is one pose (33, 3) in pixels. A bumper plate is 0.45 m across, about 0.9 of
    the hip-to-shoulder length, so only radii near that are searched; among the circles
    the one nearest the wrists wins, with the plate resting on the floor by the feet as a
    tie-breaker (before liftoff it does). With `loose`, a circle found only with fewer votes
    whose silhouette does not show is returned too, unconfirmed, where nothing better is."""
    hips = np.nanmean(person[[LANDMARKS["lhip"], LANDMARKS["rhip"]], :2], axis=0)
    shoulders = np.nanmean(person[[LANDMARKS["lsho"], LANDMARKS["rsho"]], :2], axis=0)
    torso = float(np.linalg.norm(hips - shoulders))
    wrists = person[[LANDMARKS["lwri"], LANDMARKS["rwri"]], :2]
    wrists = wrists[np.isfinite(wrists).all(axis=1)]
    if not np.isfinite(torso) or torso < 10 or not len(wrists):
        return None
    feet_y = np.nanmax(person[[LANDMARKS[k] for k in ("lank", "rank", "lhee", "rhee", "ltoe", "rtoe")], 1])
    gray = bar_gray(rgb)
    found = _plate_near(gray, torso, wrists, feet_y, loose)
    if found is None or not np.isfinite(found.rim_radius_px):
        # Backlit, or a plate the colour of the wall behind it: its rim is too faint for the
        # circle search, or shows no silhouette (a circle through the plate and the shins round
        # it can still fit a rim: 13 % large on a backlit red plate at 4K). Local contrast
        # brought up, it shows; a circle there that shows its silhouette is taken first.
        faint = _plate_near(LOCAL_CONTRAST.apply(gray), torso, wrists, feet_y, loose)
        if faint is not None and (
            found is None or np.isfinite(faint.rim_radius_px) or faint.confirmed > found.confirmed
        ):
            found = dataclasses.replace(faint, faint=True)
    return found


def _plate_near(
    gray: np.ndarray, torso: float, wrists: np.ndarray, feet_y: float, loose: bool = False
) -> PlateObservation | None:
    """`find_plate` on one grey image."""
    small = cv2.GaussianBlur(cv2.resize(gray, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA), (5, 5), 1.2)
    lo, hi = 0.25 * torso, 0.8 * torso
    # The nearest circle whose rim fits and whose outer silhouette shares its centre: a circle
    # through the plate and a shin or a box behind it fits a rim, but no silhouette. A small
    # plate (360p: ~40 px across) has few edge pixels to vote, so fewer votes are tried next;
    # a circle found only with fewer votes must show the silhouette (a head, a wheel or a
    # curve of clutter near the hands can fit a rim), or is returned unconfirmed (`loose`).
    first, unconfirmed, tried = None, None, set()
    for votes in HOUGH_VOTES:
        strict = votes == HOUGH_VOTES[0]
        for circle in _circles_at_hands(small, lo, hi, votes, wrists, feet_y)[: 1 if strict else SEARCH_TRIES]:
            if circle in tried:
                continue
            tried.add(circle)
            seen = _plate_at(gray, circle)
            if seen is not None and np.isfinite(seen.rim_radius_px):
                return seen
            if strict:
                first = first or seen
            elif loose and seen is not None:
                unconfirmed = unconfirmed or dataclasses.replace(seen, confirmed=False)
    return first or unconfirmed


def _plate_at(gray: np.ndarray, circle: tuple) -> PlateObservation | None:
    """The plate whose rim is fitted about a found `circle` (x, y, r), or None."""
    fit = refine_on_rim(gray, *circle)
    if not fit:
        return None
    # A change plate on the sleeve is a smaller disc on the bumper's face, and may be the circle
    # found: the scale is the bumper's, the largest disc sharing that centre. Where the strongest
    # edges mix rings of both (a pale steel rim, a groove, a green change plate at 360p: a circle
    # 5 px off centre), rays cast from there miss the rim; cast again from the outline's own
    # centre, they settle on it.
    bigger = settled_rim(gray, fit[0], fit[1], CHANGE_PLATE_REACH * fit[2])
    if (
        bigger is not None
        and bigger.radius_px > BIGGER_DISC * fit[2]
        and np.hypot(bigger.x_px - fit[0], bigger.y_px - fit[1]) < RESEEDED_AGREES * fit[2]
    ):
        fit = refine_on_rim(gray, bigger.x_px, bigger.y_px, bigger.radius_px) or fit
    seen = outline_about(gray, fit[0], fit[1], fit[2])
    if seen is None:
        # Where something the plate's colour carries its edge on (red shorts behind a red plate),
        # the strongest edges run past it: the circle of INNER_PLATE of that size that the most
        # rays' edges lie on is the plate if its own silhouette shows, and is that small too (a
        # ring inside a plate whose rim is washed out shows the rim's silhouette, the fit's size).
        inner = known_circle(gray, fit[0], fit[1], INNER_PLATE[0] * fit[2], INNER_PLATE[1] * fit[2])
        inside = None if inner is None else outline_about(gray, *inner[:3])
        if inside is not None and inside.radius_px < INNER_PLATE[1] * fit[2]:
            fit, seen = inner, inside
    return PlateObservation(*fit[:4], **silhouette(seen))


def silhouette(rim: RimFit | None) -> dict:
    """PlateObservation's silhouette fields from an outline (`outline_about`); none (NaN) without one."""
    if rim is None:
        return {}
    return {"rim_radius_px": rim.radius_px, "aspect": rim.aspect, "axis_deg": rim.axis_deg, "rim_score": rim.score}
