"""The render pass replays pass 1's frames from memory when they fit, and gives the same
outputs as when it decodes the clip again."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared.analysis import AnalysisOptions, analyze, pipeline, video

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample_snatch.mp4"


def _run(tmp_path, monkeypatch, name, **options):
    opened = []
    real = video._open
    monkeypatch.setattr(video, "_open", lambda path: opened.append(path) or real(path))
    # One pose estimator in both runs: a clip that fits in memory would otherwise get one per
    # core (test_pose_lanes.py), whose landmarks differ by tracking history.
    monkeypatch.setattr(pipeline, "pose_lanes", lambda duration_s: 1)
    out = tmp_path / name
    result = analyze(SAMPLE, AnalysisOptions(out_dir=str(out), **options))
    return result, out, len(opened)


@pytest.mark.slow
def test_the_render_pass_replays_pass_one_frames_and_decodes_again_only_when_they_do_not_fit(tmp_path,
                                                                                             monkeypatch):
    kept, kept_out, kept_opens = _run(tmp_path, monkeypatch, "kept")
    fresh, fresh_out, fresh_opens = _run(tmp_path, monkeypatch, "fresh", frame_cache_mb=100)  # 37 of 100 frames
    assert kept_opens == 3  # the header probe, the lifter scan, pass 1 (the render pass replays it)
    assert fresh_opens == 4  # ... and the render pass decodes again
    assert json.loads((kept_out / "result.json").read_text()) == json.loads((fresh_out / "result.json").read_text())
    assert (kept_out / "analyzed.mp4").read_bytes() == (fresh_out / "analyzed.mp4").read_bytes()
    assert kept["runtime"]["pose_model"] == "full"  # the result says which pose model read it


def test_the_whole_clip_is_kept_only_when_it_fits_and_is_rendered():
    info = video.probe(SAMPLE, 600, 1280)  # 100 frames of 1280x720 RGB, 2.6 MiB each
    assert pipeline._frames_to_keep(info, AnalysisOptions(out_dir="x")) == 768 * 2**20 // (1280 * 720 * 3)
    assert pipeline._frames_to_keep(info, AnalysisOptions(out_dir="x", frame_cache_mb=300)) == 113
    assert pipeline._frames_to_keep(info, AnalysisOptions(out_dir="x", frame_cache_mb=250)) == 0  # 94 < 100
    assert pipeline._frames_to_keep(info, AnalysisOptions(out_dir="x", render=False)) == 0
    assert pipeline._frames_to_keep(info, AnalysisOptions()) == 0  # nothing is rendered


def test_frame_cache_is_a_size_in_mb_and_zero_turns_it_off():
    info = video.probe(SAMPLE, 600, 1280)
    assert pipeline._frames_to_keep(info, AnalysisOptions(out_dir="x", frame_cache_mb=0)) == 0
    for bad in (-1, float("nan")):
        with pytest.raises(ValueError, match="frame_cache_mb"):
            AnalysisOptions(frame_cache_mb=bad)


def test_a_pose_model_that_is_not_built_is_refused_with_how_to_build_it(monkeypatch, tmp_path):
    from shared.analysis import pose
    monkeypatch.setattr(pose, "MODELS_DIR", tmp_path)
    for model in ("heavy", "full"):
        with pytest.raises(ValueError, match=f"the {model} pose model is not built here: run `make models`"):
            AnalysisOptions(pose_model=model)
    with pytest.raises(ValueError, match=r"LIFTLAB_POSE_MODEL\) must be one of lite, full, heavy, not 'huge'"):
        AnalysisOptions(pose_model="huge")


SESSION = {"exercise": "clean", "barbell_mass_kg": 90}


def test_the_job_runs_the_pose_model_liftlab_pose_model_names_else_the_default(monkeypatch):
    from shared.job import _options
    monkeypatch.delenv("LIFTLAB_POSE_MODEL", raising=False)
    assert _options(SESSION, None, "out").pose_model == "full"
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
    assert "LIFTLAB_POSE_MODEL must be one of lite, full, heavy, not 'huge'" in capsys.readouterr().err
    monkeypatch.setenv("LIFTLAB_POSE_MODEL", "heavy")
    assert job.main(["--session-id", "S1"]) == 0 and len(leased) == 1
