"""The render pass replays pass 1's frames from memory when they fit, and gives the same
outputs as when it decodes the clip again."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from shared.analysis import AnalysisOptions, NoLifterFound, analyze, model_policy, pipeline, video
from shared.analysis import passes as pass_one
from shared.domain.model import Session

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample_snatch.mp4"


def _run(tmp_path, monkeypatch, name, **options):
    opened = []
    real = video._open
    monkeypatch.setattr(video, "_open", lambda path: opened.append(path) or real(path))
    # One pose estimator in both runs: a clip that fits in memory would otherwise get one per
    # core (test_pose_lanes.py), whose landmarks differ by tracking history.
    monkeypatch.setattr(pass_one, "pose_lanes", lambda duration_s, model: 1)
    out = tmp_path / name
    result = analyze(SAMPLE, AnalysisOptions(out_dir=str(out), **options))
    return result, out, len(opened)


@pytest.mark.slow
def test_the_render_pass_replays_pass_one_frames_and_decodes_again_only_when_they_do_not_fit(tmp_path, monkeypatch):
    kept, kept_out, kept_opens = _run(tmp_path, monkeypatch, "kept")
    fresh, fresh_out, fresh_opens = _run(tmp_path, monkeypatch, "fresh", frame_cache_mb=100)  # 37 of 100 frames
    assert kept_opens == 2  # the header probe, and one decode behind the scan's looks that every pass replays
    assert fresh_opens == 5  # the probe, the scan's own, and the bar, pose and render passes each decode
    assert json.loads((kept_out / "result.json").read_text()) == json.loads((fresh_out / "result.json").read_text())
    assert (kept_out / "analyzed.mp4").read_bytes() == (fresh_out / "analyzed.mp4").read_bytes()
    # The result says which pose model read it: the default tries heavy first, and heavy kept
    # this lifter in enough frames.
    assert kept.runtime["pose_model"] == "heavy"
    assert list(kept.runtime["pose_coverage_by_model"]) == ["heavy"]


def test_the_whole_clip_is_kept_only_when_it_fits():
    info = video.probe(SAMPLE, 600, 1280)  # 100 frames of 1280x720 RGB, 2.6 MiB each
    assert pipeline._frames_to_keep(info, AnalysisOptions(out_dir="x")) == 768 * 2**20 // (1280 * 720 * 3)
    assert pipeline._frames_to_keep(info, AnalysisOptions(out_dir="x", frame_cache_mb=300)) == 113
    assert pipeline._frames_to_keep(info, AnalysisOptions(out_dir="x", frame_cache_mb=250)) == 0  # 94 < 100
    # the pose pass replays the bar pass's frames whether or not anything is rendered
    assert pipeline._frames_to_keep(info, AnalysisOptions(render=False)) == 768 * 2**20 // (1280 * 720 * 3)


def test_a_duration_limit_past_what_the_pose_clock_can_count_is_refused():
    AnalysisOptions(max_duration_s=86_400)
    with pytest.raises(ValueError, match="max_duration_s must be at most 86400"):
        AnalysisOptions(max_duration_s=90_000)


def test_frame_cache_is_a_size_in_mb_and_zero_turns_it_off():
    info = video.probe(SAMPLE, 600, 1280)
    assert pipeline._frames_to_keep(info, AnalysisOptions(out_dir="x", frame_cache_mb=0)) == 0
    for bad in (-1, float("nan")):
        with pytest.raises(ValueError, match="frame_cache_mb"):
            AnalysisOptions(frame_cache_mb=bad)


def test_a_pose_model_that_is_not_built_is_refused_with_how_to_build_it(monkeypatch, tmp_path):
    from shared.analysis import pose

    monkeypatch.setattr(pose, "MODELS_DIR", tmp_path)
    for model, missing in (("heavy", "heavy"), ("full", "full"), ("auto", "heavy")):
        with pytest.raises(ValueError, match=f"the {missing} pose model is not built here: run `make models`"):
            AnalysisOptions(pose_model=model)
    (tmp_path / "pose_landmarker_heavy.task").touch()
    with pytest.raises(ValueError, match="the full pose model is not built here"):  # the lifter scan runs full
        AnalysisOptions(pose_model="heavy")
    with pytest.raises(ValueError, match=r"LIFTLAB_POSE_MODEL\) must be one of auto, lite, full, heavy, not 'huge'"):
        AnalysisOptions(pose_model="huge")


SESSION = Session("s", "u", "clean", barbell_mass_kg=90.0)


def test_the_job_runs_the_pose_model_liftlab_pose_model_names_else_the_default(monkeypatch):
    from shared.job import _options

    monkeypatch.delenv("LIFTLAB_POSE_MODEL", raising=False)
    assert _options(SESSION, None, "out").pose_model == "auto"
    monkeypatch.setenv("LIFTLAB_POSE_MODEL", " Heavy ")
    assert _options(SESSION, None, "out").pose_model == "heavy"
    monkeypatch.setenv("LIFTLAB_POSE_MODEL", "huge")
    with pytest.raises(ValueError, match="LIFTLAB_POSE_MODEL"):
        _options(SESSION, None, "out")


def test_a_junk_liftlab_pose_model_stops_the_job_before_it_leases_a_session(monkeypatch, capsys):
    from shared import job

    leased = []
    monkeypatch.setattr(job, "run", lambda *args: leased.append(args) or "done")
    monkeypatch.setenv("LIFTLAB_POSE_MODEL", "huge")
    with pytest.raises(SystemExit) as exit_:
        job.main(["--session-id", "S1"])
    assert exit_.value.code == 2 and not leased
    assert "LIFTLAB_POSE_MODEL must be one of auto, lite, full, heavy, not 'huge'" in capsys.readouterr().err
    monkeypatch.setenv("LIFTLAB_POSE_MODEL", "heavy")
    assert job.main(["--session-id", "S1"]) == 0 and len(leased) == 1


def _person(n: int, present: float) -> list:
    """Pass 1 candidates: one still person, found in the first `present` share of `n` frames."""
    rng = np.random.default_rng(0)
    body = np.concatenate([rng.uniform(300, 500, (33, 2)), np.full((33, 1), 0.9)], axis=1)
    return [body[None] if i < present * n else np.zeros((0, 33, 3)) for i in range(n)]


@pytest.fixture
def passes(monkeypatch):
    """Fakes the lifter scan and pass 1 (the bar pass, which finds no plate, and the pose
    pass): `found[model]` is the share of frames that model finds the lifter in. Returns
    (found, what ran: "scan", "bar" or a model, progress reported, run)."""
    found, ran, reported = {}, [], []

    def scan_lifter(clip, runtime):
        assert not reported  # the scan comes before pass 1 reports anything
        ran.append("scan")
        return 0, 0, 640, 360

    monkeypatch.setattr(pipeline, "scan_lifter", scan_lifter)

    n = 60

    def bar_pass(clip, report, runtime, model, crop):
        ran.append("bar" if crop == (0, 0, 640, 360) else "bar, not in the scan's region")
        for fraction in (0.5, 1.0):
            report(fraction)
        return SimpleNamespace(
            times=list(np.arange(n) / 30),
            change=list(np.ones(n)),
            plates=[None] * n,
            luma=[100.0],
            camera=SimpleNamespace(shifts_px=lambda: np.zeros((n, 2))),  # a tripod's view
        )

    def pose_pass(clip, t_s, wanted, report, runtime, model, crop):
        ran.append(model if crop == (0, 0, 640, 360) else f"{model}, not in the scan's region")
        assert wanted.all()  # no plate was tracked: pose on every frame
        for fraction in (0.5, 1.0):  # the share of this pass done
            report(fraction)
        if found[model] is None:
            raise RuntimeError("the pass failed")
        return _person(n, found[model])

    monkeypatch.setattr(pipeline, "bar_pass", bar_pass)
    monkeypatch.setattr(pipeline, "pose_pass", pose_pass)

    def run(options, frames: int = 60, delegate: str = "cpu"):
        reported.clear()  # this run's progress
        progress = lambda pct, stage: reported.append((pct, stage))  # noqa: E731
        clip = SimpleNamespace(
            info=SimpleNamespace(frame_count=frames, fps=30.0, capture_fps=None)
        )  # what _measure_lifter reads
        return pipeline._measure_lifter(clip, options, progress, SimpleNamespace(pose_delegate=delegate))

    return found, ran, reported, run


def test_auto_keeps_heavy_when_it_finds_the_lifter_in_nine_frames_out_of_ten(passes):
    found, ran, _, run = passes
    found.update(heavy=0.95, full=1.0)
    model, coverage, (t, lifter, *_) = run(AnalysisOptions())
    assert (model, ran, coverage) == ("heavy", ["scan", "bar", "heavy"], {"heavy": 0.95})
    assert np.isfinite(lifter[:, 23, 0]).mean() == pytest.approx(0.95)


def test_auto_measures_again_on_full_where_heavy_lost_the_lifter_and_keeps_the_better(passes):
    found, ran, reported, run = passes
    found.update(heavy=0.75, full=0.9)
    model, coverage, (t, lifter, *_) = run(AnalysisOptions())
    assert (model, ran, coverage) == ("full", ["scan", "bar", "heavy", "full"], {"heavy": 0.75, "full": 0.9})
    assert np.isfinite(lifter[:, 23, 0]).mean() == pytest.approx(0.9)
    pcts = [p for p, _ in reported]
    assert pcts == sorted(pcts) and pcts[0] == 3.0 and pcts[-1] == 80.0  # never back, and before the phases
    assert {stage for _, stage in reported} == {"measuring"}


@pytest.mark.parametrize("full, kept", [(0.75, "heavy"), (0.783, "heavy"), (0.8, "full")])
def test_auto_keeps_heavy_unless_full_finds_the_lifter_in_5_percent_more_frames(passes, full, kept):
    found, ran, _, run = passes
    found.update(heavy=0.75, full=full)
    model, coverage, _ = run(AnalysisOptions())
    assert (model, ran) == (kept, ["scan", "bar", "heavy", "full"])


@pytest.mark.parametrize(
    "frames, delegate, tried", [(3600, "cpu", ["heavy"]), (3601, "cpu", ["full"]), (3601, "gpu", ["heavy"])]
)
def test_auto_runs_full_alone_on_a_clip_of_over_two_minutes_at_30_fps_on_the_cpu(passes, frames, delegate, tried):
    found, ran, _, run = passes
    found.update(heavy=1.0, full=1.0)
    model, coverage, _ = run(AnalysisOptions(), frames, delegate)
    assert ran == ["scan", "bar"] + tried and list(coverage) == tried
    ran.clear()
    run(AnalysisOptions(pose_model="heavy"), frames, delegate)  # a model named is a model run
    assert ran == ["scan", "bar", "heavy"]


def test_a_gpu_delegate_that_fails_at_the_scan_chooses_the_models_as_a_cpu_does(passes, monkeypatch):
    found, ran, _, run = passes
    found.update(heavy=1.0, full=1.0)
    scan = pipeline.scan_lifter

    def scan_that_falls_back(clip, runtime):
        runtime.pose_delegate = "cpu"  # what accel.Runtime.fall_back does when the delegate fails
        return scan(clip, runtime)

    monkeypatch.setattr(pipeline, "scan_lifter", scan_that_falls_back)
    run(AnalysisOptions(), 3601, "gpu")
    assert ran == ["scan", "bar", "full"]  # too long for heavy on a CPU


def test_if_the_second_pass_fails_the_first_result_stands(passes):
    found, ran, _, run = passes
    found.update(heavy=0.75, full=None)
    model, coverage, (t, lifter, *_) = run(AnalysisOptions())
    assert (model, ran, coverage) == ("heavy", ["scan", "bar", "heavy", "full"], {"heavy": 0.75, "full": None})
    found.update(heavy=None)
    with pytest.raises(RuntimeError, match="the pass failed"):  # the first pass's failure is the run's
        run(AnalysisOptions())


def test_a_named_model_is_measured_once_however_little_it_finds(passes):
    found, ran, _, run = passes
    found.update(heavy=0.5)
    model, coverage, _ = run(AnalysisOptions(pose_model="heavy"))
    assert (model, ran, coverage) == ("heavy", ["scan", "bar", "heavy"], {"heavy": 0.5})


def test_nobody_found_on_either_model_is_no_lifter_found(passes):
    found, ran, _, run = passes
    found.update(heavy=0.0, full=0.0)
    with pytest.raises(NoLifterFound, match="No person was found"):
        run(AnalysisOptions())
    assert ran == ["scan", "bar", "heavy", "full"]  # one scan and one bar pass for both pose passes


def test_the_progress_spans_tile_the_bar_in_order():
    spans = list(pipeline.PROGRESS_SPANS.values())
    assert spans[0][0] == 0.0 and spans[-1][1] == 100.0
    assert all(a[1] == b[0] for a, b in zip(spans, spans[1:]))
    seen = []
    report = pipeline.at(lambda pct, stage: seen.append((pct, stage)), "measuring", 0.8, 1.0)
    for fraction in (-1.0, 0.0, 0.5, 1.0, 2.0):  # clamped to the part it was given
        report(fraction)
    lo, hi = pipeline.PROGRESS_SPANS["measuring"]
    assert [p for p, _ in seen] == pytest.approx([lo + 0.8 * (hi - lo)] * 2 + [lo + 0.9 * (hi - lo)] + [hi] * 2)
    assert {s for _, s in seen} == {"measuring"}


@pytest.mark.parametrize(
    "choice, delegate, frames, models",
    [
        ("auto", "cpu", 3600, ("heavy", "full")),
        ("auto", "cpu", 3601, ("full",)),
        ("auto", "gpu", 9000, ("heavy", "full")),
        ("lite", "cpu", 10, ("lite",)),
    ],
)
def test_the_model_policy_picks_the_models_in_turn(choice, delegate, frames, models):
    assert model_policy.pose_models(choice, delegate, frames) == models


def test_a_later_model_runs_under_90_percent_and_is_kept_5_points_better():
    assert model_policy.needs_another(0.899) and not model_policy.needs_another(0.9)
    assert model_policy.better(0.5, None)
    assert model_policy.better(0.80, 0.75) and not model_policy.better(0.79, 0.75)
