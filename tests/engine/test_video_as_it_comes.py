"""End to end on a rendered clip made as converted video is: pictures repeated on a cadence
(24 in a 60 fps file), with exact ground truth per frame (each frame shows the bar where its
picture was taken).

Where a test checks the clock, the picture or the bar and not the body, it poses with
MediaPipe's full model (CLOCK_AND_BAR), as the cloud tests' jobs do: a third of heavy's pose
time, and the bar, the clock and the timeline are read without the pose's angles. The tests
that score phases or angles (the bystander, the perspective's every target) run the default."""

from __future__ import annotations

import pytest

from shared.analysis import AnalysisOptions, analyze
from tests.synth.evaluate import TARGETS, evaluate, failures

CLOCK_AND_BAR = {"pose_model": "full"}


@pytest.fixture(scope="module")
def pulldown(request):
    """A snatch taken at 24 pictures a second, shown in a 60 fps file on 3, 2, 3, 2 frames."""
    from tests.synth.clips import clip
    from tests.synth.render import ClipSpec

    path, truth = clip(ClipSpec("pulldown_24_in_60", "snatch", 60, 960, 540, "right", content_fps=24, seed=21))
    options = AnalysisOptions(exercise="snatch", body_mass_kg=80, render=False, **CLOCK_AND_BAR)
    result = analyze(path, options).to_dict()
    return result, truth, evaluate(result, truth)


@pytest.mark.slow
def test_repeated_pictures_are_found_and_the_bar_is_tracked_through_them(pulldown):
    result, truth, s = pulldown
    line = result["quality"]["timeline"]
    assert line["content_fps"] == pytest.approx(24, abs=0.5)
    assert line["repeated_frames_pct"] == pytest.approx(60, abs=5)
    assert "repeated_frames" in {w["code"] for w in result["quality"]["warnings"]}
    assert len(result["timestamps_s"]) == len(truth.timestamps_s)
    assert result["timestamps_s"] == pytest.approx(truth.timestamps_s, abs=1e-3)
    assert result["quality"]["bar_coverage"] == 1.0
    # each picture is measured once: every frame that repeats it carries its value
    shown = truth.bar_px
    repeats = [i for i in range(1, len(shown)) if shown[i] == shown[i - 1] and truth.bar_speed_mps[i] > 0.3]
    assert repeats and all(result["bar"]["speed_mps"][i] == result["bar"]["speed_mps"][i - 1] for i in repeats)
    assert s["height_rmse_m"] <= TARGETS["height_rmse_m"]
    assert s["peak_height_err_m"] <= TARGETS["peak_height_err_m"]
    assert s["liftoff_err_frames"] <= TARGETS["liftoff_err_frames"]
    # each picture on the camera's cadence (timeline.on_cadence), not at its first frame's
    # time: speeds hold the rendered clips' target
    assert s["peak_speed_err_mps"] <= TARGETS["peak_speed_err_mps"]


@pytest.mark.slow
def test_after_a_scene_cut_only_the_shot_with_the_bar_is_analysed(tmp_path):
    """The bundled sample, then a cut to a second of another scene (a plain wall)."""
    import av
    import numpy as np

    from tests.engine.test_cli import SAMPLE

    path = tmp_path / "cut.mp4"
    with av.open(str(SAMPLE)) as src, av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 1280, 720, "yuv420p"
        stream.options = {"threads": "1"}  # the same clip on every machine (tests/synth/render.py)
        frames = [f.to_ndarray(format="rgb24") for f in src.decode(video=0)]
        wall = np.full_like(frames[0], (200, 190, 170))
        for img in frames + [wall] * 30:
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    result = analyze(path, AnalysisOptions(exercise="snatch", render=False, **CLOCK_AND_BAR)).to_dict()
    n = len(frames)
    assert result["quality"]["timeline"]["scene_cuts"] == [n]
    assert result["quality"]["timeline"]["shot_frames"] == [0, n - 1]
    assert "scene_cut" in {w["code"] for w in result["quality"]["warnings"]}
    assert len(result["timestamps_s"]) == n + 30
    assert all(v is None for v in result["bar"]["height_m"][n:])
    assert sum(v is not None for v in result["bar"]["height_m"][:n]) >= 0.9 * n
    assert all(p["end_frame"] < n for p in result["phases"]) and result["phases"][-1]["name"] == "recovery"


def _run(spec, **options):
    from tests.synth.clips import clip

    path, truth = clip(spec)
    result = analyze(path, AnalysisOptions(exercise=spec.exercise, body_mass_kg=80, render=False, **options)).to_dict()
    return result, truth, evaluate(result, truth)


@pytest.mark.slow
@pytest.mark.parametrize("tagged", [True, False], ids=["capture_rate", "dropped_bar"])
def test_slow_motion_is_put_back_on_the_lifts_own_clock(tagged):
    """A snatch filmed 4 times slower than it happened (120 pictures a second in a 30 fps
    file), then dropped: the capture rate in the container, or else the drop's fall at g,
    gives the factor; every time and speed comes out on the lift's own clock."""
    from tests.synth.render import ClipSpec

    spec = ClipSpec(
        "slow4_" + ("tagged" if tagged else "dropped"), "snatch", 30, 960, 540, "right",
        slow_motion=4.0, capture_fps_tag=tagged, lead_s=0.5, seed=51 if tagged else 52,
    )  # fmt: skip
    result, truth, s = _run(spec, **CLOCK_AND_BAR)
    clock = result["quality"]["timeline"]["clock"]
    assert clock["slow_motion_source"] == ("capture_rate" if tagged else "free_fall")
    assert clock["slow_motion"] == pytest.approx(4.0, rel=0.01 if tagged else 0.03)
    assert "slow_motion" in {w["code"] for w in result["quality"]["warnings"]}
    assert result["timestamps_s"] == pytest.approx(truth.timestamps_s, abs=0.03)
    assert [lift["outcome"] for lift in result["lifts"]] == ["complete"]
    # Speeds on the lift's clock: a clock 5 % off would read ~0.09 m/s off at the peak.
    assert s["peak_speed_err_mps"] <= TARGETS["peak_speed_err_mps"]
    assert s["peak_height_err_m"] <= TARGETS["peak_height_err_m"]
    assert s["liftoff_err_frames"] <= TARGETS["liftoff_err_frames"] * 4  # 4 frames a picture's time


@pytest.mark.slow
@pytest.mark.parametrize(
    "lost",
    [dict(fps=25, drop_every=6, seed=53), dict(fps=30, drop_share=0.1, seed=54)],
    ids=["every_6th_in_25fps", "at_random"],
)
def test_lost_pictures_are_found_and_their_time_put_back(lost):
    """30 fps footage that lost every sixth picture in a 25 fps stream (wall time kept), or a
    tenth of its pictures at random with the rest stamped as if none were lost (time runs
    short): peak speed on the corrected clock."""
    from tests.synth.render import ClipSpec

    spec = ClipSpec("lost_" + "_".join(map(str, lost.values())), "snatch", width=960, height=540, **lost)
    result, truth, s = _run(spec, **CLOCK_AND_BAR)
    clock = result["quality"]["timeline"]["clock"]
    assert clock["lost_pictures"] >= 2
    assert clock["lost_cadence"] == (5 if "drop_every" in lost else None)
    assert "lost_frames" in {w["code"] for w in result["quality"]["warnings"]}
    assert s["peak_speed_err_mps"] <= TARGETS["peak_speed_err_mps"]
    assert s["peak_height_err_m"] <= TARGETS["peak_height_err_m"]


@pytest.mark.slow
@pytest.mark.parametrize("pose", ["seated", "standing"])
def test_the_lifter_is_chosen_over_a_bystander_behind_the_platform(pose):
    """A person behind the platform, a little behind the lifter and fully in view, easier for
    pose to see than the lifter in his catch: the lifter is the one measured."""
    import numpy as np

    from tests.synth.render import ClipSpec

    spec = ClipSpec("bystander_" + pose, "snatch", 30, 960, 540, "right", bystander=pose, seed=55)
    result, truth, s = _run(spec)
    near = result["quality"]["near_side"]
    hip = np.array([np.nan if v is None else v for v in result["keypoints"][f"{near}hipv"]])
    on_lifter = np.abs(hip - np.asarray(truth.hip_height_m)) < 0.1
    assert on_lifter.mean() >= 0.9
    assert s["phases_within_2_frames_pct"] >= TARGETS["phases_within_2_frames_pct"]
    assert s["peak_speed_err_mps"] <= TARGETS["peak_speed_err_mps"]


@pytest.mark.slow
def test_a_hand_held_camera_following_the_bar_is_taken_out():
    """The view tilts up to follow the bar, the room moving 20 px down the picture as the bar
    rises, and sways 7 px: heights and speeds are measured against the room, and the bar's
    pixels stay where it shows in each frame."""
    import numpy as np

    from tests.synth.render import ClipSpec

    result, truth, s = _run(
        ClipSpec("follow20", "snatch", 30, 1280, 720, "right", camera_follow_px=20, seed=57), **CLOCK_AND_BAR
    )
    assert result["quality"]["timeline"]["camera_moved_px"] == pytest.approx([6.7, 20.0], abs=0.5)
    assert "camera_moved" in {w["code"] for w in result["quality"]["warnings"]}
    for key in ("height_rmse_m", "peak_height_err_m", "peak_speed_err_mps", "liftoff_err_frames"):
        assert s[key] <= TARGETS[key], key
    # the bar's pixels are the frame's, where it shows (display = analysis pixels at 720p), not the room's
    drawn = np.array([result["bar"]["x_px"], result["bar"]["y_px"]], float).T
    miss = np.linalg.norm(drawn - np.asarray(truth.bar_px), axis=1)
    assert np.nanmedian(miss) < 1.0 and np.nanpercentile(miss, 95) < 3.0


@pytest.mark.slow
def test_a_camera_low_and_tilted_up_is_measured_at_the_plates_size_at_each_height():
    """Everything 2 m up looks 10 % smaller than at the floor. The plate stands still in the
    set-up and in the rack, so its size at both heights gives the scale along the path: one
    scale would read the rack about 5 cm low."""
    from tests.synth.render import ClipSpec

    spec = ClipSpec("persp_clean30", "clean", 30, 1280, 720, "left", perspective_pct=10, lead_s=1.0, seed=61)
    result, truth, s = _run(spec, **CLOCK_AND_BAR)
    assert result["scale"]["perspective_pct_per_m"] == pytest.approx(-5.0, abs=1.5)
    assert any("for every metre it rises" in w["message"] for w in result["quality"]["warnings"])
    for key in ("peak_height_err_m", "liftoff_err_frames"):
        assert s[key] <= TARGETS[key], key
    # At the fastest frame the blurred rim, beside the lifter's dark shorts, is fitted 5 px off
    # (0.081 m/s before the track was steadied on the hub, 0.018 after).
    assert s["peak_speed_err_mps"] <= TARGETS["peak_speed_err_mps"]


@pytest.mark.slow
def test_under_a_perspective_the_scale_reported_is_the_floors():
    """A phone tilted about 15 deg up: the plate 15 % smaller 2 m up. `scale.px_per_m` is the
    floor's, which `perspective_pct_per_m` counts from; the median over every still frame (the
    snatch held overhead, and the set-up) was 1.6 % off it, the scale of no height in particular."""
    from tests.synth.render import ClipSpec

    spec = ClipSpec("persp_snatch30", "snatch", 30, 1280, 720, "right", perspective_pct=15, seed=62)
    result, truth, s = _run(spec)
    assert result["scale"]["perspective_pct_per_m"] == pytest.approx(-7.5, abs=1.5)
    assert s["scale_err_pct"] < 0.5
    assert not failures(s)


@pytest.mark.slow
def test_a_letterboxed_clip_reads_as_the_picture_inside_its_bars(tmp_path):
    """The bundled sample in a taller frame with black bars above and below (a 16:9 clip
    shown in a 4:3 frame): its picture is found, and the lift reads as it does unframed."""
    import av
    import numpy as np

    from tests.engine.test_cli import SAMPLE

    path = tmp_path / "letterbox.mp4"
    with av.open(str(SAMPLE)) as src, av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 1280, 960, "yuv420p"
        stream.options = {"threads": "1"}
        for f in src.decode(video=0):
            framed = np.pad(f.to_ndarray(format="rgb24"), ((120, 120), (0, 0), (0, 0)))
            for packet in stream.encode(av.VideoFrame.from_ndarray(framed, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    options = AnalysisOptions(exercise="snatch", body_mass_kg=80, render=False, **CLOCK_AND_BAR)
    framed, plain = analyze(path, options).to_dict(), analyze(SAMPLE, options).to_dict()
    assert framed["video"]["picture_box"] == pytest.approx([0, 120, 1280, 840], abs=2)
    assert plain["video"]["picture_box"] == [0, 0, 1280, 720]
    assert "too_dark" not in {w["code"] for w in framed["quality"]["warnings"]}
    for key in ("max_bar_speed", "peak_bar_height"):
        assert framed["metrics"][key] == pytest.approx(plain["metrics"][key], abs=0.02), key


@pytest.mark.slow
def test_loose_plates_on_the_floor_and_on_a_rack_are_not_taken_for_the_bar():
    """Bumpers as big as the bar's stand in view, one on the floor in front of the bar and one
    racked behind the lifter: the bar's own plate is tracked and measured."""
    import numpy as np

    from tests.synth.render import ClipSpec

    spec = ClipSpec("loose_plates", "clean", 30, 1280, 720, "right", distractor_plates=True, seed=62)
    result, truth, s = _run(spec, **CLOCK_AND_BAR)
    tracked = np.array([result["bar"]["x_px"], result["bar"]["y_px"]], float).T
    on_bar = np.linalg.norm(tracked - np.asarray(truth.bar_px), axis=1) < 10
    assert on_bar[np.isfinite(tracked[:, 0])].all() and result["quality"]["bar_coverage"] >= 0.95
    for key in ("scale_err_pct", "height_rmse_m", "peak_height_err_m", "peak_speed_err_mps", "liftoff_err_frames"):
        assert s[key] <= TARGETS[key], key
