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
