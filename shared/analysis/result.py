"""The engine's output for one clip: its lifts, per-frame series, phases and metrics.

`LiftResult.to_dict()` is result.json, the contract the job stores and `docs/engine.md`
documents field by field. SI units throughout; per-frame series hold None where a frame
was not measured. The pixel arrays after `outputs` stay in memory, for the annotated video
and for studies, and never reach result.json.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# result.json's fields, in the order it writes them
RESULT_JSON = (
    "engine_version",
    "exercise",
    "bar_mass_kg",
    "video",
    "timestamps_s",
    "scale",
    "bar",
    "keypoints",
    "angles",
    "body",
    "phases",
    "landmarks",
    "metrics",
    "faults",
    "lifts",
    "quality",
    "runtime",
)


@dataclass
class LiftResult:
    """One clip analysed. The top-level phases, landmarks, metrics and faults are the primary
    lift's (`quality.lifts.primary`); `lifts` holds every lift found, each with its own."""

    engine_version: str
    exercise: str
    bar_mass_kg: float
    video: dict  # the video as displayed: size, rotation, pixel aspect, fps, codec, picture box
    timestamps_s: list  # per frame, from the clip's start (corrected for slow motion)
    scale: dict  # px_per_m in display pixels, its source and uncertainty, perspective
    bar: dict  # per-frame bar series: x_m, height_m, vx/vy/speed (m/s), force_N, power_W, x_px, y_px
    keypoints: dict  # per-frame keypoints in metres: {name}_x_m, {name}_y_m
    angles: dict  # per-frame joint angles in degrees: {side}{joint}_angle
    body: dict  # per-frame body series: centre of mass, grf_N, hip/shoulder heights, torso and shin angles
    phases: list  # the primary lift's phases: name, start/end frame and time
    landmarks: dict  # the primary lift's moments: liftoff, peak_bar_speed, ... (frames)
    metrics: dict  # the primary lift's headline numbers (SI) and its outcome
    faults: list  # the primary lift's faults: code, phase, t_s, message
    lifts: list  # every lift found: frame range, outcome, phases, landmarks, metrics, faults
    quality: dict  # coverage, calibration, sources, unmeasured ranges, warnings for the person filming
    runtime: dict  # the devices, the pose model and the stage timings of this run
    outputs: dict = field(default_factory=dict)  # the annotated video and phase images written, by name
    lifter_px: np.ndarray | None = field(default=None, repr=False)  # (frames, 33, 3) the lifter's pose
    bar_px: np.ndarray | None = field(default=None, repr=False)  # (frames, 2) the plate's centre
    bar_raw: dict | None = field(default=None, repr=False)  # unsmoothed bar x/height (m)
    rim_radius_px: np.ndarray | None = field(default=None, repr=False)  # (frames,) the plate's radius
    files: dict = field(default_factory=dict)  # file name: the path written in `out_dir`

    def to_dict(self) -> dict:
        """result.json."""
        found = {name: getattr(self, name) for name in RESULT_JSON}
        return {**found, "outputs": self.outputs} if self.outputs else found
