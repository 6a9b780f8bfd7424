"""Cloud Function entry points, one per route in `routes.json`. Each parses the request,
calls `shared`, and returns JSON; the rules live in `shared.domain.sessions` (writes) and
`shared.domain.reports` (reads)."""

from __future__ import annotations

import functools
import logging
import re

import flask
import functions_framework
from cloudevents.http import CloudEvent

from shared.coach.threads import Coaching
from shared.config import check_environment
from shared.domain.access import Caller
from shared.domain.commands import video_uploaded
from shared.domain.reports import Reports
from shared.domain.sessions import Sessions
from shared.http import endpoint, form_body, is_form, json_object, query_choice, query_flag

check_environment()
log = logging.getLogger("liftlab.functions")


@functools.cache
def sessions() -> Sessions:
    return Sessions()


@functools.cache
def reports() -> Reports:
    return Reports()


@functools.cache
def coaching() -> Coaching:
    return Coaching()


@functions_framework.http
@endpoint("create_session")
def create_session(request: flask.Request, caller: Caller) -> dict | flask.Response:
    form, files = form_body(request)
    return sessions().create(caller, form, files.get("video"), request.headers.get("Idempotency-Key"))


@functions_framework.http
@endpoint("create_upload_url")
def create_upload_url(request: flask.Request, caller: Caller) -> dict | flask.Response:
    form = form_body(request)[0] if is_form(request) else json_object(request)  # JSON, as documented, or a form
    return sessions().create_upload_url(caller, form, request.headers.get("Idempotency-Key"))


@functions_framework.http
@endpoint("list_sessions")
def list_sessions(request: flask.Request, caller: Caller) -> dict | flask.Response:
    return reports().list_sessions(caller, request.args, demo=query_flag(request, "demo"))


@functions_framework.http
@endpoint("compare_sessions")
def compare_sessions(request: flask.Request, caller: Caller) -> dict | flask.Response:
    return reports().compare(caller, request.args)


@functions_framework.http
@endpoint("get_progress")
def get_progress(request: flask.Request, caller: Caller, user_id: str) -> dict | flask.Response:
    return reports().progress(caller, user_id, request.args, demo=query_flag(request, "demo"))


@functions_framework.http
@endpoint("get_session")
def get_session(request: flask.Request, caller: Caller, session_id: str) -> dict | flask.Response:
    return reports().details(caller, session_id, demo=query_flag(request, "demo"))


@functions_framework.http
@endpoint("export_session")
def export_session(request: flask.Request, caller: Caller, session_id: str) -> dict | flask.Response:
    demo = query_flag(request, "demo")
    if query_choice(request, "format", ("json", "csv"), "json") == "csv":
        body = reports().export_csv(caller, session_id, demo=demo)
        name = "demo" if demo else re.sub(r"[^A-Za-z0-9_-]", "", session_id) or "export"
        return flask.Response(
            body, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}.csv"'}
        )
    return reports().export(caller, session_id, demo=demo, joints=request.args.get("body_joint_angles"))


@functions_framework.http
@endpoint("get_analysis")
def get_analysis(request: flask.Request, caller: Caller, session_id: str) -> dict | flask.Response:
    return reports().analysis(
        caller, session_id, demo=query_flag(request, "demo"), measurement_system=request.args.get("measurement_system")
    )


@functions_framework.http
@endpoint("get_summary")
def get_summary(request: flask.Request, caller: Caller, session_id: str) -> dict | flask.Response:
    return reports().summary(
        caller, session_id, demo=query_flag(request, "demo"), measurement_system=request.args.get("measurement_system")
    )


@functions_framework.http
@endpoint("create_summary_threads")
def create_summary_threads(request: flask.Request, caller: Caller, session_id: str) -> dict | flask.Response:
    return coaching().request(caller, session_id, "summary", request.args.get("measurement_system"))


@functions_framework.http
@endpoint("create_recommendation_threads")
def create_recommendation_threads(request: flask.Request, caller: Caller, session_id: str) -> dict | flask.Response:
    return coaching().request(caller, session_id, "recommendation", request.args.get("measurement_system"))


@functions_framework.http
@endpoint("get_recommendations")
def get_recommendations(request: flask.Request, caller: Caller, session_id: str) -> dict | flask.Response:
    return coaching().status(caller, session_id, request.args.get("measurement_system"))


@functions_framework.cloud_event
def on_video_uploaded(event: CloudEvent) -> None:
    found = video_uploaded(event["type"], event.data)
    outcome = sessions().on_video_uploaded(found)
    log.info("storage event %s %s: %s", event["id"], found and found.name, outcome)
