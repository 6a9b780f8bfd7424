"""Pose: MediaPipe PoseLandmarker in VIDEO mode, on the offline bundles built by
`infra/models/build_pose_bundles.sh` from npm @mediapipe/pose.

Each frame gives up to `max_people` candidates as an array (people, 33, 3) of
(x px, y px, visibility); the lifter is chosen later (`lifter.py`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from shared.analysis.accel import Runtime

MODELS_DIR = Path(__file__).parent / "models"

# In VIDEO mode MediaPipe smooths each landmark with a causal One-Euro filter (min cutoff 0.05 Hz,
# beta 80) meant for live preview: it lags a fast joint, and a landmark that sat misplaced while
# still creeps back. The filter's only use of time is the gap between frames, so we hand it a
# clock 100 000x slower: at 30 fps frames are 55 min apart and the filter passes 99.9 % of each
# new value. Landmarks then come raw (tracking from frame to frame is unchanged), and
# `measure` smooths them zero-phase. Measured on the rendered lifts: knee and hip RMSE 0.6-0.7 deg
# lower on average with either model (docs/proofs.md, Accuracy). The filter keeps time in int64
# nanoseconds (9.2e18), which the slow clock reaches after ~25 h of clip: hence LONGEST_CLIP_S.
CLOCK_STRETCH = 100_000
LONGEST_CLIP_S = 86_400.0
# A tracking estimator holds on to whatever pose it last found while that pose's score stays over
# min_tracking_confidence. In a rendered clean's catch it found the lifter upside down (shoulders
# where the hips are) and tracked that for 30-40 frames, where a fresh one found him. No lift puts
# the shoulders below the hips, so such a pose starts the tracking afresh, at most once this often.
RESTART_EVERY_S = 0.1


def model_path(model: str) -> Path:
    return MODELS_DIR / f"pose_landmarker_{model}.task"


# MediaPipe BlazePose landmark indices, by our key names (DESIGN.md).
LANDMARKS = {
    "nose": 0,
    "lear": 7,
    "rear": 8,
    "lsho": 11,
    "rsho": 12,
    "lelb": 13,
    "relb": 14,
    "lwri": 15,
    "rwri": 16,
    "lhip": 23,
    "rhip": 24,
    "lkne": 25,
    "rkne": 26,
    "lank": 27,
    "rank": 28,
    "lhee": 29,
    "rhee": 30,
    "ltoe": 31,
    "rtoe": 32,
}


class PoseEstimator:
    """Pose for one clip. In VIDEO mode (the default) frames must come in time order and
    MediaPipe tracks one person from frame to frame, which is steadier than re-detecting;
    `video=False` detects every person in independent still images. `delegate` is "cpu" or
    "gpu" (MediaPipe's OpenGL ES delegate; creating it raises RuntimeError where it cannot run)."""

    def __init__(
        self,
        model: str = "full",
        max_people: int = 1,
        min_confidence: float = 0.3,
        video: bool = True,
        delegate: str = "cpu",
    ):
        import mediapipe as mp
        from mediapipe.tasks.python import BaseOptions, vision

        self._mp = mp
        path = model_path(model)
        options = vision.PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(path), delegate=BaseOptions.Delegate[delegate.upper()]),
            running_mode=vision.RunningMode.VIDEO if video else vision.RunningMode.IMAGE,
            num_poses=max_people,
            min_pose_detection_confidence=min_confidence,
            min_pose_presence_confidence=min_confidence,
            min_tracking_confidence=min_confidence,
        )
        self._new_graph = lambda: vision.PoseLandmarker.create_from_options(options)
        self._landmarker = self._new_graph()
        self._video = video
        self._last_ms = -1
        self._t0_s: float | None = None
        self._restarted_s = -float("inf")

    def __call__(self, rgb: np.ndarray, t_s: float = 0.0, offset_px=(0, 0)) -> np.ndarray:
        """Candidates in this frame; `offset_px` is added when `rgb` is a crop of the frame."""
        h, w = rgb.shape[:2]
        image = self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
        if self._video:
            self._t0_s = t_s if self._t0_s is None else self._t0_s  # from 0, so a negative start is no problem
            ms = max(int(round((t_s - self._t0_s) * 1000 * CLOCK_STRETCH)), self._last_ms + 1)  # strictly increasing
            self._last_ms = ms
            result = self._landmarker.detect_for_video(image, ms)
        else:
            result = self._landmarker.detect(image)
        people = np.full((len(result.pose_landmarks), 33, 3), np.nan, np.float32)
        for i, person in enumerate(result.pose_landmarks):
            people[i] = [(p.x * w + offset_px[0], p.y * h + offset_px[1], p.visibility) for p in person]
        if self._video and len(people) and upside_down(people).all() and t_s - self._restarted_s >= RESTART_EVERY_S:
            self._restart(t_s)
        return people

    def _restart(self, t_s: float) -> None:
        """Let go of the person tracked: the next frame is detected afresh, in a new graph."""
        self._landmarker.close()
        self._landmarker = self._new_graph()
        self._restarted_s = t_s

    def close(self) -> None:
        self._landmarker.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def upside_down(people: np.ndarray) -> np.ndarray:
    """Per candidate (people, 33, 3): the shoulders' midpoint below the hips' (image y grows
    downwards)."""
    shoulders = people[:, [LANDMARKS["lsho"], LANDMARKS["rsho"]], 1].mean(axis=1)
    hips = people[:, [LANDMARKS["lhip"], LANDMARKS["rhip"]], 1].mean(axis=1)
    return shoulders > hips


def open_pose(runtime: Runtime, *args: object, **kwargs: object) -> PoseEstimator:
    """A PoseEstimator on `runtime.pose_delegate`. When the GPU delegate cannot be created the
    runtime falls back to CPU, so the run's later estimators do not try again."""
    if runtime.pose_delegate == "gpu":
        try:
            return PoseEstimator(*args, delegate="gpu", **kwargs)
        except RuntimeError as exc:  # MediaPipe's message ends with the cause, after a long node name
            runtime.fall_back("pose_delegate", f"MediaPipe GPU delegate unavailable: {str(exc).rsplit(': ', 1)[-1]}")
    return PoseEstimator(*args, **kwargs)
