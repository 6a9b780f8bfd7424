"""Sniff and probe an uploaded video before accepting it, without the engine's heavy
dependencies (the upload function must stay light).

Phones record MP4 or QuickTime, both ISO base media files: a sequence of boxes, with the
movie header (`mvhd`: timescale, duration) and one track header (`tkhd`: width, height)
plus a handler (`hdlr` = `vide`) per track inside `moov`. The `moov` box may come before
or after the media data, so the whole file is scanned by box headers, never read whole.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO

from shared.domain.errors import BadRequest

TOP_LEVEL_BOXES = {b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"uuid", b"pnot", b"meta"}
CONTAINER_BOXES = {b"moov", b"trak", b"mdia"}


@dataclass(frozen=True)
class VideoProbe:
    container: str  # "mp4" or "mov"
    duration_s: float
    width: int
    height: int


def _boxes(f: BinaryIO, start: int, end: int):
    """(type, payload_start, payload_end) for each box in [start, end)."""
    pos = start
    while pos + 8 <= end:
        f.seek(pos)
        header = f.read(8)
        if len(header) < 8:
            return
        size, kind = struct.unpack(">I4s", header)
        payload = pos + 8
        if size == 1:
            large = f.read(8)
            if len(large) < 8:
                return
            size, payload = struct.unpack(">Q", large)[0], pos + 16
        elif size == 0:
            size = end - pos
        if size < payload - pos or pos + size > end:
            raise ValueError(f"box {kind!r} overruns the file")
        yield kind, payload, pos + size
        pos += size


def _movie_header(f: BinaryIO, start: int) -> tuple[int, int]:
    f.seek(start)
    version = f.read(1)[0]
    f.seek(start + (20 if version == 1 else 12))
    if version == 1:
        timescale, duration = struct.unpack(">IQ", f.read(12))
    else:
        timescale, duration = struct.unpack(">II", f.read(8))
    return timescale, duration


def _track(f: BinaryIO, start: int, end: int) -> tuple[str, int, int]:
    handler, width, height = "", 0, 0
    for kind, p0, p1 in _boxes(f, start, end):
        if kind == b"tkhd":
            f.seek(p1 - 8)
            w, h = struct.unpack(">II", f.read(8))
            width, height = w >> 16, h >> 16
        elif kind == b"mdia":
            for sub, q0, _ in _boxes(f, p0, p1):
                if sub == b"hdlr":
                    f.seek(q0 + 8)
                    handler = f.read(4).decode("latin-1")
    return handler, width, height


def probe(f: BinaryIO, max_duration_s: float | None = None) -> VideoProbe:
    """Probe an uploaded file; BadRequest naming the `video` field when it is not a
    video we accept."""
    f.seek(0, 2)
    end = f.tell()
    f.seek(0)
    head = f.read(12)
    if len(head) < 12 or head[4:8] not in TOP_LEVEL_BOXES:
        raise BadRequest("video: not an MP4 or QuickTime video")
    container, movie, tracks = "mp4", None, []
    try:
        for kind, p0, p1 in _boxes(f, 0, end):
            if kind == b"ftyp":
                f.seek(p0)
                container = "mov" if f.read(4) == b"qt  " else "mp4"
            elif kind == b"moov":
                for sub, q0, q1 in _boxes(f, p0, p1):
                    if sub == b"mvhd":
                        movie = _movie_header(f, q0)
                    elif sub == b"trak":
                        tracks.append(_track(f, q0, q1))
    except (ValueError, struct.error, IndexError):
        raise BadRequest("video: the file is damaged or truncated") from None
    video_tracks = [(w, h) for handler, w, h in tracks if handler == "vide"]
    if movie is None or not video_tracks:
        raise BadRequest("video: the file has no video track")
    timescale, duration = movie
    duration_s = duration / timescale if timescale else 0.0
    if duration_s <= 0:
        raise BadRequest("video: the video is empty")
    if max_duration_s is not None and duration_s > max_duration_s:
        raise BadRequest(f"video: {duration_s:.0f} s is longer than the {max_duration_s:.0f} s limit")
    width, height = video_tracks[0]
    return VideoProbe(container, round(duration_s, 3), width, height)
