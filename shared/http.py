"""HTTP plumbing for the functions: the one place where errors become status codes.

`@endpoint("get_session")` wraps a handler `(request, caller, **path_params) -> dict`
(or a ready `flask.Response`, for CSV):
it checks the method and path against the route manifest, verifies the caller's token,
and turns every `ServiceError` into its status with a JSON `{"error": ...}` body. Anything
unexpected is logged with its trace and answered with a plain 500; no trace reaches the
client.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable

import flask
import orjson
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from shared import routes
from shared.adapters import auth
from shared.config import settings
from shared.domain.errors import BadRequest, NotFound, ServiceError

log = logging.getLogger("liftlab.http")


def json_response(body: dict, status: int = 200) -> flask.Response:
    # orjson: a 2-minute export is ~400,000 numbers, which the json module takes ~0.4 s over.
    return flask.Response(orjson.dumps(body), status=status, mimetype="application/json")


def endpoint(entry_point: str) -> Callable[[Callable], Callable[[flask.Request], flask.Response]]:
    route = routes.by_entry_point(entry_point)

    def wrap(handler):
        @functools.wraps(handler)
        def view(request: flask.Request) -> flask.Response:
            return with_cors(request, answer(request))

        def answer(request: flask.Request) -> flask.Response:
            try:
                params = route.params(request.path)
                if params is None:
                    raise NotFound(f"no such path: {request.path}")
                if request.method == "OPTIONS":
                    return preflight(request)
                if request.method != route.method:
                    return json_response({"error": f"method {request.method} not allowed; use {route.method}"}, 405)
                caller = auth.verify(bearer(request))
                body = handler(request, caller, **params)
                return body if isinstance(body, flask.Response) else json_response(body)
            except ServiceError as exc:
                return json_response(exc.body(), exc.status)
            except HTTPException as exc:  # werkzeug's own refusals are the client's errors, not ours
                return json_response({"error": exc.description or exc.name}, exc.code or 400)
            except Exception:
                log.exception("%s failed", entry_point)
                return json_response({"error": "internal error"}, 500)

        return view

    return wrap


CORS_HEADERS = "Authorization, Content-Type, Idempotency-Key"


def allowed_origin(request: flask.Request) -> str | None:
    """The request's Origin when it is the web viewer's (`LIFTLAB_WEB_ORIGINS`)."""
    origin = request.headers.get("Origin")
    return origin if origin and origin in settings().web_origins else None


def preflight(request: flask.Request) -> flask.Response:
    """A browser's CORS preflight: the methods the manifest has for this path, to the viewer's
    origin only (others get no Access-Control headers, so the browser refuses)."""
    response = flask.Response(status=204)
    if allowed_origin(request):
        methods = sorted({r.method for r in routes.http_routes() if r.params(request.path) is not None})
        response.headers.update(
            {
                "Access-Control-Allow-Methods": ", ".join(methods + ["OPTIONS"]),
                "Access-Control-Allow-Headers": CORS_HEADERS,
                "Access-Control-Max-Age": "3600",
            }
        )
    return response


def with_cors(request: flask.Request, response: flask.Response) -> flask.Response:
    origin = allowed_origin(request)
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Vary"] = "Origin"
    return response


def bearer(request: flask.Request) -> str | None:
    """The caller's Authorization header. Behind API Gateway the function is invoked with the
    gateway's own identity, and the caller's header arrives as X-Forwarded-Authorization."""
    return request.headers.get("X-Forwarded-Authorization") or request.headers.get("Authorization")


FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


def is_form(request: flask.Request) -> bool:
    return request.mimetype in FORM_TYPES


def form_body(request: flask.Request) -> tuple[MultiDict, MultiDict]:
    """A form POST's (fields, files); BadRequest, saying what is wrong, for a body that is no
    form or cannot be read as one (werkzeug would silently read such a body as empty)."""
    multipart = request.mimetype == "multipart/form-data"
    if multipart and not request.mimetype_params.get("boundary"):
        raise BadRequest("the body is multipart/form-data without a boundary in its Content-Type")
    if not is_form(request) and request.content_length:
        raise BadRequest(f"the body must be multipart/form-data, not {request.mimetype or 'untyped data'}")
    try:
        form, files = request.form, request.files
    except RequestEntityTooLarge:
        limit = request.max_form_memory_size
        raise BadRequest(
            "the form is too large to read: "
            + (f"a text field is over {limit // 1000} KB, or " if limit else "")
            + f"it has over {request.max_form_parts} parts"
        ) from None
    if multipart and request.content_length and not form and not files:
        # werkzeug reads a body it cannot parse as empty: a boundary other than the header's,
        # a part cut short, part headers that are not UTF-8.
        raise BadRequest(
            "the multipart body could not be read: check that its parts use the Content-Type's "
            "boundary, are complete, and have UTF-8 headers"
        )
    return form, files


def json_object(request: flask.Request) -> dict:
    """A JSON POST's object ({} for an empty body); BadRequest for any other body."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    if not request.is_json:
        raise BadRequest(
            f"the body must be JSON (Content-Type: application/json), not {request.mimetype or 'untyped data'}"
        )
    try:
        body = json.loads(raw)
    except ValueError:  # UnicodeDecodeError too
        raise BadRequest("the body is not valid JSON (UTF-8)") from None
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    return body


def query_flag(request: flask.Request, name: str) -> bool:
    """A boolean query parameter (`true`/`false`, `1`/`0`); BadRequest otherwise."""
    raw = request.args.get(name)
    if raw is None or raw.lower() in ("false", "0", ""):
        return False
    if raw.lower() in ("true", "1"):
        return True
    raise BadRequest(f"{name} must be true or false")


def query_choice(request: flask.Request, name: str, choices: tuple, default: str) -> str:
    value = request.args.get(name, default).lower()
    if value not in choices:
        raise BadRequest(f"{name} must be one of {', '.join(choices)}")
    return value
