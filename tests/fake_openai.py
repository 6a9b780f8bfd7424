"""A small OpenAI-compatible server for tests: Conversations and background Responses over
real HTTP on loopback, so the real `openai` client is exercised end to end.

Behaviour is scripted per test through `FakeOpenAI`: how many times a response is
`queued` before it completes, creates that answer 429 or 5xx first (`errors`), every
answer delayed (`delay_s`, to outlast a client's time-out), responses that end `failed`.
It records every request it received.
"""

from __future__ import annotations

import itertools
import threading
import time

import flask
from werkzeug.serving import make_server


class FakeOpenAI:
    def __init__(
        self,
        text: str = "Keep the bar close in the second pull.",
        queued_polls: int = 1,
        rate_limited_creates: int = 0,
        fail: bool = False,
        errors: tuple = (),
        delay_s: float = 0.0,
    ):
        self.text, self.queued_polls, self.fail, self.delay_s = text, queued_polls, fail, delay_s
        self.errors = [429] * rate_limited_creates + list(errors)  # answers to the first creates
        self.requests: list[tuple[str, str, dict | None]] = []
        self.polls: dict[str, int] = {}
        self.ids = itertools.count(1)
        app = flask.Flask("fake-openai")
        app.add_url_rule("/v1/conversations", "conversations", self.conversation, methods=["POST"])
        app.add_url_rule("/v1/responses", "responses", self.create_response, methods=["POST"])
        app.add_url_rule("/v1/responses/<response_id>", "response", self.get_response, methods=["GET"])
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}/v1"

    def __enter__(self) -> FakeOpenAI:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _record(self):
        self.requests.append((flask.request.method, flask.request.path, flask.request.get_json(silent=True)))
        if self.delay_s:
            time.sleep(self.delay_s)

    def conversation(self):
        self._record()
        body = flask.request.get_json()
        return {
            "id": f"conv_{next(self.ids)}",
            "object": "conversation",
            "created_at": int(time.time()),
            "metadata": body.get("metadata") or {},
        }

    def _response(self, response_id: str, status: str, output: list | None = None) -> dict:
        return {
            "id": response_id,
            "object": "response",
            "created_at": int(time.time()),
            "status": status,
            "model": "fake-coach",
            "output": output or [],
            "parallel_tool_calls": False,
            "tool_choice": "auto",
            "tools": [],
            "background": True,
        }

    def create_response(self):
        self._record()
        if self.errors:
            status = self.errors.pop(0)
            kind = "rate_limit" if status == 429 else "server_error"
            return flask.Response(
                f'{{"error": {{"message": "fake {status}", "type": "{kind}"}}}}',
                status=status,
                mimetype="application/json",
                headers={"retry-after-ms": "10"},
            )
        response_id = f"resp_{next(self.ids)}"
        self.polls[response_id] = 0
        return self._response(response_id, "queued")

    def get_response(self, response_id: str):
        self._record()
        if response_id not in self.polls:
            return flask.Response('{"error": {"message": "No such response"}}', status=404, mimetype="application/json")
        self.polls[response_id] += 1
        if self.polls[response_id] <= self.queued_polls:
            return self._response(response_id, "queued" if self.polls[response_id] == 1 else "in_progress")
        if self.fail:
            return self._response(response_id, "failed")
        message = {
            "type": "message",
            "id": f"msg_{response_id}",
            "role": "assistant",
            "status": "completed",
            "content": [{"type": "output_text", "text": self.text, "annotations": []}],
        }
        return self._response(response_id, "completed", [message])
