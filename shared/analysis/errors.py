"""Typed analysis errors, each with a stable code and a message a coach understands."""


class AnalysisError(Exception):
    """Base of every error the engine raises on purpose."""

    code = "analysis_failed"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message}


class InvalidVideo(AnalysisError):
    """The file is not a video we can read: empty, not a video, audio only, or unreadable."""

    code = "invalid_video"


class VideoTooLong(AnalysisError):
    code = "video_too_long"


class VideoTooShort(AnalysisError):
    code = "video_too_short"


class NoLifterFound(AnalysisError):
    code = "no_lifter_found"


class NoBarFound(AnalysisError):
    """No plate face to measure the bar by, in a clip filmed side-on."""

    code = "no_bar_found"


class NotSideView(AnalysisError):
    """The camera is too far round from side-on to measure the bar path: no plate face shows,
    or the plate's face is turned more than NOT_SIDE_VIEW_DEG from the image plane."""

    code = "not_side_view"


class SlowMotion(AnalysisError):
    """A slow-motion clip whose time base cannot be recovered: no capture rate in the file,
    and no dropped bar to time by its fall."""

    code = "slow_motion"
