"""End to end on rendered lifts with exact ground truth: the issue's accuracy targets on a
subset of the benchmark clips that fits CI time (`make bench` runs all of them)."""
from __future__ import annotations

import pytest

from shared.analysis import AnalysisOptions, analyze
from tests.synth.clips import BENCH_SET, clip
from tests.synth.evaluate import TARGETS, evaluate

SUBSET = ["snatch_720p30_right", "cj_720p30_left", "snatch_portrait_rotated"]


def score(name: str, **options):
    """(spec, result.json, scores) of the engine on one bench clip."""
    spec = next(s for s in BENCH_SET if s.name == name)
    path, truth = clip(spec)
    result = analyze(path, AnalysisOptions(exercise=spec.exercise, body_mass_kg=80, render=False, **options))
    return spec, result.to_dict(), evaluate(result.to_dict(), truth)


@pytest.fixture(scope="module", params=SUBSET)
def scored(request):
    return score(request.param)


@pytest.mark.slow
def test_peak_bar_speed_is_within_target(scored):
    _, _, s = scored
    assert s["peak_speed_err_mps"] <= TARGETS["peak_speed_err_mps"]


@pytest.mark.slow
def test_bar_height_series_and_peak_are_within_2_cm(scored):
    _, _, s = scored
    assert s["height_rmse_m"] <= TARGETS["height_rmse_m"]
    assert s["peak_height_err_m"] <= TARGETS["peak_height_err_m"]


@pytest.mark.slow
def test_scale_from_the_plate_is_within_3_percent(scored):
    _, result, s = scored
    assert result["scale"]["source"] == "plate"
    assert s["scale_err_pct"] <= TARGETS["scale_err_pct"]


@pytest.mark.slow
def test_phase_boundaries_land_within_2_frames(scored):
    _, _, s = scored
    assert s["phases_within_2_frames_pct"] >= TARGETS["phases_within_2_frames_pct"], s["phase_frame_errors"]


@pytest.mark.slow
def test_knee_and_hip_angles_are_within_6_degrees_rmse(scored):
    _, result, s = scored
    assert result["runtime"]["pose_model"] == "heavy"  # what the default ("auto") runs on a clear clip
    assert s["knee_rmse_deg"] <= TARGETS["knee_rmse_deg"]
    assert s["hip_rmse_deg"] <= TARGETS["hip_rmse_deg"]


@pytest.mark.slow
@pytest.mark.parametrize("name", SUBSET)
def test_the_full_pose_model_holds_what_it_reaches_today(name):
    """Full, a third of heavy's pose time and what "auto" falls back to where heavy loses the
    lifter, misses the angle target (README, Accuracy); a regression guard at today's level,
    with the peak bar speed and phase targets it meets."""
    _, _, s = score(name, pose_model="full")
    assert s["knee_rmse_deg"] <= 12.5  # 4.8-11.0 on these clips, 2026-11-29 (after the scan stopped cropping)
    assert s["hip_rmse_deg"] <= 10.0  # 5.3-8.7
    assert s["peak_speed_err_mps"] <= TARGETS["peak_speed_err_mps"]
    assert s["phases_within_2_frames_pct"] >= TARGETS["phases_within_2_frames_pct"]
