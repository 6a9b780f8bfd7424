"""Acceleration: the CPU paths where no GPU works, a recorded reason for every fallback,
and a browser-playable video whichever encoder is chosen. The GPU paths themselves are
checked on a GPU machine by infra/job/gpu_check.py."""

from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np
import pytest

from shared.analysis import AnalysisOptions, accel, analyze
from shared.analysis.__main__ import main as cli_main
from shared.analysis.pose import open_pose
from shared.analysis.render import Annotator, render_video
from shared.analysis.video import Frame

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "tests" / "data" / "sample_snatch.mp4"
cpu_only = pytest.mark.skipif(
    accel.nvidia_gpu_visible(),
    reason="checks the fallback; this machine has a GPU (infra/job/gpu_check.py covers that path)",
)


def _frames(count: int = 12, size=(320, 240)):
    """A moving square at irregular times (variable frame rate), as decoded frames."""
    times_s = np.cumsum(np.r_[0.0, np.tile([0.030, 0.037], count)[: count - 1]])
    for i, t_s in enumerate(times_s):
        rgb = np.full((size[1], size[0], 3), 60, np.uint8)
        rgb[100:140, 20 + 20 * i : 60 + 20 * i] = (230, 40, 40)
        yield Frame(i, float(t_s), rgb)


def _render(tmp_path: Path, encoder: str, count: int = 12) -> Path:
    n = count
    annotate = Annotator(
        np.full((n, 33, 3), np.nan), np.full((n, 2), np.nan), ["setup"] * n, np.full(n, np.nan), scale=1.0, trail=30
    )
    out = tmp_path / "analyzed.mp4"
    render_video(_frames(n), annotate, (320, 240), 30.0, out, {}, tmp_path, encoder=encoder)
    return out


def test_cpu_mode_probes_nothing_and_uses_libx264_and_the_cpu_delegate():
    assert accel.plan("cpu") == accel.Runtime("cpu", "libx264", "cpu", {})


def test_auto_without_an_nvidia_device_uses_the_cpu_paths_and_says_why(tmp_path, monkeypatch):
    monkeypatch.setattr(accel, "DEVICE_DIR", tmp_path)  # an empty /dev
    runtime = accel.plan("auto")
    assert (runtime.encoder, runtime.pose_delegate) == ("libx264", "cpu")
    assert runtime.fallbacks == {"encoder": "no NVIDIA GPU visible", "pose_delegate": "no NVIDIA GPU visible"}


@cpu_only
def test_auto_on_this_machine_picks_libx264_and_a_cpu_pose_estimator():
    runtime = accel.plan("auto")
    with open_pose(runtime, "lite") as pose:
        assert pose(np.zeros((96, 128, 3), np.uint8)).shape == (0, 33, 3)
    assert runtime.to_dict() == {
        "accel": "auto",
        "encoder": "libx264",
        "pose_delegate": "cpu",
        "fallbacks": {"encoder": "no NVIDIA GPU visible", "pose_delegate": "no NVIDIA GPU visible"},
    }


@cpu_only
def test_forced_gpu_encoder_falls_back_to_libx264_and_records_why():
    runtime = accel.plan("gpu")
    assert runtime.encoder == "libx264"
    assert runtime.fallbacks["encoder"].startswith("h264_nvenc did not open: ")
    assert "libcuda" in runtime.fallbacks["encoder"]  # FFmpeg's own reason, not just an errno


@cpu_only
def test_forced_gpu_pose_delegate_falls_back_to_a_working_cpu_estimator():
    runtime = accel.plan("gpu")
    assert runtime.pose_delegate == "gpu"  # to be tried by the first estimator
    with open_pose(runtime, "lite", max_people=3, video=False) as detect:
        assert detect(np.zeros((96, 128, 3), np.uint8)).shape == (0, 33, 3)
    assert runtime.pose_delegate == "cpu"
    assert runtime.fallbacks["pose_delegate"].startswith("MediaPipe GPU delegate unavailable: ")
    with open_pose(runtime, "lite") as pose:  # the run's second estimator goes straight to CPU
        assert pose(np.zeros((96, 128, 3), np.uint8), t_s=0.0).shape == (0, 33, 3)


@cpu_only
def test_the_fallback_encoder_writes_browser_playable_h264_with_faststart_and_ms_pts(tmp_path):
    out = _render(tmp_path, accel.plan("gpu").encoder)
    data = out.read_bytes()
    assert 0 < data.find(b"moov") < data.find(b"mdat")  # +faststart: the index comes first
    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264" and stream.codec_context.pix_fmt == "yuv420p"
        assert (stream.codec_context.width, stream.codec_context.height) == (320, 240)
        decoded = [(float(f.time), f.to_ndarray(format="rgb24")) for f in container.decode(stream)]
    assert [t for t, _ in decoded] == pytest.approx([f.t_s for f in _frames()], abs=1e-3)
    red = decoded[5][1][110:130, 130:150].reshape(-1, 3).mean(axis=0)  # frame 5's square: x 120..160
    assert red[0] > 180 and red[1] < 90


def test_the_gpu_encoder_is_refused_by_name_when_the_wheel_lacks_it():
    assert accel.encoder_problem("h264_nope") == "h264_nope is not in this PyAV build"


def test_the_mode_is_parsed_leniently_and_junk_is_refused_with_the_choices():
    assert accel.parse_mode(" GPU ") == "gpu"
    assert AnalysisOptions(accel="Cpu").accel == "cpu"
    with pytest.raises(ValueError, match=r"LIFTLAB_ACCEL\) must be one of auto, cpu, gpu, not 'turbo'"):
        AnalysisOptions(accel="turbo")


def test_the_cli_refuses_a_junk_liftlab_accel_before_analysing(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("LIFTLAB_ACCEL", "fast")
    with pytest.raises(SystemExit) as exit_:
        cli_main([str(SAMPLE), "--out", str(tmp_path / "out")])
    assert exit_.value.code == 2
    assert "must be one of auto, cpu, gpu, not 'fast'" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
@cpu_only
def test_a_forced_gpu_run_records_its_runtime_and_matches_the_cpu_results(tmp_path):
    # one model named for both (full, a third of heavy's time): the runs' fallbacks are the subject
    gpu = analyze(SAMPLE, AnalysisOptions(accel="gpu", pose_model="full", out_dir=str(tmp_path / "gpu")))
    cpu = analyze(SAMPLE, AnalysisOptions(accel="cpu", pose_model="full", render=False))
    written = json.loads((tmp_path / "gpu" / "result.json").read_text())
    assert written["runtime"]["accel"] == "gpu"
    assert (written["runtime"]["encoder"], written["runtime"]["pose_delegate"]) == ("libx264", "cpu")
    assert set(written["runtime"]["fallbacks"]) == {"encoder", "pose_delegate"}
    assert gpu.metrics == cpu.metrics and gpu.bar == cpu.bar
    with av.open(str(tmp_path / "gpu" / "analyzed.mp4")) as container:
        assert container.streams.video[0].codec_context.name == "h264"
