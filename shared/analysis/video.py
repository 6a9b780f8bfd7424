"""Decode: stream upright RGB frames with their presentation times, one at a time.

Times come from each frame's PTS, because phone clips are often variable frame rate.
Rotation and pixel-aspect (SAR) metadata are applied, so frames come out as the viewer sees
them, in square pixels. Frames larger than `max_long_side_px` are scaled down in the decoder.
Metric accuracy depends on the plate's size in pixels relative to tracking error, not on resolution as such: at 1280 px
the plate is still ~110 px across, and decoding, tracking and pose all get cheaper.
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

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
    max_duration_s: float = float("inf")  # enforced while decoding too: some containers state none
    pixel_aspect: float = 1.0  # the stored pixels' width / height (SAR); frames are delivered square
    capture_fps: float | None = None  # pictures a second the camera took, where the file says (slow motion)

    @property
    def downscaled(self) -> bool:
        return (self.out_width, self.out_height) != self.display_size

    @property
    def long_side_px(self) -> int:
        return max(self.width, self.height)

    @property
    def display_size(self) -> tuple:
        """(width, height) the viewer sees: upright, in square pixels (SAR applied)."""
        return display_size(self.width, self.height, self.rotation, self.pixel_aspect)

    @property
    def display_per_analysis_px(self) -> tuple:
        """(x, y) display pixels per pixel of the frames the engine analyses."""
        w, h = self.display_size
        return w / self.out_width, h / self.out_height


def display_size(width: int, height: int, rotation: int, pixel_aspect: float) -> tuple:
    """Upright square-pixel size of a stored picture: non-square pixels widen (SAR > 1) or
    heighten it, then a quarter turn swaps its sides."""
    w, h = (width * pixel_aspect, height) if pixel_aspect >= 1 else (width, height / pixel_aspect)
    w, h = int(round(w)), int(round(h))
    return (h, w) if rotation % 180 else (w, h)


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
        raise InvalidVideo("This file is not a video we can read. Please upload an MP4 or MOV clip.") from None


def probe(path: str | Path, max_duration_s: float, max_long_side_px: int) -> VideoInfo:
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
            raise VideoTooLong(
                f"The clip is {duration:.0f} s long; the limit is {max_duration_s:.0f} s. "
                "Trim it to the lift and upload it again."
            )
        rotation = _rotation(container, stream)
        sar = stream.sample_aspect_ratio or cc.sample_aspect_ratio
        pixel_aspect = float(sar) if sar and float(sar) > 0 else 1.0
        upright = display_size(cc.width, cc.height, rotation, pixel_aspect)
        scale = min(1.0, max_long_side_px / max(upright))
        out_w, out_h = (int(round(upright[0] * scale / 2)) * 2, int(round(upright[1] * scale / 2)) * 2)
        frames = stream.frames or int(round(duration * fps))
        return VideoInfo(
            cc.name,
            cc.width,
            cc.height,
            rotation,
            fps,
            duration,
            frames,
            out_w,
            out_h,
            max_duration_s,
            pixel_aspect,
            _capture_fps(container, stream),
        )


def _capture_fps(container, stream) -> float | None:
    """The camera's capture rate where the container carries one (Android writes
    `com.android.capture.fps`; other tags naming a capture rate are read the same way)."""
    for tags in (stream.metadata, container.metadata):
        for key, value in tags.items():
            name = key.lower()
            if "capture" in name and ("fps" in name or "rate" in name):
                try:
                    fps = float(value)
                except ValueError:
                    continue
                if np.isfinite(fps) and fps > 0:
                    return fps
    return None


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
        raise InvalidVideo("The video could not be decoded; the file may be damaged.") from None
    raise VideoTooShort("The video has no frames. Please film the whole lift.")


def frames(
    path: str | Path, info: VideoInfo, cut_short: Callable[[str], None] | None = None, step: int = 1
) -> Iterator[Frame]:
    """Yield upright frames in order (every `step`-th; the others are decoded, not converted).
    A stream cut short ends early, and says so to `cut_short`."""
    with _open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        k = info.rotation // 90
        size = (info.out_height, info.out_width) if k % 2 else (info.out_width, info.out_height)
        index, last_t = 0, float("-inf")
        try:
            for frame in container.decode(stream):
                t_s = None if frame.pts is None else float(frame.pts * frame.time_base)
                if t_s is None or t_s <= last_t:  # no time, or a repeated/out-of-order one
                    continue
                last_t = t_s
                if t_s > info.max_duration_s:
                    raise VideoTooLong(
                        f"The clip runs past the {info.max_duration_s:.0f} s limit. "
                        "Trim it to the lift and upload it again."
                    )
                if index % step:
                    index += 1
                    continue
                rgb = frame.to_ndarray(format="rgb24", width=size[0], height=size[1], interpolation="BILINEAR")
                if k:
                    rgb = np.ascontiguousarray(np.rot90(rgb, k=k))
                yield Frame(index, t_s, rgb)
                index += 1
        except av.error.FFmpegError as exc:
            if index == 0:
                raise InvalidVideo("The video could not be decoded; the file may be damaged.") from exc
        if cut_short is not None and info.frame_count and index < 0.95 * info.frame_count:
            cut_short(
                f"The video is damaged or cut short: {index} of {info.frame_count} frames could be "
                "read, and only those were analysed."
            )


class DecodeOnce:
    """A clip's frames for the engine's passes, decoded once when they fit in memory.

    A clip whose header says it fits in `keep_frames` is decoded once, in a thread that the
    first read starts and that runs on to the end ahead of the passes, holding every frame
    (read-only; `Held`). The lifter scan's looks then come from it (`every`) while the rest
    decodes, and later passes replay it. Should the clip prove longer, the pass that reads
    past the frames held gets the rest from a decode of its own, and later passes decode as
    for a clip that does not fit: each in a prefetch thread that overlaps the pass's own
    work. Only the first decode to the end reports a cut-short stream, in `warnings`."""

    def __init__(self, path: str | Path, info: VideoInfo, keep_frames: int):
        self.path, self.info, self.keep_frames = path, info, keep_frames
        self.warnings: list[str] = []  # for the person filming: the stream was cut short
        self._reported = False
        self._held: Held | None = None

    @property
    def all_kept(self) -> bool:
        return self._held is not None and self._held.whole

    def release(self) -> None:
        """No further passes: stop decoding, and let the frames held go."""
        held, self._held, self.keep_frames = self._held, None, 0
        if held is not None:
            held.close()

    def every(self, step: int) -> Iterator[Frame]:
        """Every `step`-th frame: those held when the clip fits (starting its decode), or
        else from a decode of their own that converts only those."""
        if self._held is not None or self.keep_frames:
            return (frame for frame in self if frame.index % step == 0)
        return frames(self.path, self.info, step=step)

    def __iter__(self) -> Iterator[Frame]:
        if self._held is None and self.keep_frames:
            self._reported = True
            self._held = Held(frames(self.path, self.info, self.warnings.append), self.keep_frames)
        if self._held is not None:
            held = self._held
            yield from held
            if not held.over:
                return
            # longer than its header said: the rest for this pass, and no frames held later
            self._held, self.keep_frames, self._reported = None, 0, False
            skip = len(held.frames)
            del held
        else:
            skip = 0
        report, self._reported = (None if self._reported else self.warnings.append), True
        try:
            with contextlib.closing(Prefetched(frames(self.path, self.info, report))) as decoded:
                yield from (frame for frame in decoded if frame.index >= skip)
        except GeneratorExit:  # stopped early: it reported nothing, so the next pass will
            self._reported = self._reported and report is None
            raise


class Held:
    """Every frame of `source`, decoded in a thread of its own up to the end or `budget`
    frames, whichever comes first, and held (read-only) for any number of readers; `over`
    when there are more. The decode's error reaches each reader after the frames before it."""

    def __init__(self, source: Iterator[Frame], budget: int):
        self.frames: list[Frame] = []
        self.done = self.over = self.stopped = False
        self.error: BaseException | None = None
        self.cond = threading.Condition()
        self.thread = threading.Thread(target=self._decode, args=(source, budget), daemon=True)
        self.thread.start()

    @property
    def whole(self) -> bool:
        return self.done and not (self.over or self.stopped or self.error)

    def _decode(self, source: Iterator[Frame], budget: int):
        try:
            with contextlib.closing(source) as decoded:
                for frame in decoded:
                    frame.rgb.flags.writeable = False  # shared by the passes
                    with self.cond:
                        self.over = len(self.frames) >= budget
                        if self.over or self.stopped:
                            return
                        self.frames.append(frame)
                        self.cond.notify_all()
        except BaseException as exc:  # handed to the readers, raised there
            self.error = exc
        finally:
            with self.cond:
                self.done = True
                self.cond.notify_all()

    def __iter__(self) -> Iterator[Frame]:
        i = 0
        while True:
            with self.cond:
                self.cond.wait_for(lambda i=i: i < len(self.frames) or self.done)
                if i >= len(self.frames):
                    break
                frame = self.frames[i]
            yield frame
            i += 1
        if self.error is not None:
            raise self.error

    def close(self) -> None:
        with self.cond:
            self.stopped = True
        self.thread.join()
        self.frames = []


_DONE = object()


class Prefetched:
    """Iterate `items` in a background thread, started at once, `depth` ahead: decoding (which
    releases the GIL) then overlaps the caller's work, from before the caller's first look.
    Exceptions reach the caller in order. `close()` stops the thread, iterated or not."""

    def __init__(self, items: Iterable, depth: int = 4):
        self.q: queue.Queue = queue.Queue(maxsize=depth)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._produce, args=(items,), daemon=True)
        self.thread.start()

    def _produce(self, items: Iterable):
        try:
            for item in items:
                if self.stop.is_set():
                    return
                self.q.put(item)
            self.q.put(_DONE)
        except BaseException as exc:  # handed to the consumer, raised there
            self.q.put(exc)

    def __iter__(self) -> Iterator:
        return self

    def __next__(self):
        item = _DONE if self.stop.is_set() else self.q.get()
        if item is _DONE or isinstance(item, BaseException):
            self.close()
            if item is _DONE:
                raise StopIteration
            raise item
        return item

    def close(self) -> None:
        self.stop.set()
        while self.thread.is_alive():  # unblock a producer waiting on a full queue
            with contextlib.suppress(queue.Empty):
                self.q.get(timeout=0.05)


BAR_LUMA = 24  # grey levels: a letterbox or pillarbox bar is this dark or darker across its whole line
MIN_BAR_SHARE = 0.02  # of the frame's side: thinner dark edges are the picture's own


def picture_box(rgb: np.ndarray) -> tuple:
    """(x0, y0, x1, y1): the picture inside letterbox or pillarbox bars (and black
    stabilisation borders): edge rows and columns that are dark all the way across, at least
    MIN_BAR_SHARE of the side thick. The whole frame when there are none."""
    grey = rgb.mean(axis=2) if rgb.ndim == 3 else rgb.astype(float)
    h, w = grey.shape

    def bar(lines: np.ndarray) -> int:  # how many lines from the edge are dark all the way across
        dark = np.percentile(lines, 99, axis=1) <= BAR_LUMA
        n = int(np.argmin(dark)) if not dark.all() else len(dark)
        return n if n >= MIN_BAR_SHARE * len(dark) and n < len(dark) else 0

    top, bottom = bar(grey), bar(grey[::-1])
    left, right = bar(grey.T), bar(grey.T[::-1])
    return left, top, w - right, h - bottom
