"""Bad input: every case ends in a typed error or a warning a coach understands, never a
crash, a hang or a partial output folder."""

from __future__ import annotations

import math
from pathlib import Path

import av
import numpy as np
import pytest

from shared.analysis import (
    AnalysisError,
    AnalysisOptions,
    InvalidVideo,
    NoBarFound,
    NoLifterFound,
    VideoTooLong,
    VideoTooShort,
    analyze,
    video,
)

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample_snatch.mp4"


def _encode(path: Path, frames, fps=30, movflags=None):
    with av.open(str(path), "w", options={"movflags": movflags} if movflags else {}) as c:
        s = c.add_stream("libx264", rate=fps)
        s.height, s.width = frames[0].shape[:2]
        s.pix_fmt = "yuv420p"
        for f in frames:
            for p in s.encode(av.VideoFrame.from_ndarray(f, format="rgb24")):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    return path


def _sample_frames(n=None):
    info = video.probe(SAMPLE, 600, 1920)
    out = []
    for f in video.frames(SAMPLE, info):
        out.append(f.rgb)
        if n and len(out) == n:
            break
    return out


def _refused(path, error, tmp_path, **options):
    out = tmp_path / "out"
    with pytest.raises(error) as caught:
        analyze(path, AnalysisOptions(out_dir=str(out), **options))
    assert caught.value.message and caught.value.code
    assert not out.exists() or not any(out.iterdir()), "nothing may be written for a refused video"
    return caught.value


def test_a_text_file_is_not_a_video(tmp_path):
    path = tmp_path / "notes.mp4"
    path.write_text("these are my training notes, not a video")
    err = _refused(path, InvalidVideo, tmp_path)
    assert "not a video" in err.message


def test_an_empty_file_is_refused(tmp_path):
    path = tmp_path / "empty.mp4"
    path.write_bytes(b"")
    assert "empty" in _refused(path, InvalidVideo, tmp_path).message


def test_audio_only_is_refused(tmp_path):
    path = tmp_path / "voice.m4a"
    with av.open(str(path), "w") as c:
        s = c.add_stream("aac", rate=44100)
        t = np.arange(1024 * 20) / 44100
        tone = (0.2 * np.sin(2 * math.pi * 440 * t)).astype(np.float32)[None]
        for i in range(0, tone.shape[1], 1024):
            frame = av.AudioFrame.from_ndarray(tone[:, i : i + 1024], format="fltp", layout="mono")
            frame.sample_rate = 44100
            for p in s.encode(frame):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    assert "audio only" in _refused(path, InvalidVideo, tmp_path).message


def test_a_single_frame_is_too_short(tmp_path):
    path = _encode(tmp_path / "one.mp4", _sample_frames(1))
    _refused(path, VideoTooShort, tmp_path)


def test_a_ten_minute_clip_is_refused_above_the_configured_duration(tmp_path):
    frames = [np.full((64, 64, 3), 100, np.uint8)] * 601
    path = _encode(tmp_path / "long.mp4", frames, fps=1)
    err = _refused(path, VideoTooLong, tmp_path, max_duration_s=300)
    assert "300" in err.message
    assert video.probe(path, max_duration_s=900, max_long_side_px=1920).duration_s == pytest.approx(601, abs=1)


def test_a_clip_cut_short_mid_stream_is_analysed_up_to_the_cut_with_a_warning(tmp_path):
    whole = _encode(tmp_path / "whole.mp4", _sample_frames(), movflags="+faststart")
    data = whole.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: int(len(data) * 0.6)])
    out = tmp_path / "out"
    try:
        result = analyze(cut, AnalysisOptions(out_dir=str(out), render=False))
    except AnalysisError as err:  # refusing with a typed error is also acceptable
        assert err.message
        assert not out.exists() or not any(out.iterdir())
        return
    assert len(result.timestamps_s) < len(_sample_frames())
    assert any("damaged" in w["message"] for w in result.quality["warnings"])
    assert (out / "result.json").exists()


@pytest.mark.slow
def test_no_person_in_view_is_a_typed_error(rendered, tmp_path):
    path, _ = rendered("empty_platform", show_lifter=False, width=640, height=360)
    err = _refused(path, NoLifterFound, tmp_path)
    assert "No person" in err.message


@pytest.mark.slow
def test_a_lifter_filmed_side_on_without_a_plate_is_refused_as_no_bar_found(rendered, tmp_path):
    """Nothing is scaled from a guessed height: without a plate face there is no bar to measure."""
    path, _ = rendered("no_plate", show_plate=False)
    err = _refused(path, NoBarFound, tmp_path, pose_model="full")  # the plate is refused, not the pose
    assert "plate" in err.message


@pytest.mark.slow
def test_a_4k_clip_is_analysed_downscaled_with_a_warning(tmp_path):
    frames = [np.repeat(np.repeat(f, 3, axis=0), 3, axis=1) for f in _sample_frames(12)]
    path = _encode(tmp_path / "uhd.mp4", frames)
    result = analyze(path, AnalysisOptions(render=False))
    assert (result.video["width"], result.video["analysis_width"]) == (3840, 1280)
    assert result.scale["pixels"] == "display"  # px_per_m in the 4K video's own pixels
    assert "downscaled" in [w["code"] for w in result.quality["warnings"]]


@pytest.mark.slow
def test_a_missed_lift_is_reported_as_missed(rendered):
    path, _ = rendered("missed", exercise="missed_snatch")
    result = analyze(path, AnalysisOptions(exercise="snatch", render=False, pose_model="full"))  # the bar's miss
    assert result.metrics["outcome"] == "missed"
    assert "missed_lift" in [w["code"] for w in result.quality["warnings"]]
    assert [p["name"] for p in result.phases][-1] == "turnover"
