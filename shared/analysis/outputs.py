"""The engine's outputs on disk: the annotated video, the phase images and result.json."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from shared.analysis import video
from shared.analysis.result import LiftResult


def phase_names(lifts: list, n: int) -> list:
    """The phase each of n frames is in, in whichever lift holds it (None between lifts)."""
    names = [None] * n
    for phases in lifts:
        first, last = phases.phases[0].start_frame, phases.phases[-1].end_frame
        for i in range(first, min(last, n - 1) + 1):
            names[i] = phases.at_frame(i) or names[i]
    return names


def write_outputs(
    clip: video.DecodeOnce,
    result: LiftResult,
    lifts: list,
    primary: int,
    out_dir: Path,
    rendered: Callable[[float], None] | None,
) -> None:
    """result.json and, unless `rendered` is None, the annotated video and the primary lift's
    phase images, into `out_dir`: written in a staging folder first, so that a run that
    fails leaves no half-written outputs. `rendered` is told the share of frames drawn."""
    from shared.analysis.render import TRAIL_S, Annotator, output_size, render_video  # only when rendering

    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=out_dir))
    try:
        if rendered is not None:
            rendered(0.0)
            n = len(result.timestamps_s)
            names = phase_names(lifts, n)
            info = clip.info
            size = output_size(info.out_width, info.out_height)
            speed = np.array([np.nan if v is None else v for v in result.bar["speed_mps"]])
            annotate = Annotator(
                result.lifter_px, result.bar_px, names, speed, size[0] / info.out_width, trail=int(TRAIL_S * info.fps)
            )
            starts = {p.name: p.start_frame for p in lifts[primary].phases}
            images = render_video(
                clip,
                annotate,
                size,
                info.fps,
                staging / "analyzed.mp4",
                starts,
                staging,
                lambda i: rendered((i + 1) / n),
                encoder=result.runtime["encoder"],
            )
            result.outputs = {"analyzed_video": "analyzed.mp4", "phase_images": images}
        (staging / "result.json").write_text(json.dumps(result.to_dict(), allow_nan=False))
        for item in staging.iterdir():
            shutil.move(str(item), out_dir / item.name)
            result.files[item.name] = str(out_dir / item.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
