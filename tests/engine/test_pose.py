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
