"""Pose: MediaPipe PoseLandmarker in VIDEO mode, on the offline bundles built by
`infra/models/build_pose_bundles.sh` from npm @mediapipe/pose.

Each frame gives up to `max_people` candidates as an array (people, 33, 3) of
(x px, y px, visibility); the lifter is chosen later (`lifter.py`).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

MODELS_DIR = Path(__file__).parent / "models"

# MediaPipe BlazePose landmark indices, by our key names (DESIGN.md).
LANDMARKS = {
    "nose": 0, "lear": 7, "rear": 8,
    "lsho": 11, "rsho": 12, "lelb": 13, "relb": 14, "lwri": 15, "rwri": 16,
    "lhip": 23, "rhip": 24, "lkne": 25, "rkne": 26, "lank": 27, "rank": 28,
    "lhee": 29, "rhee": 30, "ltoe": 31, "rtoe": 32,
}


class PoseEstimator:
    """Streaming pose for one clip; frames must come in time order."""

    def __init__(self, model: str = "full", max_people: int = 2, min_confidence: float = 0.3):
        import mediapipe as mp
        from mediapipe.tasks.python import BaseOptions, vision

        self._mp = mp
        path = MODELS_DIR / f"pose_landmarker_{model}.task"
        options = vision.PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(path)),
            running_mode=vision.RunningMode.VIDEO, num_poses=max_people,
            min_pose_detection_confidence=min_confidence, min_pose_presence_confidence=min_confidence,
            min_tracking_confidence=min_confidence)
        self._landmarker = vision.PoseLandmarker.create_from_options(options)
        self._last_ms = -1

    def __call__(self, rgb: np.ndarray, t_s: float) -> np.ndarray:
        h, w = rgb.shape[:2]
        ms = max(int(round(t_s * 1000)), self._last_ms + 1)  # strictly increasing, as VIDEO mode needs
        self._last_ms = ms
        image = self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=rgb)
        result = self._landmarker.detect_for_video(image, ms)
        people = np.full((len(result.pose_landmarks), 33, 3), np.nan, np.float32)
        for i, person in enumerate(result.pose_landmarks):
            people[i] = [(p.x * w, p.y * h, p.visibility) for p in person]
        return people

    def close(self) -> None:
        self._landmarker.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
