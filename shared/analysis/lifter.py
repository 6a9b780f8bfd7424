"""Lifter selection: link per-frame pose candidates into tracks, then pick the person
holding the bar.

A lifter stays where the platform is and has the bar in the hands; someone walking past
travels across the frame and has no bar. With a tracked plate, the track whose wrists stay
nearest it wins; without one, the most stationary, best-covered track does.
"""
from __future__ import annotations

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

    Each candidate joins the track whose last centre is nearest, within one torso length."""
    n = len(candidates)
    tracks: list = []
    last: list = []
    for i, people in enumerate(candidates):
        taken = set()
        for person in people:
            c, reach = _centre(person), max(_torso_px(person), 1.0)
            dists = [np.linalg.norm(c - lc) if k not in taken else np.inf for k, lc in enumerate(last)]
            k = int(np.argmin(dists)) if dists else -1
            if k < 0 or dists[k] > reach:
                tracks.append(np.full((n, 33, 3), np.nan, np.float32))
                last.append(c)
                k = len(tracks) - 1
            tracks[k][i] = person
            last[k] = c
            taken.add(k)
    return np.stack(tracks) if tracks else np.full((0, n, 33, 3), np.nan, np.float32)


def choose_lifter(tracks: np.ndarray, bar_px: np.ndarray | None = None) -> int | None:
    """Index of the lifter's track, or None when nobody is in view long enough."""
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
                gap = np.min(np.linalg.norm(wrists - bar_px[both][:, None, :], axis=-1), axis=1)
                score /= 1.0 + np.median(gap) / torso
        if score > best_score:
            best, best_score = k, score
    return best
