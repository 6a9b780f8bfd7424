"""Rim: the plate's edges in one frame: its outer silhouette for the scale, its circle for the track.

Bumper plates carry rings: a lighter bevel just inside the rim, a raised lip, a coloured
band, a hub. The strongest edge round the plate is often one of those, not the plate's edge
against the background, and a ring 7 % inside the rim makes every height 7 % too high. A
plate turned from the image plane is an ellipse whose major axis keeps the plate's size and
whose minor / major ratio is the cosine of the turn. The tracker follows the plate's centre
(`bar`); `outer_rim` measures its size and turn where it stands still, and `known_circle`
finds its centre again as a circle of its known size where its rim is faint among limbs.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

RIM_MIN_RAYS = 18  # of 72: a quarter of the rim must show
RIM_MIN_OCTANTS = 5  # and on 5 of its 8 sides
RIM_ARC_OCTANTS = 3  # a rim sized on the best-seen ring's ellipse (`_arc_on`) shows on 3
RIM_MIN_EDGE = 6.0  # grey levels per pixel along a ray: a low-contrast rim, blurred, still shows
GRADIENT_BASE_PX = 1.5  # the radial gradient is taken over this many pixels
FINE_MIN_STEP = 8.0  # grey levels between neighbouring samples, for the fine gradient
RIM_WEAK_EDGE = 0.3  # an edge this fraction of its ray's strongest still counts (a dim outer rim)
RIM_MIN_ASPECT = 0.7  # a plate turned past 45 deg is not measured side-on
RIM_OUTER_SHARE = 0.5  # the rim is the outermost ring seen on this share of the best ring's rays
RIM_CONCENTRIC = 0.03  # of the radius: rings of one plate share its centre
RIM_HYPOTHESES = 120
RIM_INLIER = 0.012  # of the radius (0.7 px on a 60 px plate): an edge this near the ellipse is on it
RIM_LINK = 0.02  # neighbouring rays' edges within 2 % of the radius belong to one ring
RIM_LINK_SPAN = 4  # and so do edges up to 3 rays apart (rays that missed the edge)
RIM_RING_SUPPORT = 0.35  # a ring runs round this share of the rays that see edges
RAYS = np.linspace(0, 2 * np.pi, 72, endpoint=False)
OUTLINE_AGREES = 0.06  # of the radius: the silhouette's centre and the track's agree
# The bumper's outline re-fitted about its own centre (`settled_rim`) until it moves less than
# this, and then within this share of the found circle's radius of its centre.
RESEEDS, RESEED_STILL_PX, RESEEDED_AGREES = 3, 0.5, 0.25


@dataclass(frozen=True)
class RimFit:
    """The plate's outer silhouette in one frame: an ellipse, since a plate turned from the
    image plane is foreshortened across its turn. `radius_px` is the major semi-axis, which
    keeps the plate's true 0.225 m; `aspect` (minor / major) is the cosine of that turn."""

    x_px: float
    y_px: float
    radius_px: float
    score: float  # share of rays whose edge agrees with the fit
    aspect: float = 1.0
    axis_deg: float = 90.0  # the major axis's direction (image axes, degrees from +x toward +y)


def fit_ellipse(points: np.ndarray) -> tuple[float, float, float, float, float]:
    """Least-squares ellipse through points (n, 2), n >= 5: (cx, cy, a, b, angle_deg) with
    semi-axes a >= b, a along angle_deg (image axes, degrees from +x toward +y)."""
    (cx, cy), (d1, d2), angle = cv2.fitEllipseDirect(points.astype(np.float32))
    if d1 < d2:
        d1, d2, angle = d2, d1, angle + 90.0
    return float(cx), float(cy), d1 / 2, d2 / 2, float(angle)


def _ellipse_radius(points: np.ndarray, ellipse) -> np.ndarray:
    """Each point's normalised distance from the ellipse's centre: 1 on the ellipse, and the
    same for every point of a concentric, similar one (a ring inside the rim)."""
    cx, cy, a, b, angle = ellipse
    c, s = np.cos(np.radians(angle)), np.sin(np.radians(angle))
    dx, dy = points[..., 0] - cx, points[..., 1] - cy
    return np.hypot((c * dx + s * dy) / a, (-s * dx + c * dy) / b)


def edges_along_rays(
    gray: np.ndarray, cx: float, cy: float, r: float, fine: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Edge candidates on RAYS from (cx, cy) between 0.75 r and 1.25 r: (points (n_rays, k, 2),
    strengths (n_rays, k) in grey levels per pixel), with the k-th candidate of a ray NaN / 0
    where it has fewer. A candidate is a local maximum of the radial gradient, taken over about
    1.5 px whatever the plate's size (a blurred or small plate's rim changes little from one
    sample to the next), above RIM_MIN_EDGE and RIM_WEAK_EDGE of its ray's strongest, and
    located to a sub-sample by a parabola. `fine` takes the gradient between neighbouring
    samples, unsmoothed, above FINE_MIN_STEP grey levels: the steepest point of a sharp or
    blurred high-contrast rim, placed most exactly (what the tracker tries first)."""
    h, w = gray.shape
    radii = np.linspace(0.75 * r, 1.25 * r, 41)
    step = radii[1] - radii[0]
    k = 1 if fine else max(1, int(round(GRADIENT_BASE_PX / step)))
    xs = cx + np.outer(np.cos(RAYS), radii)
    ys = cy + np.outer(np.sin(RAYS), radii)
    inside = (xs >= 1) & (xs < w - 2) & (ys >= 1) & (ys < h - 2)
    profile = cv2.remap(gray, xs.astype(np.float32), ys.astype(np.float32), cv2.INTER_LINEAR).astype(np.float32)
    if not fine:
        profile = cv2.GaussianBlur(profile, (5, 1), 1.0)  # along each ray only: sensor noise makes false peaks
    grad = np.abs(profile[:, k:] - profile[:, :-k]) / (k * step)
    grad[~(inside[:, k:] & inside[:, :-k])] = 0
    peak = np.zeros_like(grad, bool)
    peak[:, 1:-1] = (grad[:, 1:-1] >= grad[:, :-2]) & (grad[:, 1:-1] > grad[:, 2:])
    ray_max = grad.max(axis=1, keepdims=True)
    least = FINE_MIN_STEP / step if fine else RIM_MIN_EDGE
    floor = max(least, 0.35 * float(np.median(ray_max[ray_max > 0]))) if (ray_max > 0).any() else least
    peak &= (grad >= floor) & (grad >= RIM_WEAK_EDGE * ray_max)
    n = max(int(peak.sum(axis=1).max()), 1)
    order = np.argsort(~peak, axis=1, kind="stable")[:, :n]  # each ray's candidates first, inner to outer
    rows = np.arange(len(RAYS))[:, None]
    valid = peak[rows, order]
    a = grad[rows, np.clip(order - 1, 0, None)]
    b = grad[rows, order]
    c = grad[rows, np.clip(order + 1, None, grad.shape[1] - 1)]
    denom = a - 2 * b + c
    offset = np.where(denom < 0, np.clip(0.5 * (a - c) / np.where(denom < 0, denom, -1), -0.5, 0.5), 0.0)
    edge_r = radii[0] + (order + k / 2 + offset) * step  # the difference of samples i and i+k sits at i + k/2
    pts = np.stack([cx + np.cos(RAYS)[:, None] * edge_r, cy + np.sin(RAYS)[:, None] * edge_r], axis=-1)
    pts[~valid] = np.nan
    return pts, np.where(valid, b, 0.0)


def _rings(edge_r: np.ndarray, r: float, rays_seeing: int) -> list:
    """The rings round the plate, outermost first: masks like edge_r ((n_rays, k) candidate
    radii, NaN where none). Candidates on neighbouring rays (and on rays a few apart, across
    a gap) at nearly the same radius are joined, and a ring is a joined set that
    RIM_RING_SUPPORT of the rays seeing edges take part in. Joining follows any smooth closed
    edge, whatever the centre's error or the plate's turn; clutter makes only short pieces."""
    n, k = edge_r.shape
    node = np.arange(n * k).reshape(n, k)
    rows, cols = [], []
    for step in range(1, RIM_LINK_SPAN + 1):
        nxt = np.roll(edge_r, -step, axis=0)
        close = np.abs(edge_r[:, :, None] - nxt[:, None, :]) <= RIM_LINK * r  # (n, k, k)
        i, a, b = np.nonzero(close)
        rows.append(node[i, a])
        cols.append(node[(i + step) % n, b])
    rows, cols = np.concatenate(rows), np.concatenate(cols)
    graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n * k, n * k))
    label = connected_components(graph, directed=False)[1].reshape(n, k)
    valid = np.isfinite(edge_r)
    rings = [valid & (label == lab) for lab in np.unique(label[valid])]
    rings = [m for m in rings if m.any(axis=1).sum() >= RIM_RING_SUPPORT * rays_seeing]
    return sorted(rings, key=lambda m: -float(np.median(edge_r[m])))


def _conics(points: np.ndarray) -> np.ndarray:
    """The conic A x^2 + B xy + C y^2 + D x + E y + F = 0 through each set of 5 points
    (h, 5, 2): (h, 6) coefficients, the null vector of each set's design matrix."""
    x, y = points[..., 0], points[..., 1]
    design = np.stack([x * x, x * y, y * y, x, y, np.ones_like(x)], axis=-1)  # (h, 5, 6)
    return np.linalg.svd(design)[2][:, -1, :]


def _conic_distance(conics: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Sampson distance (h, n) of points (n, 2) from each conic (h, 6): the conic's value over
    its gradient's length, a first-order distance in the points' units."""
    a, b, c, d, e, f = (conics[:, i : i + 1] for i in range(6))
    x, y = points[None, :, 0], points[None, :, 1]
    value = a * x * x + b * x * y + c * y * y + d * x + e * y + f
    grad = np.hypot(2 * a * x + b * y + d, b * x + 2 * c * y + e)
    return np.abs(value) / np.maximum(grad, 1e-12)


def _consensus_ellipse(pts: np.ndarray, r: float):
    """The ellipse that the most of pts (n, 2) lie on within RIM_INLIER of the radius, by
    sampling 5-point conics (a fixed seed: the same frame gives the same answer), refitted on
    its inliers; (ellipse, inlier mask) or (None, None). Limbs that touch a plate sit just outside
    its rim on one side, where a least-squares fit would lean towards them; the rim's own
    edges agree with each other on every other side."""
    if len(pts) < RIM_MIN_RAYS:
        return None, None
    centre = pts.mean(axis=0)
    unit = (pts - centre) / r  # conditioned: centred, radius about 1
    rng = np.random.default_rng(0)
    picks = np.argpartition(rng.random((RIM_HYPOTHESES, len(unit))), 5, axis=1)[:, :5]  # 5 distinct each
    conics = _conics(unit[picks])
    ellipse_like = conics[:, 1] ** 2 - 4 * conics[:, 0] * conics[:, 2] < 0
    if not ellipse_like.any():
        return None, None
    inliers = _conic_distance(conics[ellipse_like], unit) <= RIM_INLIER
    best = inliers[np.argmax(inliers.sum(axis=1))]
    for _ in range(2):  # refit on the inliers, then take the inliers of the refit
        if best.sum() < RIM_MIN_RAYS:
            return None, None
        ellipse = fit_ellipse(pts[best])
        if not (np.isfinite(ellipse[:4]).all() and ellipse[3] > 0):
            return None, None
        best = np.abs(_ellipse_radius(pts, ellipse) - 1) * ellipse[2] <= RIM_INLIER * r
    return ellipse, best


def _octants(points: np.ndarray, cx: float, cy: float) -> int:
    """On how many of the 8 sides round (cx, cy) points (n, 2) lie."""
    return len(np.unique((np.arctan2(points[:, 1] - cy, points[:, 0] - cx) // (np.pi / 4)).astype(int)))


def _fit_ring(pts: np.ndarray, ring: np.ndarray, r: float):
    """An ellipse through one ring's candidates (`_consensus_ellipse`), or None when they do not
    make one: the rim is an ellipse seen on most sides, which a chain of limb outlines round
    the plate is not."""
    ellipse, on = _consensus_ellipse(pts[ring], r)
    if ellipse is None:
        return None
    fx, fy, a, b, axis = ellipse
    kept = pts[ring][on]
    rays = len(np.unique(np.nonzero(ring)[0][on]))
    # An ellipse through a short arc has any size it likes: the rim must show on most sides.
    if rays < RIM_MIN_RAYS or _octants(kept, fx, fy) < RIM_MIN_OCTANTS or b / a < RIM_MIN_ASPECT:
        return None
    return RimFit(fx, fy, a, rays / len(RAYS), b / a, axis)


def outer_rim(gray: np.ndarray, cx: float, cy: float, r: float) -> RimFit | None:
    """Sub-pixel outer silhouette of the plate whose rim lies near radius r about (cx, cy).

    Bumper plates carry rings: a lighter bevel just inside the rim, a raised lip, a coloured
    band, a hub. The strongest edge on a ray is often one of those, not the plate's edge
    against the background, and a ring 7 % inside the rim makes every height 7 % too high.
    So every edge along each ray is a candidate, and the plate's edge is the outermost ring of
    candidates that runs round a good share of the rays (`_rings`), makes an ellipse
    (`_fit_ring`), shares the best-seen ring's centre and is seen on half as many rays; or,
    outside the best-seen ring, one that fails that but sizes its ellipse (`_arc_on`: a rim
    seen over part of the plate alone). Returns None when no ring makes an ellipse (the plate
    is out of frame or hidden)."""
    pts, _ = edges_along_rays(gray, cx, cy, r)
    seen = np.isfinite(pts[:, 0, 0])
    if seen.sum() < RIM_MIN_RAYS:
        return None
    rings = _rings(np.hypot(pts[..., 0] - cx, pts[..., 1] - cy), r, int(seen.sum()))  # outermost first
    fits = [_fit_ring(pts, ring, r) for ring in rings]
    if all(f is None for f in fits):
        return None
    # The best-seen ring is the rim or a ring of the plate; the plate's rings share its centre,
    # and limb outlines that line up into a partial ellipse round a crouched lifter do not.
    best = max((f for f in fits if f is not None), key=lambda f: f.score)
    for ring, fit in zip(rings, fits):  # the rings outside the best-seen one, outermost first
        if fit is best:
            break
        if (
            fit is not None
            and fit.score >= RIM_OUTER_SHARE * best.score
            and np.hypot(fit.x_px - best.x_px, fit.y_px - best.y_px) <= RIM_CONCENTRIC * best.radius_px
        ):
            return fit
        arc = _arc_on(pts[ring], np.nonzero(ring)[0], best)
        if arc is not None:
            return arc
    return best


def _arc_on(pts: np.ndarray, rays: np.ndarray, ring: RimFit) -> RimFit | None:
    """The rim as a ring of edge candidates pts (n, 2), on `rays`, outside the best-seen `ring` on the
    plate: its ellipse, scaled. A plate's rings are concentric circles on its face, so one
    turn shows them as similar ellipses on one centre, and the best-seen ring fixes all but the
    rim's size. Where a dark rim band meets a dark floor, shoes and shins, the rim shows only
    over the top, too short an arc to fit an ellipse of its own (`_fit_ring`) but plenty to
    size a known one. None unless RIM_MIN_RAYS rays on RIM_ARC_OCTANTS sides agree on one size
    outside the ring's."""
    shape = (ring.x_px, ring.y_px, ring.radius_px, ring.aspect * ring.radius_px, ring.axis_deg)
    size = _ellipse_radius(pts, shape)
    scale = float(np.median(size))
    for _ in range(2):  # the candidates on that size, then their own median size
        on = np.abs(size - scale) <= RIM_INLIER * scale
        if not on.any():
            return None
        scale = float(np.median(size[on]))
    seen = len(np.unique(rays[on]))
    if seen < RIM_MIN_RAYS or _octants(pts[on], ring.x_px, ring.y_px) < RIM_ARC_OCTANTS or scale <= 1 + RIM_LINK:
        return None
    return RimFit(ring.x_px, ring.y_px, scale * ring.radius_px, seen / len(RAYS), ring.aspect, ring.axis_deg)


def settled_rim(gray: np.ndarray, cx: float, cy: float, r: float) -> RimFit | None:
    """outer_rim about (cx, cy, r), fitted again about each fit's own centre and size until the
    centre moves less than RESEED_STILL_PX (at most RESEEDS times); None if it does not settle."""
    rim = outer_rim(gray, cx, cy, r)
    for _ in range(RESEEDS):
        if rim is None:
            return None
        again = outer_rim(gray, rim.x_px, rim.y_px, rim.radius_px)
        if again is not None and np.hypot(again.x_px - rim.x_px, again.y_px - rim.y_px) < RESEED_STILL_PX:
            return again
        rim = again
    return None


def outline_about(gray: np.ndarray, cx: float, cy: float, r: float) -> RimFit | None:
    """The plate's outer silhouette about a tracked centre, or None when it cannot be measured
    there or its centre is not the track's. A turned plate's rim is an ellipse, and a circle
    fitted to it where one side is faint (a red plate backlit against a dark box) sits off its
    centre: 5-8 px at 1080p, 25 deg turned. An outline further off than OUTLINE_AGREES, but
    within RESEEDED_AGREES, is taken where measuring it again about its own centre finds it
    again (as `settled_rim` does)."""
    rim = outer_rim(gray, cx, cy, r)
    if rim is None:
        return None
    off = np.hypot(rim.x_px - cx, rim.y_px - cy)
    if off > OUTLINE_AGREES * r:
        again = outer_rim(gray, rim.x_px, rim.y_px, rim.radius_px) if off < RESEEDED_AGREES * r else None
        if again is None or np.hypot(again.x_px - rim.x_px, again.y_px - rim.y_px) >= RESEED_STILL_PX:
            return None
        rim = again
    return rim


def _circles(points: np.ndarray):
    """The circle through each triple of points (h, 3, 2): centres (h, 2) and radii (h,); NaN
    where a triple is (nearly) on a line."""
    (ax, ay), (bx, by), (cx, cy) = (points[:, i].T for i in range(3))
    d = 2 * (ax * (by - cy) + bx * (cy - ay) + cx * (ay - by))
    with np.errstate(divide="ignore", invalid="ignore"):
        ux = ((ax**2 + ay**2) * (by - cy) + (bx**2 + by**2) * (cy - ay) + (cx**2 + cy**2) * (ay - by)) / d
        uy = ((ax**2 + ay**2) * (cx - bx) + (bx**2 + by**2) * (ax - cx) + (cx**2 + cy**2) * (bx - ax)) / d
    centres = np.stack([ux, uy], axis=1)
    return centres, np.hypot(ax - ux, ay - uy)


@dataclass(frozen=True)
class Squash:
    """A turned plate's ellipse shape (its aspect, minor / major, and its major axis's
    direction `axis_deg`) as a linear map of the image: `undo` stretches points across the
    minor axis, making the ellipse its plate's circle (radius: the major semi-axis), and `redo`
    maps a point of that picture back. A circle fitted to an ellipse's edges sits off its
    centre wherever one side of the rim is missing (faint against what is behind it)."""

    aspect: float
    axis_deg: float

    def _map(self, pts: np.ndarray | tuple, scale: float) -> np.ndarray:
        u = np.array([np.cos(np.radians(self.axis_deg)), np.sin(np.radians(self.axis_deg))])
        v = np.array([-u[1], u[0]])
        pts = np.asarray(pts, dtype=float)
        return pts + ((pts @ v) * (scale - 1))[..., None] * v

    def undo(self, pts: np.ndarray) -> np.ndarray:
        return self._map(pts, 1 / self.aspect)

    def redo(self, xy: np.ndarray | tuple) -> tuple:
        return tuple(float(v) for v in self._map(xy, self.aspect))


def known_circle(
    gray: np.ndarray, cx: float, cy: float, r_lo: float, r_hi: float, squash: Squash | None = None
) -> tuple[float, float, float, float] | None:
    """The plate's centre near (cx, cy), as the circle with a radius in [r_lo, r_hi] (its
    rings' sizes) that the most rays' edges lie on: (x, y, radius, score) or None. Knowing the
    size lets limb and clutter edges round a plain or blurred plate be outvoted: few of them
    lie on a circle that size. score is the share of rays with an edge on it. With `squash`,
    the circle is that turned plate's ellipse, its radius the major semi-axis."""
    pts, _ = edges_along_rays(gray, cx, cy, (r_lo + r_hi) / 2)
    fit = _known_circle_of(pts if squash is None else squash.undo(pts), r_lo, r_hi)
    return fit if fit is None or squash is None else (*squash.redo(fit[:2]), *fit[2:])


def _known_circle_of(pts: np.ndarray, r_lo: float, r_hi: float) -> tuple[float, float, float, float] | None:
    """`known_circle` on edge candidates `pts` (n_rays, k, 2) already found."""
    ray = np.broadcast_to(np.arange(len(RAYS))[:, None], pts.shape[:2])
    ok = np.isfinite(pts[..., 0])
    pts, ray = pts[ok], ray[ok]
    if len(np.unique(ray)) < RIM_MIN_RAYS:
        return None
    rng = np.random.default_rng(0)
    picks = np.argpartition(rng.random((RIM_HYPOTHESES, len(pts))), 3, axis=1)[:, :3]
    centres, radii = _circles(pts[picks])
    sized = np.isfinite(radii) & (radii > r_lo * (1 - RIM_LINK)) & (radii < r_hi * (1 + RIM_LINK))
    if not sized.any():
        return None
    centres, radii = centres[sized], radii[sized]
    tolerance = np.maximum(0.75, RIM_INLIER * radii)[:, None]
    inliers = np.abs(np.linalg.norm(pts[None] - centres[:, None], axis=2) - radii[:, None]) <= tolerance
    rays_on = np.array([len(np.unique(ray[m])) for m in inliers])
    best = inliers[np.argmax(rays_on)]
    for _ in range(2):  # refit on the inliers, then take the inliers of the refit
        if len(np.unique(ray[best])) < RIM_MIN_RAYS:
            return None
        fx, fy, fr = fit_circle(pts[best])
        best = np.abs(np.hypot(pts[:, 0] - fx, pts[:, 1] - fy) - fr) <= max(0.75, RIM_INLIER * fr)
    on = np.unique(ray[best])
    if len(on) < RIM_MIN_RAYS or not r_lo * (1 - RIM_LINK) < fr < r_hi * (1 + RIM_LINK):
        return None
    return fx, fy, fr, len(on) / len(RAYS)


def fit_circle(points: np.ndarray) -> tuple[float, float, float]:
    """Least-squares (Kasa) circle through points (n, 2): cx, cy, r."""
    x, y = points[:, 0], points[:, 1]
    (c0, c1, c2), *_ = np.linalg.lstsq(np.column_stack([x, y, np.ones_like(x)]), x**2 + y**2, rcond=None)
    cx, cy = c0 / 2, c1 / 2
    return float(cx), float(cy), float(np.sqrt(max(c2 + cx**2 + cy**2, 0.0)))
