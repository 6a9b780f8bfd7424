"""Errors become status codes in one place, and no trace ever reaches a client."""

from __future__ import annotations

import json
import time

import flask
import pytest

from shared.adapters import auth
from shared.domain import access
from shared.domain.errors import BadRequest, SessionLimitReached, Unauthorized
from shared.http import endpoint

app = flask.Flask(__name__)


@pytest.fixture
def call(monkeypatch):
    """Run a handler wrapped as the get_session endpoint, the token verifier stubbed."""
    monkeypatch.setattr(auth, "verify", lambda header, now=None: access.Caller("u1"))

    def run(handler, method="GET"):
        with app.test_request_context("/weightlifting/sessions/abc/", method=method):
            response = endpoint("get_session")(handler)(flask.request)
        return response.status_code, json.loads(response.get_data())

    return run


def test_an_unexpected_exception_is_a_plain_500(call):
    def broken(request, caller, session_id):
        raise RuntimeError("secret detail /srv/app.py line 3")

    status, body = call(broken)
    assert status == 500 and body == {"error": "internal error"}


@pytest.mark.parametrize(
    "error, status, body",
    [
        (BadRequest("user_id is required"), 400, {"error": "user_id is required"}),
        (Unauthorized("token expired"), 401, {"error": "token expired"}),
        (SessionLimitReached(5), 404, {"error": "session limit reached", "limit": 5}),
    ],
)
def test_service_errors_map_to_their_status(call, error, status, body):
    def failing(request, caller, session_id):
        raise error

    assert call(failing) == (status, body)


def test_path_parameters_reach_the_handler(call):
    assert call(lambda request, caller, session_id: {"id": session_id}) == (200, {"id": "abc"})


def test_a_wrong_method_is_405(call):
    status, body = call(lambda request, caller, session_id: {}, method="DELETE")
    assert status == 405 and "not allowed" in body["error"]


def test_the_expiry_is_checked_against_the_clock(monkeypatch):
    from firebase_admin import auth as firebase_auth

    claims = {"uid": "u1", "exp": time.time() + 600}
    monkeypatch.setattr(firebase_auth, "verify_id_token", lambda token, app=None, check_revoked=False: claims)
    monkeypatch.setattr(auth, "app", lambda: None)
    assert auth.verify("Bearer t").uid == "u1"
    with pytest.raises(Unauthorized, match="token expired"):
        auth.verify("Bearer t", now=time.time() + 3600)


@pytest.mark.parametrize(
    "headers, seen",
    [
        ({"Authorization": "Bearer user-token"}, "Bearer user-token"),
        # Behind API Gateway: Authorization carries the gateway's own identity token.
        (
            {"Authorization": "Bearer gateway-token", "X-Forwarded-Authorization": "Bearer user-token"},
            "Bearer user-token",
        ),
    ],
)
def test_the_callers_token_is_read_behind_the_gateway_too(monkeypatch, headers, seen):
    received = []
    monkeypatch.setattr(auth, "verify", lambda header, now=None: received.append(header) or access.Caller("u1"))
    with app.test_request_context("/weightlifting/sessions/abc/", headers=headers):
        endpoint("get_session")(lambda request, caller, session_id: {"ok": True})(flask.request)
    assert received == [seen]


def test_an_auth_outage_is_a_503_not_a_500(monkeypatch):
    from firebase_admin import exceptions

    from shared.domain.errors import Unavailable

    def down(*args, **kwargs):
        raise exceptions.UnavailableError("the revocation lookup timed out")

    monkeypatch.setattr(auth.firebase_auth, "verify_id_token", down)
    monkeypatch.setattr(auth, "app", lambda: None)
    with pytest.raises(Unavailable):
        auth.verify("Bearer a.b.c")
