"""Every function behind one local HTTP server, routed by `functions/routes.json`.

HTTP routes are served at their API paths, as the API Gateway would route them. Event
functions take CloudEvents at `/_events/{entry_point}`, where the relay posts them, as
Eventarc would. The web viewer (`web/dist`, built by `make install`) is served at `/app/`,
on the API's origin, with a `config.json` that points it at the Auth emulator.
"""

from __future__ import annotations

import importlib
import logging
import threading
from pathlib import Path

import flask
from cloudevents.exceptions import GenericException as CloudEventError
from cloudevents.http import from_http
from werkzeug.exceptions import HTTPException
from werkzeug.serving import make_server

from shared import routes
from shared.config import settings

WEB = Path(__file__).resolve().parents[2] / "web" / "dist"

log = logging.getLogger("liftlab.router")


def create_app() -> flask.Flask:
    functions = importlib.import_module("functions.main")
    app = flask.Flask("liftlab-local-router")
    # The gateway serves no path with empty segments; werkzeug would redirect `//` (or a
    # `%2F` that decodes to one) to a single slash with an HTML 308 instead of answering.
    app.url_map.merge_slashes = False

    for route in routes.http_routes():
        target = getattr(functions, route.entry_point)
        rule = route.path.replace("{", "<").replace("}", ">")
        # OPTIONS too: the function answers a browser's CORS preflight itself, as deployed.
        app.add_url_rule(
            rule,
            route.name,
            lambda target=target, **_: target(flask.request),
            methods=[route.method, "OPTIONS"],
            strict_slashes=False,
            provide_automatic_options=False,
        )

    events = {r.entry_point: getattr(functions, r.entry_point) for r in routes.routes() if r.trigger != "http"}

    @app.get("/app")
    def viewer_root():
        return flask.redirect("/app/")

    @app.get("/app/")
    @app.get("/app/<path:name>")
    def viewer(name: str = "index.html"):
        if name == "config.json":
            s = settings()
            return {
                "projectId": s.project,
                "apiKey": "local-only",
                "authDomain": f"{s.project}.firebaseapp.com",
                "authEmulator": f"http://{s.auth_emulator_host}" if s.auth_emulator_host else None,
                "apiBase": "",
            }
        if not (WEB / "index.html").exists():
            return {"error": "the web viewer is not built: run make install"}, 404
        return flask.send_from_directory(WEB, name)

    @app.post("/_events/<entry_point>")
    def event(entry_point):
        if entry_point not in events:
            return {"error": f"no event function {entry_point}"}, 404
        try:
            event = from_http(dict(flask.request.headers), flask.request.get_data())
        except CloudEventError as exc:  # as functions-framework answers a request that is no CloudEvent
            return {"error": f"not a CloudEvent: {exc}"}, 400
        events[entry_point](event)
        return {"ok": True}

    @app.errorhandler(404)
    def not_found(_):
        return {"error": f"no such path: {flask.request.path}"}, 404

    @app.errorhandler(405)
    def not_allowed(_):
        return {"error": f"method {flask.request.method} not allowed"}, 405

    @app.errorhandler(HTTPException)
    def other(exc: HTTPException):  # whatever else werkzeug refuses, as JSON like the functions
        return {"error": exc.description or exc.name}, exc.code or 500

    return app


class Router:
    def __init__(self, host: str, port: int):
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no per-request access log
        self.server = make_server(host, port, create_app(), threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.server.host}:{self.server.port}"

    def start(self) -> Router:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
