"""Decode: PTS timestamps, rotation, pixel aspect, HEVC and downscaling, on small clips."""

from __future__ import annotations

import itertools
import threading
from fractions import Fraction

import av
import numpy as np
import pytest

from shared.analysis import video
from shared.analysis.errors import InvalidVideo

SMALL = dict(width=320, height=180, blur_samples=1)


def _decode(path):
    info = video.probe(path, 600, 1920)
    return info, list(video.frames(path, info))


def test_timestamps_come_from_pts_on_a_variable_frame_rate_clip(rendered):
    path, truth = rendered("vfr_small", exercise="clean", vfr=True, **SMALL)
    _, frames = _decode(path)
    assert np.diff(truth.timestamps_s).std() > 0.003  # the clip really is irregular
    assert [f.t_s for f in frames] == pytest.approx(truth.timestamps_s, abs=1e-3)


def test_rotated_portrait_clip_is_delivered_upright(rendered):
    path, _ = rendered("portrait_small", rotation=-90, **SMALL)
    info, frames = _decode(path)
    assert info.rotation == 270 and (info.width, info.height) == (320, 180)
    first = frames[0].rgb
    assert first.shape == (320, 180, 3)
    floor, wall = first[-8:].reshape(-1, 3).mean(0), first[:8].reshape(-1, 3).mean(0)
    assert floor[0] > floor[2] + 30  # brown floor at the bottom
    assert abs(wall[0] - wall[2]) < 25  # grey wall at the top


def test_hevc_clip_decodes_every_frame(rendered):
    path, truth = rendered("hevc_small", codec="libx265", **SMALL)
    info, frames = _decode(path)
    assert info.codec == "hevc"
    assert len(frames) == len(truth.timestamps_s)


def _flat_clip(path, width: int, height: int, pixel_aspect: Fraction | None = None):
    """Three flat grey frames, stored at width x height with that sample aspect ratio."""
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=30)
        s.width, s.height, s.pix_fmt = width, height, "yuv420p"
        if pixel_aspect:
            s.codec_context.sample_aspect_ratio = pixel_aspect
        for _ in range(3):
            for p in s.encode(av.VideoFrame.from_ndarray(np.full((height, width, 3), 90, np.uint8), format="rgb24")):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    return path


def test_4k_frames_are_scaled_down_to_the_analysis_size(tmp_path):
    info, frames = _decode(_flat_clip(tmp_path / "uhd.mp4", 3840, 2160))
    assert (info.out_width, info.out_height) == (1920, 1080) and info.downscaled
    assert frames[0].rgb.shape == (1080, 1920, 3)


def test_a_repeated_timestamp_is_skipped_so_times_strictly_increase(tmp_path):
    path = tmp_path / "dup.mp4"
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=30)
        s.width, s.height, s.pix_fmt = 64, 64, "yuv420p"
        s.codec_context.time_base = Fraction(1, 1000)
        for pts in (0, 33, 66, 66, 100):
            f = av.VideoFrame.from_ndarray(np.full((64, 64, 3), 80, np.uint8), format="rgb24")
            f.pts = pts
            for p in s.encode(f):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    _, frames = _decode(path)
    times = [f.t_s for f in frames]
    assert all(b > a for a, b in zip(times, times[1:]))


def _frames_of(passes):
    return [(f.index, f.t_s, f.rgb) for f in passes]


def _same(a, b):
    assert [(i, t) for i, t, _ in a] == [(i, t) for i, t, _ in b]
    assert all(np.array_equal(x, y) for (_, _, x), (_, _, y) in zip(a, b))


@pytest.mark.parametrize("keep", [1000, 5])
def test_decode_once_decodes_a_clip_that_fits_once_and_one_that_does_not_per_pass(rendered, keep, monkeypatch):
    path, _ = rendered("portrait_small", rotation=-90, **SMALL)
    info, fresh = _decode(path)
    fresh = _frames_of(fresh)
    opened = []
    monkeypatch.setattr(video, "_open", lambda p, real=video._open: opened.append(p) or real(p))
    clip = video.DecodeOnce(path, info, keep_frames=keep)
    _same(_frames_of(f for f, _ in zip(clip, range(3))), fresh[:3])  # a pass that stops early
    _same(_frames_of(clip), fresh)
    assert clip.all_kept == (keep >= len(fresh))
    if clip.all_kept:
        assert all(not f.rgb.flags.writeable for f in clip)  # shared by the passes: read-only
    else:
        assert clip.keep_frames == 0  # over budget once: later passes keep nothing either
    _same(_frames_of(clip), fresh)  # the render pass
    # held: one decode, run on past the pass that stopped early; over budget: the held decode
    # stops at the budget, the pass that reads past it decodes the rest, and so does each after
    assert len(opened) == (1 if keep >= len(fresh) else 3)
    clip.release()
    assert not clip.all_kept


@pytest.mark.parametrize("keep", [1000, 0])
def test_every_step_gives_the_frames_a_decode_of_every_step_does(rendered, keep, monkeypatch):
    """The lifter scan's looks: from the frames held, decoding on behind them, or from a decode
    of their own that converts only those."""
    path, _ = rendered("portrait_small", rotation=-90, **SMALL)
    info, fresh = _decode(path)
    looks = _frames_of(fresh)[::4]
    opened = []
    monkeypatch.setattr(video, "_open", lambda p, real=video._open: opened.append(p) or real(p))
    clip = video.DecodeOnce(path, info, keep_frames=keep)
    _same(_frames_of(f for f, _ in zip(clip.every(4), range(3))), looks[:3])
    _same(_frames_of(clip), _frames_of(fresh))
    assert len(opened) == (1 if keep else 2)
    assert clip.all_kept == bool(keep)


def test_release_stops_the_decode_of_a_held_clip(rendered):
    path, _ = rendered("portrait_small", rotation=-90, **SMALL)
    clip = video.DecodeOnce(path, video.probe(path, 600, 1920), keep_frames=1000)
    next(iter(clip))
    held = clip._held
    clip.release()
    assert not held.thread.is_alive() and held.frames == [] and not clip.all_kept


@pytest.mark.parametrize("keep", [0, 1000])
def test_decode_once_reports_a_cut_short_stream_once(tmp_path, keep):
    from tests.engine.test_bad_input import _encode, _sample_frames

    data = _encode(tmp_path / "whole.mp4", _sample_frames(), movflags="+faststart").read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: int(len(data) * 0.6)])
    info = video.probe(cut, 600, 1920)
    clip = video.DecodeOnce(cut, info, keep_frames=keep)
    n = [sum(1 for _ in clip) for _ in range(2)]
    assert n[0] == n[1] < info.frame_count
    assert len(clip.warnings) == 1 and "cut short" in clip.warnings[0]


def test_a_pass_stopped_early_leaves_the_cut_short_report_to_the_next(tmp_path):
    from tests.engine.test_bad_input import _encode, _sample_frames

    data = _encode(tmp_path / "whole.mp4", _sample_frames(), movflags="+faststart").read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: int(len(data) * 0.6)])
    clip = video.DecodeOnce(cut, video.probe(cut, 600, 1920), keep_frames=0)
    first = iter(clip)
    next(first)
    first.close()  # e.g. pass 1 on several estimators, given up for one
    assert clip.warnings == []
    sum(1 for _ in clip)
    assert len(clip.warnings) == 1 and "cut short" in clip.warnings[0]


def test_the_render_pass_draws_on_copies_of_replayed_read_only_frames(rendered, tmp_path):
    from shared.analysis.render import Annotator, render_video

    path, _ = rendered("portrait_small", rotation=-90, **SMALL)
    info = video.probe(path, 600, 1920)
    clip = video.DecodeOnce(path, info, keep_frames=1000)
    first = [f.rgb.copy() for f in clip]
    n = len(first)
    lifter = np.full((n, 33, 3), np.nan, np.float32)
    bar = np.column_stack([np.linspace(40, 140, n), np.linspace(200, 100, n)])
    annotate = Annotator(lifter, bar, ["first_pull"] * n, np.full(n, 1.5), 1.0, trail=n)
    images = render_video(
        clip, annotate, (info.out_width, info.out_height), info.fps, tmp_path / "a.mp4", {"first_pull": 0}, tmp_path
    )
    assert images == {"first_pull": "phase_first_pull.jpg"} and (tmp_path / "phase_first_pull.jpg").exists()
    assert all(np.array_equal(f.rgb, g) for f, g in zip(clip, first))  # the kept frames are untouched
    with av.open(str(tmp_path / "a.mp4")) as container:
        out = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    assert len(out) == n and out[0].shape == first[0].shape
    assert np.abs(out[-1].astype(int) - first[-1]).max() > 100  # the overlay is in the video


def test_chroma_for_the_encoder_is_the_mean_of_each_2x2_block():
    from shared.analysis.render import to_i420

    rgb = np.tile(np.array([[[255, 0, 0], [0, 0, 255]], [[0, 0, 255], [255, 0, 0]]], np.uint8), (2, 2, 1))
    ours = to_i420(rgb)
    swscale = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p").to_ndarray()
    np.testing.assert_allclose(ours[4:].astype(int), swscale[4:].astype(int), atol=1)  # U, V: 165, 165 both
    np.testing.assert_allclose(ours[:4].astype(int), swscale[:4].astype(int), atol=1)  # Y


@pytest.mark.parametrize(
    "size, rotation, sar, display",
    [
        ((1920, 1080), 0, 1.0, (1920, 1080)),
        ((1080, 1920), 90, 1.0, (1920, 1080)),
        ((340, 256), 0, 1024 / 765, (455, 256)),  # a 16:9 picture stored in 340 columns
        ((720, 576), 0, 16 / 15, (768, 576)),
        ((720, 480), 0, 8 / 9, (720, 540)),  # narrow pixels make it taller
        ((480, 720), 90, 8 / 9, (810, 480)),  # heightened, then turned
    ],
)
def test_display_size_applies_the_pixel_aspect_then_the_rotation(size, rotation, sar, display):
    from shared.analysis.video import display_size

    assert display_size(*size, rotation, sar) == display


def test_a_clip_with_non_square_pixels_is_delivered_in_square_pixels(tmp_path):
    info, frames = _decode(_flat_clip(tmp_path / "sar.mp4", 340, 256, Fraction(1024, 765)))
    assert info.pixel_aspect == pytest.approx(1024 / 765)
    assert info.display_size == (455, 256)
    assert frames[0].rgb.shape[:2] == (info.out_height, info.out_width) == (256, 456)
    assert info.display_per_analysis_px == pytest.approx((455 / 456, 1.0))


def _scene(h: int = 360, w: int = 640) -> np.ndarray:
    rng = np.random.default_rng(3)
    return rng.integers(40, 230, (h, w, 3)).astype(np.uint8)


@pytest.mark.parametrize(
    "pad, box",
    [
        (((45, 45), (0, 0)), (0, 45, 640, 405)),  # letterbox: 2.35:1 in a 16:9 frame
        (((0, 0), (120, 120)), (120, 0, 760, 360)),  # pillarbox: a portrait clip shown wide
        (((0, 0), (0, 0)), (0, 0, 640, 360)),  # none
        (((3, 0), (0, 0)), (0, 0, 640, 363)),  # a 3-line dark edge is the picture's own
    ],
    ids=["letterbox", "pillarbox", "none", "thin_edge"],
)
def test_the_picture_inside_letterbox_and_pillarbox_bars_is_found(pad, box):
    framed = np.pad(_scene(), (*pad, (0, 0)))
    framed[framed.sum(axis=2) == 0] = 8  # black bars as an encoder leaves them, not quite 0
    assert video.picture_box(framed) == box


def test_a_dark_stripe_inside_the_picture_is_no_bar():
    scene = _scene()
    scene[:60, :320] = 5  # dark across half the rows only: a dark wall in the corner
    assert video.picture_box(scene) == (0, 0, 640, 360)


def test_prefetched_starts_at_once_and_hands_on_an_error_in_order():
    pulled = threading.Event()

    def items():
        yield 1
        pulled.set()
        yield 2
        raise InvalidVideo("damaged")

    ahead = video.Prefetched(items())
    assert pulled.wait(timeout=5)  # before the first look
    assert next(ahead) == 1 and next(ahead) == 2
    with pytest.raises(InvalidVideo, match="damaged"):
        next(ahead)
    assert not ahead.thread.is_alive()
    with pytest.raises(StopIteration):
        next(ahead)


def test_closing_a_prefetch_never_read_stops_its_thread():
    ahead = video.Prefetched(itertools.count())  # endless, and the queue fills at once
    ahead.close()
    assert not ahead.thread.is_alive()
    assert list(ahead) == []
