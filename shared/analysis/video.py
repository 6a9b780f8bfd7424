"""Decode: stream upright RGB frames with their presentation times, one at a time.

Times come from each frame's PTS, because phone clips are often variable frame rate.
Rotation metadata is applied, so frames come out as the viewer sees them. Frames larger
than `max_long_side_px` are scaled down in the decoder (4K phone clips), which keeps
memory and pose time bounded without changing geometry beyond a uniform scale.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterator

import av
import numpy as np

from shared.analysis.errors import InvalidVideo, VideoTooLong, VideoTooShort


@dataclass(frozen=True)
class VideoInfo:
    """What the container says, and the upright size frames are delivered at."""

    codec: str
    width: int
    height: int
    rotation: int
    fps: float
    duration_s: float
    frame_count: int
    out_width: int
    out_height: int

    @property
    def downscaled(self) -> bool:
        return (self.out_width, self.out_height) != self._upright_size()

    def _upright_size(self):
        return (self.height, self.width) if self.rotation % 180 else (self.width, self.height)


@dataclass
class Frame:
    index: int
    t_s: float
    rgb: np.ndarray


def _open(path) -> av.container.InputContainer:
    if not os.path.exists(path):
        raise InvalidVideo(f"The file {os.path.basename(str(path))} does not exist.")
    if os.path.getsize(path) == 0:
        raise InvalidVideo("The file is empty. Please upload the video again.")
    try:
        return av.open(str(path))
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError):
        raise InvalidVideo("This file is not a video we can read. Please upload an MP4 or MOV clip.")


def probe(path, max_duration_s: float, max_long_side_px: int) -> VideoInfo:
    """Read the container header and refuse what we cannot analyse, before decoding anything."""
    with _open(path) as container:
        if not container.streams.video:
            raise InvalidVideo("This file has no video track (is it audio only?). Please upload a video.")
        stream = container.streams.video[0]
        cc = stream.codec_context
        if not cc.width or not cc.height:
            raise InvalidVideo("The video track has no picture size; the file may be damaged.")
        fps = float(stream.average_rate or stream.guessed_rate or 30)
        duration = _duration_s(container, stream)
        if duration > max_duration_s:
            raise VideoTooLong(f"The clip is {duration:.0f} s long; the limit is {max_duration_s:.0f} s. "
                               "Trim it to the lift and upload it again.")
        rotation = _rotation(container, stream)
        upright = (cc.height, cc.width) if rotation % 180 else (cc.width, cc.height)
        scale = min(1.0, max_long_side_px / max(upright))
        out_w, out_h = (int(round(upright[0] * scale / 2)) * 2, int(round(upright[1] * scale / 2)) * 2)
        frames = stream.frames or int(round(duration * fps))
        return VideoInfo(cc.name, cc.width, cc.height, rotation, fps, duration, frames, out_w, out_h)


def _duration_s(container, stream) -> float:
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / av.time_base
    return 0.0


def _rotation(container, stream) -> int:
    """Display rotation in degrees counter-clockwise, from the first decoded frame."""
    try:
        for frame in container.decode(stream):
            return int(round(frame.rotation or 0)) % 360
    except av.error.FFmpegError:
        raise InvalidVideo("The video could not be decoded; the file may be damaged.")
    raise VideoTooShort("The video has no frames. Please film the whole lift.")


def frames(path, info: VideoInfo, warnings: list | None = None) -> Iterator[Frame]:
    """Yield upright frames in order. A stream cut short ends early with a warning."""
    with _open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        k = info.rotation // 90
        size = (info.out_height, info.out_width) if k % 2 else (info.out_width, info.out_height)
        index = 0
        try:
            for frame in container.decode(stream):
                if frame.pts is None:
                    continue
                rgb = frame.to_ndarray(format="rgb24", width=size[0], height=size[1])
                if k:
                    rgb = np.ascontiguousarray(np.rot90(rgb, k=k))
                yield Frame(index, float(frame.pts * frame.time_base), rgb)
                index += 1
        except av.error.FFmpegError as exc:
            if index == 0:
                raise InvalidVideo("The video could not be decoded; the file may be damaged.") from exc
        if warnings is not None and info.frame_count and index < 0.95 * info.frame_count:
            warnings.append(f"The video is damaged or cut short: {index} of {info.frame_count} frames could be "
                            "read, and only those were analysed.")
