"""Cloud Function entry points, one per route in `routes.json`. Each parses the request,
calls `shared`, and returns JSON; the rules live in `shared.sessions`."""
from __future__ import annotations

import logging

import functions_framework

from shared.config import check_environment
from shared.http import endpoint, query_flag
from shared.sessions import Sessions

check_environment()
log = logging.getLogger("liftlab.functions")

_sessions = None


def sessions() -> Sessions:
    global _sessions
    if _sessions is None:
        _sessions = Sessions()
    return _sessions


@functions_framework.http
@endpoint("create_session")
def create_session(request, caller):
    return sessions().create(caller, request.form, request.files.get("video"),
                             request.headers.get("Idempotency-Key"))


@functions_framework.http
@endpoint("create_upload_url")
def create_upload_url(request, caller):
    form = request.get_json(silent=True) if request.is_json else request.form
    return sessions().create_upload_url(caller, form or {}, request.headers.get("Idempotency-Key"))


@functions_framework.http
@endpoint("get_session")
def get_session(request, caller, session_id):
    return sessions().details(caller, session_id, demo=query_flag(request, "demo"))


@functions_framework.cloud_event
def on_video_uploaded(event):
    outcome = sessions().on_video_uploaded(event.data)
    log.info("storage event %s %s: %s", event["id"], event.data.get("name"), outcome)
