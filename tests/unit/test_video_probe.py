"""The upload's container sniff and probe, on real files made here."""

from __future__ import annotations

import io
import struct

import av
import numpy as np
import pytest

from shared.domain.errors import BadRequest
from shared.video_probe import probe
from tests.cloud.fixtures import SAMPLE


def encode(path, container_format=None, audio_only=False, seconds=1.0, size=(320, 240)):
    with av.open(str(path), "w", format=container_format) as out:
        if audio_only:
            stream = out.add_stream("aac", rate=44100)
            frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), dtype=np.float32), format="fltp", layout="mono")
            frame.sample_rate = 44100
            for i in range(int(seconds * 44100 / 1024)):
                frame.pts = i * 1024
                for packet in stream.encode(frame):
                    out.mux(packet)
        else:
            stream = out.add_stream("libx264", rate=30)
            stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
            for _ in range(int(seconds * 30)):
                for packet in stream.encode(
                    av.VideoFrame.from_ndarray(np.zeros((size[1], size[0], 3), np.uint8), format="rgb24")
                ):
                    out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def test_the_sample_probes_as_mp4_with_its_duration_and_size():
    found = probe(SAMPLE.open("rb"))
    assert (found.container, found.width, found.height) == ("mp4", 1280, 720)
    assert found.duration_s == pytest.approx(100 / 30, abs=0.01)


def test_quicktime_is_recognised(tmp_path):
    found = probe(encode(tmp_path / "clip.mov", "mov", seconds=2, size=(640, 360)).open("rb"))
    assert (found.container, found.width, found.height) == ("mov", 640, 360)
    assert found.duration_s == pytest.approx(2.0, abs=0.05)


def test_a_large_box_size_is_followed(tmp_path):
    data = SAMPLE.read_bytes()
    mdat = data.index(b"mdat") - 4
    size = struct.unpack(">I", data[mdat : mdat + 4])[0]
    wide = data[:mdat] + struct.pack(">I4sQ", 1, b"mdat", size + 8) + data[mdat + 8 :]  # 64-bit size form
    assert probe(io.BytesIO(wide)).duration_s == pytest.approx(3.33, abs=0.01)


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "not an MP4 or QuickTime video"),
        (b"GIF89a" + b"\0" * 100, "not an MP4 or QuickTime video"),
        (b"\x1aE\xdf\xa3" + b"\0" * 100, "not an MP4 or QuickTime video"),  # Matroska/WebM
        (SAMPLE.read_bytes()[:100_000], "damaged or truncated"),
        (SAMPLE.read_bytes()[:40] + b"\0\0\0\x10moov" + b"\0" * 8, "no video track"),
    ],
)
def test_what_is_refused(data, message):
    with pytest.raises(BadRequest, match=message):
        probe(io.BytesIO(data))


def test_audio_only_files_are_refused(tmp_path):
    with pytest.raises(BadRequest, match="no video track"):
        probe(encode(tmp_path / "voice.m4a", "mp4", audio_only=True).open("rb"))


def test_the_duration_limit_names_the_limit():
    with pytest.raises(BadRequest, match="longer than the 2 s limit"):
        probe(SAMPLE.open("rb"), max_duration_s=2)
