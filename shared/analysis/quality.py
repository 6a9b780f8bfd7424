"""Quality: how far the numbers can be trusted, and what the person filming can fix."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from shared.analysis.pose import LANDMARKS

if TYPE_CHECKING:
    from shared.analysis.measure import Measured
    from shared.analysis.phases import PhaseResult
    from shared.analysis.pipeline import AnalysisOptions
    from shared.analysis.video import VideoInfo

SIDE_ON_MAX_SHOULDER_SPREAD = 0.35  # shoulder spread / torso length; side-on is near 0
DARK_LUMA = 50.0
TURNED_WARN_DEG = 20.0  # the bar's horizontal travel then reads 6 % short (1 - cos 20 deg)
UNCERTAIN_SCALE_PCT = 3.0
HEIGHT_DISAGREES = 0.05  # the plate's scale against the given height


def _warn(code, message):
    return {"code": code, "message": message}


def filmed_side_on(lifter_px: np.ndarray) -> bool:
    """Side-on, the lifter's shoulders overlap: their spread is small against the torso's
    length. From the front or back it is about the torso's length."""
    person = lifter_px[np.isfinite(lifter_px[:, LANDMARKS["lhip"], 0])]
    if not len(person):
        return True
    sho = np.abs(person[:, LANDMARKS["lsho"], 0] - person[:, LANDMARKS["rsho"], 0])
    torso = np.linalg.norm(person[:, LANDMARKS["lsho"], :2] - person[:, LANDMARKS["lhip"], :2], axis=1)
    return not np.nanmedian(sho / np.maximum(torso, 1)) > SIDE_ON_MAX_SHOULDER_SPREAD


def pose_coverage(lifter_px: np.ndarray) -> float:
    """The share of frames in which the lifter's pose was found."""
    return float(np.isfinite(lifter_px[:, LANDMARKS["lhip"], 0]).mean()) if len(lifter_px) else 0.0


def sources(series: Measured, options: AnalysisOptions) -> dict:
    """Where each quantity the numbers hang on came from: the scale ("plate": engine 2.0
    refuses a clip without one; sessions of earlier engines may say "lifter_height"), the
    lifter's height and body mass ("given" on the command line, "profile" from the user's
    profile, "video" estimated from the clip, or "default")."""
    given = options.measurements_source
    return {
        "scale": series.scale["source"],
        "lifter_height": given
        if options.lifter_height_m
        else ("video" if np.isfinite(series.lifter_height_m) else "unmeasured"),
        "body_mass": given if options.body_mass_kg else "default",
    }


def assess(
    info: VideoInfo,
    t: np.ndarray,
    lifter_px: np.ndarray,
    bar_px: np.ndarray,
    series: Measured,
    luma: list,
    phases: PhaseResult,
    decode_warnings: list,
    options: AnalysisOptions,
    pose_found: float | None = None,
) -> dict:
    """The clip's quality block. `pose_found` is the share of the frames pose ran on in which
    it found the lifter (pose runs on a few frames a second away from the lifts,
    `focus.pose_frames`); by default, the share of all frames."""
    present = np.isfinite(lifter_px[:, LANDMARKS["lhip"], 0])
    pose_found = pose_coverage(lifter_px) if pose_found is None else pose_found
    warnings = [_warn("input", w) for w in decode_warnings]
    if series.scale.get("outline_measured") is False:
        warnings.append(
            _warn(
                "plate_outline_not_measured",
                "The plate's outer edge could not be measured "
                "against the background, so the scale comes from its strongest edge, which may be a "
                "ring inside the rim; film with the plate clear of clutter behind it.",
            )
        )
    if series.bar_coverage < 0.9:
        warnings.append(_warn("bar_lost", f"The bar was tracked in {100 * series.bar_coverage:.0f}% of frames."))
    if pose_found < 0.8:
        warnings.append(
            _warn(
                "pose_gaps",
                f"The lifter's pose was found in {100 * pose_found:.0f}% of frames; "
                "angles in the gaps are interpolated.",
            )
        )
    person = lifter_px[present]
    if len(person):
        if not filmed_side_on(lifter_px):
            warnings.append(
                _warn(
                    "not_side_on",
                    "The lifter is not filmed side-on; film from the side, level "
                    "with the bar, for accurate bar path and angles.",
                )
            )
        key = [LANDMARKS[k] for k in ("nose", "lank", "rank", "lwri", "rwri")]
        xy = person[:, key, :2]
        outside = (xy[..., 0] < 0) | (xy[..., 0] > info.out_width) | (xy[..., 1] < 0) | (xy[..., 1] > info.out_height)
        if outside.any(axis=1).mean() > 0.05 or (present.any() and not present[-len(present) // 10 :].any()):
            warnings.append(
                _warn(
                    "lifter_leaves_frame",
                    "The lifter (or the bar overhead) leaves the frame; "
                    "step the camera back so the whole lift stays in view.",
                )
            )
    if luma and float(np.median(luma)) < DARK_LUMA:
        warnings.append(_warn("too_dark", "The video is too dark; film in better light."))
    if info.long_side_px > 1920:
        warnings.append(
            _warn(
                "downscaled",
                f"The {info.width}x{info.height} video was analysed at "
                f"{info.out_width}x{info.out_height}; 1080p is plenty for lift analysis.",
            )
        )
    # The lifter's size at the plate's scale allows a range of heights, from a long lens far
    # away (no perspective) to a phone's main camera near; a given height outside it by over 5 %
    # says the plates are not 450 mm bumpers or the profile is wrong.
    seen = sorted((series.lifter_height_seen_flat_m, series.lifter_height_seen_m))
    given = options.lifter_height_m
    if (
        given
        and np.isfinite(seen).all()
        and not seen[0] * (1 - HEIGHT_DISAGREES) <= given <= seen[1] * (1 + HEIGHT_DISAGREES)
    ):
        warnings.append(
            _warn(
                "height_disagrees",
                f"The plate's scale puts the lifter at {seen[0]:.2f}-{seen[1]:.2f} "
                f"m tall, not the {given:.2f} m given; check that the plates are 450 mm bumpers and "
                "the height is right.",
            )
        )
    yaw = series.scale["camera_yaw_deg"]
    if yaw is not None and yaw > TURNED_WARN_DEG:
        warnings.append(
            _warn(
                "camera_turned",
                f"The camera is turned about {yaw:.0f}° from side-on, so the bar's "
                "forward and back movement reads short; film square to the plate.",
            )
        )
    if series.scale["uncertainty_pct"] > UNCERTAIN_SCALE_PCT:
        warnings.append(
            _warn(
                "scale_uncertain",
                f"The scale is uncertain by about "
                f"{series.scale['uncertainty_pct']:.0f}%, and every distance, speed and "
                "power with it.",
            )
        )
    if phases.outcome == "no_lift":
        warnings.append(_warn("no_lift", "No lift was found: the bar never left the floor."))
    if phases.outcome == "missed":
        warnings.append(_warn("missed_lift", "The lift was missed: the bar came back down before a catch."))
    dt = np.diff(t)
    return {
        "pose_coverage": round(pose_found, 3),
        "bar_coverage": round(series.bar_coverage, 3),
        "calibration": series.scale["source"],
        "calibration_uncertainty_pct": series.scale["uncertainty_pct"],
        "camera_yaw_deg": series.scale["camera_yaw_deg"],
        "perspective_pct_per_m": series.scale.get("perspective_pct_per_m", 0.0),
        "sources": sources(series, options),
        "lifter_height_seen_m": round(series.lifter_height_seen_m, 3)
        if np.isfinite(series.lifter_height_seen_m)
        else None,
        "near_side": series.near_side,
        "unmeasured_angles": unmeasured(series.angles, series.body),
        "facing": series.facing,
        "lifter_height_m": round(series.lifter_height_m, 3) if np.isfinite(series.lifter_height_m) else None,
        "fps": round(float(1 / np.median(dt)), 2) if len(dt) and np.median(dt) > 0 else None,
        "variable_frame_rate": bool(len(dt) > 2 and np.std(dt) / np.mean(dt) > 0.05),
        "warnings": warnings,
    }


def unmeasured(angles: dict, body: dict) -> dict:
    """Frame ranges ({start_frame, end_frame}, inclusive; objects, since Firestore, which keeps
    `quality` in the session document, holds no array in an array) where each angle series could not be measured
    (NaN: read from a joint that was hidden and could only be guessed, or no lifter seen),
    for the series with any such frame."""
    out = {}
    for name, values in {**angles, **{k: body[k] for k in ("torso_angle", "shin_angle") if k in body}}.items():
        missing = ~np.isfinite(np.asarray(values, dtype=float))
        if missing.any():
            edges = np.flatnonzero(np.diff(np.r_[0, missing.astype(int), 0]))
            out[name] = [{"start_frame": int(a), "end_frame": int(b) - 1} for a, b in zip(edges[::2], edges[1::2])]
    return out
