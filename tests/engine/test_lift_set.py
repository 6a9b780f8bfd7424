"""End to end on a rendered set: 4 s in the start position, then two snatches, the bar
dropped after each, with exact ground truth for each."""

from __future__ import annotations

import numpy as np
import pytest

from shared.analysis import AnalysisOptions, analyze

SPEC_ARGS = dict(
    exercise="snatch", fps=30, width=960, height=540, facing="right", lifts=2, rest_s=3.0, lead_s=4.0, seed=31
)


@pytest.fixture(scope="module")
def lift_set():
    from tests.synth.clips import clip
    from tests.synth.render import ClipSpec

    path, truth = clip(ClipSpec("set_of_two_snatches", **SPEC_ARGS))
    result = analyze(path, AnalysisOptions(exercise="snatch", body_mass_kg=80, render=False)).to_dict()
    return result, truth


def _true_lifts(truth) -> list:
    """Each lift's (liftoff frame, peak speed, peak height) from the exact track: the bar
    leaves its rest level, and both peaks come before it first comes down (the drop under
    the bar after the turnover)."""
    h, v = np.asarray(truth.bar_height_m), np.asarray(truth.bar_vy_mps)
    off = h > h[0] + 0.001
    out = []
    for liftoff in np.flatnonzero(off[1:] & ~off[:-1]) + 1:
        down = liftoff + int(np.flatnonzero(v[liftoff:] < -0.05)[0])
        out.append((liftoff, float(np.max(truth.bar_speed_mps[liftoff:down])), float(np.max(h[liftoff:down]))))
    return out


@pytest.mark.slow
def test_both_lifts_of_a_set_are_found_and_measured(lift_set):
    result, truth = lift_set
    lifts = result["lifts"]
    expected = _true_lifts(truth)
    assert len(expected) == 2
    assert [lift["outcome"] for lift in lifts] == ["complete", "complete"]
    assert result["quality"]["lifts"] == {"found": 2, "primary": 0, "primary_is": "the first made lift"}
    for lift, (liftoff, speed, height) in zip(lifts, expected):
        assert abs(lift["landmarks"]["liftoff"] - liftoff) <= 1
        assert lift["start_frame"] == lift["landmarks"]["liftoff"]
        assert lift["metrics"]["max_bar_speed"] == pytest.approx(speed, abs=0.1)
        assert lift["metrics"]["peak_bar_height"] == pytest.approx(height, abs=0.03)
    assert lifts[0]["end_frame"] < lifts[1]["start_frame"]
    # the top level is the primary lift's
    assert result["phases"] == lifts[0]["phases"]
    assert result["metrics"] == lifts[0]["metrics"]


@pytest.mark.slow
def test_the_set_up_is_posed_a_few_times_a_second_and_the_lifts_on_every_frame(lift_set):
    result, truth = lift_set
    t = np.asarray(result["timestamps_s"])
    side = result["quality"]["near_side"]
    knee = np.asarray([np.nan if v is None else v for v in result["angles"][f"{side}kne_angle"]])
    assert result["runtime"]["posed_share"] < 0.9  # the 4 s lead is looked at 5 times a second
    setup = t < 3.0
    # The set-up's angles are there between the looks too, except where the hip could only be
    # guessed (pose's tracker settling on the clip's first looks), and those frames are reported.
    reported = np.zeros(len(t), dtype=bool)
    for span in result["quality"]["unmeasured_angles"].get(f"{side}kne_angle", []):
        reported[span["start_frame"] : span["end_frame"] + 1] = True
    assert (np.isfinite(knee) | reported).all()
    assert np.isfinite(knee[t >= 3.0]).all()  # the lifts' frames are measured
    measured = setup & np.isfinite(knee)
    # The crouched set-up behind the plate is the known gap (docs/known-gaps.md): renders of this
    # spec read its measured set-up knee 4-9° low. The bound catches a set-up read as someone
    # else, not that gap.
    assert measured.sum() >= 10
    assert abs(np.median(knee[measured]) - np.median(np.asarray(truth.angles["knee"])[measured])) < 16.0
