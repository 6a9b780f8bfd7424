"""LiftLab analysis engine: pure computation from a side-view lift video to results.

    from shared.analysis import analyze, AnalysisOptions
    result = analyze("lift.mp4", AnalysisOptions(exercise="snatch", bar_mass_kg=100))
    result.metrics["max_bar_speed"]  # m/s

It imports nothing from the cloud; the analysis job and the CLI (`python -m shared.analysis`)
both call `analyze`.
"""

from shared.analysis.errors import (
    AnalysisError,
    InvalidVideo,
    NoBarFound,
    NoLifterFound,
    NotSideView,
    VideoTooLong,
    VideoTooShort,
)
from shared.analysis.pipeline import ENGINE_VERSION, AnalysisOptions, analyze
from shared.analysis.result import LiftResult

__all__ = [
    "analyze",
    "AnalysisOptions",
    "LiftResult",
    "ENGINE_VERSION",
    "AnalysisError",
    "InvalidVideo",
    "NoBarFound",
    "NoLifterFound",
    "NotSideView",
    "VideoTooLong",
    "VideoTooShort",
]
