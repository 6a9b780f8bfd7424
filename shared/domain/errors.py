"""Typed service errors. Each carries its HTTP status; `shared.http` maps them once."""

from __future__ import annotations


class ServiceError(Exception):
    status = 500

    def __init__(self, message: str, **extra):
        super().__init__(message)
        self.message = message
        self.extra = extra

    def body(self) -> dict:
        return {"error": self.message, **self.extra}


class BadRequest(ServiceError):
    status = 400


class Unauthorized(ServiceError):
    status = 401


class Forbidden(ServiceError):
    status = 403


class PlanRequired(Forbidden):
    """The session's owner has no active plan."""


class NotFound(ServiceError):
    status = 404


class SessionNotFound(NotFound):
    def __init__(self, session_id: str):
        super().__init__(f"session {session_id} not found")


class SessionLimitReached(NotFound):
    """The spec documents 404 for the monthly limit, and client apps depend on it."""

    def __init__(self, limit: int):
        super().__init__("session limit reached", limit=limit)


class NotReady(ServiceError):
    status = 409


class Unavailable(ServiceError):
    status = 503
