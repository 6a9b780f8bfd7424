"""End to end on rendered lifts with exact ground truth: the issue's accuracy targets on a
subset of the benchmark clips that fits CI time (`make bench` runs all of them)."""

from __future__ import annotations

import numpy as np
import pytest

from shared.analysis import AnalysisOptions, analyze
from shared.analysis.kinematics import G_MPS2
from tests.synth.clips import BENCH_SET, clip
from tests.synth.evaluate import TARGETS, evaluate, truth_phases

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
def test_liftoff_is_the_first_frame_the_bar_leaves_the_floor_within_1_frame(scored):
    _, _, s = scored
    assert s["liftoff_err_frames"] <= TARGETS["liftoff_err_frames"]


@pytest.mark.slow
def test_ground_reaction_force_before_liftoff_is_body_weight(scored):
    """The lifter (80 kg) is still over a bar the floor holds: the median force under the feet
    before liftoff is within 10 % of body weight, and max_GRF falls in the pull."""
    _, result, _ = scored
    liftoff = result["landmarks"]["liftoff"]
    grf = [g for g in result["body"]["grf_N"][:liftoff] if g is not None]
    assert abs(float(np.median(grf)) / (80 * G_MPS2) - 1) <= 0.10
    assert (
        result["landmarks"]["liftoff"]
        <= frame_at(result, result["metrics"]["max_GRF_t_s"])
        <= result["landmarks"]["peak_bar_speed"]
    )


def frame_at(result: dict, t_s: float) -> int:
    return min(range(len(result["timestamps_s"])), key=lambda i: abs(result["timestamps_s"][i] - t_s))


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
    lifter, misses the angle target (docs/proofs.md, Accuracy); a regression guard at today's level,
    with the phase target it meets. The bar's track depends on the model too: the plate is first
    looked for at the pose's wrists, and where the first circle found differs the track through
    the blurred second pull can lag a pixel or two more; steadied on the hub, it meets the
    target."""
    _, _, s = score(name, pose_model="full")
    assert s["knee_rmse_deg"] <= 12.5  # 4.8-11.0 on these clips, 2026-11-29 (after the scan stopped cropping)
    assert s["hip_rmse_deg"] <= 10.0  # 5.3-8.7
    assert s["peak_speed_err_mps"] <= TARGETS["peak_speed_err_mps"]  # 0.003-0.007, 2026-12-06 (steadied)
    assert s["phases_within_2_frames_pct"] >= TARGETS["phases_within_2_frames_pct"]


@pytest.mark.slow
def test_a_clean_in_the_front_rack_reports_the_hip_it_cannot_see_as_unmeasured():
    """In the front rack the bar sits on the shoulders and the plate covers them (and the
    head). MediaPipe still places a shoulder there, and the hip read from it was 10-12° too
    bent through the catch and recovery, or the whole pose upside down; those frames are
    reported as not measured, and the hip that is printed holds the target."""
    spec, result, s = score("cj_720p30_left")
    side = result["quality"]["near_side"]
    hip = np.array([np.nan if v is None else v for v in result["angles"][f"{side}hip_angle"]], dtype=float)
    racked = [p for p in truth_phases(clip(spec)[1]).phases if p.name in ("catch", "recovery")]
    assert len(racked) == 2
    for p in racked:
        assert np.isnan(hip[p.start_frame : p.end_frame + 1]).all(), p.name
    assert s["hip_rmse_deg"] <= TARGETS["hip_rmse_deg"]
