"""Metrics: Vorobyev bar-path types and rule-based faults on constructed arrays."""

from __future__ import annotations

import numpy as np

from shared.analysis.metrics import bar_path_type, find_faults, lift_metrics
from shared.analysis.phases import Phase, PhaseResult

FPS = 60
N = 120
T = np.arange(N) / FPS
# Landmark frames of the hand-made lift.
LIFTOFF, KNEE_PEAK, REBEND, VMAX, APEX, LOWEST, STANDING = 20, 40, 50, 60, 70, 80, 110


def phase_result(lowest: int = LOWEST, standing: int = STANDING) -> PhaseResult:
    bounds = [
        ("setup", 0, LIFTOFF),
        ("first_pull", LIFTOFF, KNEE_PEAK),
        ("transition", KNEE_PEAK, REBEND),
        ("second_pull", REBEND, VMAX),
        ("turnover", VMAX, APEX),
        ("catch", APEX, lowest),
        ("recovery", lowest, standing),
    ]
    phases = [Phase(name, a, b, float(T[a]), float(T[b])) for name, a, b in bounds]
    marks = {
        "liftoff": LIFTOFF,
        "first_knee_extension": KNEE_PEAK,
        "knee_rebend": REBEND,
        "peak_bar_speed": VMAX,
        "peak_bar_height": APEX,
        "lowest_catch": lowest,
        "standing": standing,
    }
    return PhaseResult("complete", phases, marks)


def good_angles() -> dict:
    """Straight arms throughout; knees and hips reach 175 deg at the end of the second pull."""
    ext = 120 + 55 * np.clip((np.arange(N) - REBEND) / (VMAX - REBEND), 0, 1)
    return {"elb": np.full(N, 175.0), "kne": ext.copy(), "hip": ext.copy()}


def good_bar() -> dict:
    """Bar back 3 cm toward the lifter in the first pull, then 2 cm forward of its start line."""
    i = np.arange(N)
    x = np.interp(i, [0, LIFTOFF, REBEND, APEX, LOWEST, N - 1], [0, 0, -0.03, 0.02, 0.01, 0.01])
    return {"x_m": x}


def codes(faults):
    return [f["code"] for f in faults]


# --- bar path types ---------------------------------------------------------------------------


def test_bar_crossing_start_line_forward_by_more_than_1cm_is_type_a():
    x = np.array([0.0, -0.02, -0.04, -0.02, 0.0, 0.02, 0.03, 0.01])
    assert bar_path_type(x, 0, len(x) - 1) == "A"


def test_bar_coming_back_to_touch_the_start_line_is_type_b():
    x = np.array([0.0, -0.02, -0.04, -0.02, 0.005, 0.0, -0.01])
    assert bar_path_type(x, 0, len(x) - 1) == "B"


def test_bar_stopping_just_short_of_the_start_line_within_tolerance_is_type_b():
    x = np.array([0.0, -0.03, -0.05, -0.02, -0.008, -0.02])
    assert bar_path_type(x, 0, len(x) - 1) == "B"


def test_bar_staying_behind_the_start_line_is_type_c():
    x = np.array([0.0, -0.02, -0.05, -0.04, -0.03, -0.04])
    assert bar_path_type(x, 0, len(x) - 1) == "C"


def test_bar_path_type_only_looks_between_start_and_stop():
    x = np.array([0.0, -0.02, -0.05, -0.04, -0.03, 0.10, 0.10])
    assert bar_path_type(x, 0, 4) == "C"
    assert bar_path_type(x, 0, 6) == "A"


def test_bar_path_type_ignores_forward_motion_before_the_furthest_back_point():
    x = np.array([0.0, 0.05, -0.02, -0.05, -0.04, -0.03])
    assert bar_path_type(x, 0, len(x) - 1) == "C"


def test_bar_path_type_is_none_for_fewer_than_three_frames():
    assert bar_path_type(np.array([0.0, -0.02, 0.03]), 0, 1) is None


# --- faults -----------------------------------------------------------------------------------


def test_clean_lift_with_good_numbers_has_no_faults():
    assert find_faults(T, good_bar(), good_angles(), phase_result()) == []


def test_no_lift_has_no_faults():
    none = PhaseResult("no_lift", [Phase("setup", 0, N - 1)], {})
    assert find_faults(T, good_bar(), good_angles(), none) == []


def test_elbow_bending_in_the_first_pull_is_early_arm_bend_at_the_first_bent_frame():
    angles = good_angles()
    angles["elb"][30:45] = 140.0
    faults = find_faults(T, good_bar(), angles, phase_result())
    assert codes(faults) == ["early_arm_bend"]
    f = faults[0]
    assert (f["frame"], f["t_s"], f["phase"]) == (30, round(30 / FPS, 3), "first_pull")
    assert "140°" in f["message"]


def test_elbow_at_exactly_150_is_not_early_arm_bend():
    angles = good_angles()
    angles["elb"][30:45] = 150.0
    assert find_faults(T, good_bar(), angles, phase_result()) == []


def test_an_elbow_dip_shorter_than_a_tenth_of_a_second_is_not_early_arm_bend():
    angles = good_angles()
    angles["elb"][30:34] = 120.0  # 4 frames at 60 fps: a flicker of the estimate
    assert find_faults(T, good_bar(), angles, phase_result()) == []


def test_elbow_bending_after_the_rebend_is_not_early_arm_bend():
    angles = good_angles()
    angles["elb"][REBEND + 1 :] = 100.0  # arms pull under after the second pull has begun
    assert "early_arm_bend" not in codes(find_faults(T, good_bar(), angles, phase_result()))


def test_knee_short_of_165_in_the_second_pull_is_incomplete_extension():
    angles = good_angles()
    angles["kne"] = np.minimum(angles["kne"], 160.0)
    faults = find_faults(T, good_bar(), angles, phase_result())
    assert codes(faults) == ["incomplete_extension"]
    assert faults[0]["frame"] == VMAX  # where the hips reach their highest (175 from VMAX on)
    assert "160°" in faults[0]["message"]


def test_hip_short_of_165_in_the_second_pull_is_incomplete_extension_at_the_hip_peak():
    angles = good_angles()
    hip = np.full(N, 140.0)
    hip[55] = 162.0
    angles["hip"] = hip
    faults = find_faults(T, good_bar(), angles, phase_result())
    assert codes(faults) == ["incomplete_extension"]
    assert (faults[0]["frame"], faults[0]["phase"]) == (55, "second_pull")
    assert "162°" in faults[0]["message"]


def test_bar_swinging_more_than_8cm_forward_after_peak_speed_is_bar_loops_away():
    bar = good_bar()
    bar["x_m"][VMAX : LOWEST + 1] = np.interp(np.arange(VMAX, LOWEST + 1), [VMAX, 66, LOWEST], [0.0, 0.10, 0.04])
    faults = find_faults(T, bar, good_angles(), phase_result())
    assert codes(faults) == ["bar_loops_away"]
    assert (faults[0]["frame"], faults[0]["phase"]) == (66, "turnover")
    assert "10 cm" in faults[0]["message"]


def test_bar_7cm_forward_is_not_bar_loops_away():
    bar = good_bar()
    bar["x_m"][66] = 0.07
    assert find_faults(T, bar, good_angles(), phase_result()) == []


def test_bar_forward_before_peak_speed_is_not_bar_loops_away():
    bar = good_bar()
    bar["x_m"][REBEND:VMAX] = 0.12  # hip contact pushes the bar out, before the peak speed
    assert "bar_loops_away" not in codes(find_faults(T, bar, good_angles(), phase_result()))


def test_more_than_half_a_second_from_peak_speed_to_catch_is_slow_turnover_at_the_catch():
    lowest = VMAX + 36  # 0.6 s at 60 fps
    faults = find_faults(T, good_bar(), good_angles(), phase_result(lowest=lowest, standing=N - 1))
    assert codes(faults) == ["slow_turnover"]
    assert (faults[0]["frame"], faults[0]["t_s"]) == (lowest, round(lowest / FPS, 3))
    assert faults[0]["message"].startswith("0.60 s")


def test_turnover_under_half_a_second_is_not_slow():
    lowest = VMAX + 29  # 0.483 s
    assert find_faults(T, good_bar(), good_angles(), phase_result(lowest=lowest, standing=N - 1)) == []


def test_faults_without_a_catch_skip_the_catch_rules():
    result = phase_result()
    del result.landmarks["lowest_catch"]
    bar = good_bar()
    bar["x_m"][VMAX:] = 0.2
    assert find_faults(T, bar, good_angles(), result) == []


def test_several_faults_are_reported_together_in_rule_order():
    angles = good_angles()
    angles["elb"][25:] = 120.0
    angles["kne"] = np.minimum(angles["kne"], 150.0)
    bar = good_bar()
    bar["x_m"][65] = 0.15
    faults = find_faults(T, bar, angles, phase_result(lowest=VMAX + 40, standing=N - 1))
    assert codes(faults) == ["early_arm_bend", "incomplete_extension", "bar_loops_away", "slow_turnover"]
    assert [f["frame"] for f in faults] == [25, VMAX, 65, VMAX + 40]


# --- ground reaction force peaks ----------------------------------------------------------------


def test_max_grf_is_the_pulls_peak_and_the_landing_is_max_grf_catch():
    """The landing under the bar (frame 75) hits harder than the drive (frame 55): max_GRF is
    the drive, from liftoff to peak bar speed, and the landing is its own metric."""
    from shared.analysis.metrics import lift_metrics

    grf = np.full(N, 1800.0)
    grf[55], grf[75] = 3200.0, 4900.0
    grf[5] = 6000.0  # before liftoff: not part of the lift
    bar = {
        "speed_mps": np.linspace(0, 1, N),
        "vy_mps": np.linspace(0, 1, N),
        "power_W": np.ones(N),
        "height_m": np.full(N, 1.0),
        "x_m": np.zeros(N),
    }
    m = lift_metrics(T, bar, {"grf_N": grf}, phase_result(), 1.75)
    assert (m["max_GRF"], m["max_GRF_t_s"]) == (3200.0, round(T[55], 3))
    assert (m["max_GRF_catch"], m["max_GRF_catch_t_s"]) == (4900.0, round(T[75], 3))


def test_speed_and_power_peaks_are_read_only_where_the_bar_was_measured():
    """Across a gap the series are filled; a peak there is the fill's, not the bar's. A spike
    or two dropped (a gap of PEAK_BRIDGE_S at most) is bridged."""
    from shared.analysis.metrics import measured_peaks

    t = np.arange(8) / 30
    assert measured_peaks(t, np.array([1, 1, 0, 0, 1, 1, 1, 1], bool)).all()  # 0.1 s from frame 1 to 4
    measured = np.array([1, 1, 0, 0, 0, 1, 1, 1], bool)  # 0.133 s from frame 1 to 5
    assert measured_peaks(t, measured).tolist() == [1, 1, 0, 0, 0, 1, 1, 1]
    assert measured_peaks(t, np.array([0, 1, 1, 1, 1, 1, 1, 0], bool)).tolist() == [0, 1, 1, 1, 1, 1, 1, 0]
    speed = np.array([0.5, 1.0, 3.4, 3.5, 3.4, 1.6, 1.2, 0.4])  # a fill across the gap overshoots
    bar = {"speed_mps": speed, "vy_mps": speed, "power_W": 1000 * speed, "x_m": np.zeros(8), "height_m": speed}
    body = {"grf_N": np.full(8, 800.0)}
    phases = PhaseResult("no_lift", [Phase("setup", 0, 7, 0.0, float(t[-1]))], {})
    free = lift_metrics(t, bar, body, phases, 1.75)
    gated = lift_metrics(t, bar, body, phases, 1.75, measured)
    assert free["max_bar_speed"] == 3.5 and gated["max_bar_speed"] == 1.6
    assert gated["max_power"] == 1600.0
