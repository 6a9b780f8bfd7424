"""PoseEstimator in VIDEO mode: landmarks follow the image at once, with no live-preview lag."""

from __future__ import annotations

import av
import numpy as np
import pytest

from shared.analysis import pose
from shared.analysis.pose import LANDMARKS, PoseEstimator

BODY = [LANDMARKS[k] for k in ("lsho", "rsho", "lhip", "rhip", "lkne", "rkne", "lank", "rank")]
SHIFT_PX = 6


def _first_frame_response(still: np.ndarray, t0: float = 0.0) -> float:
    """The lifter jumps SHIFT_PX to the right and back every 6 frames; returns how much of each
    jump the body landmarks make on the jump's own frame (1.0: all of it)."""
    moved = np.zeros_like(still)
    moved[:, SHIFT_PX:] = still[:, :-SHIFT_PX]
    with PoseEstimator("full") as estimate:
        xs = np.array([estimate(moved if (i // 6) % 2 else still, t0 + i / 30)[0, BODY, 0] for i in range(72)])
    jumps = range(12, 72, 6)  # the first two jumps are the tracker's warm-up
    return float(np.mean([(xs[i] - xs[i - 1]) * (1 if (i // 6) % 2 else -1) for i in jumps]) / SHIFT_PX)


@pytest.fixture(scope="module")
def standing(rendered):
    path, _ = rendered("lanes_snatch_small", exercise="snatch", fps=30, width=640, height=360, seed=12)
    with av.open(str(path)) as container:
        *_, last = container.decode(video=0)  # the lifter stands still with the bar overhead
        return last.to_ndarray(format="rgb24")


@pytest.mark.parametrize("t0", [0.0, -0.1, 2.0])
def test_landmarks_make_a_jump_on_its_own_frame_whatever_the_first_timestamp(standing, t0):
    # MediaPipe's One-Euro filter on a real clock makes about half of it (0.48-0.61 measured).
    assert _first_frame_response(standing, t0) > 0.85


def test_on_a_real_clock_the_live_preview_filter_lags_which_is_what_the_slow_clock_removes(standing, monkeypatch):
    monkeypatch.setattr(pose, "CLOCK_STRETCH", 1)
    assert _first_frame_response(standing) < 0.75


class _Landmarker:
    """A stand-in for MediaPipe's landmarker: one person, upright or upside down."""

    made: list = []

    def __init__(self):
        self.upside_down, self.closed = True, False
        _Landmarker.made.append(self)

    def _result(self):
        from types import SimpleNamespace

        down = (
            {LANDMARKS[k] for k in ("lsho", "rsho")} if self.upside_down else {LANDMARKS[k] for k in ("lhip", "rhip")}
        )
        person = [SimpleNamespace(x=0.5, y=0.8 if i in down else 0.5, visibility=0.9) for i in range(33)]
        return SimpleNamespace(pose_landmarks=[person])

    def detect_for_video(self, image, ms):
        return self._result()

    def detect(self, image):
        return self._result()

    def close(self):
        self.closed = True


@pytest.mark.parametrize("video", [True, False])
def test_a_tracker_holding_a_pose_upside_down_starts_afresh(monkeypatch, video):
    """No lift puts the shoulders below the hips: a tracking estimator that holds such a pose
    gets a new graph, so the next frame is detected afresh; at most every RESTART_EVERY_S."""
    from mediapipe.tasks.python import vision

    estimator = PoseEstimator("lite", video=video)
    estimator._landmarker.close()
    _Landmarker.made = []
    monkeypatch.setattr(vision.PoseLandmarker, "create_from_options", lambda options: _Landmarker())
    estimator._landmarker = _Landmarker()
    frame = np.zeros((64, 64, 3), np.uint8)
    people = estimator(frame, 0.0)
    assert pose.upside_down(people).tolist() == [True]  # handed on as found: later stages drop it
    estimator(frame, pose.RESTART_EVERY_S / 2)  # too soon for another
    estimator(frame, pose.RESTART_EVERY_S * 1.5)
    made = _Landmarker.made
    assert [m.closed for m in made] == ([True, True, False] if video else [False])  # stills track nothing
    made[-1].upside_down = False
    estimator(frame, pose.RESTART_EVERY_S * 3)
    assert len(_Landmarker.made) == len(made)  # an upright pose is tracked on
