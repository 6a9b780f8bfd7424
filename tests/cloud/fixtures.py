"""The local stack for the cloud and reliability tests (a pytest plugin, see tests/conftest.py):
started once per test session by the same script as `make run` (on free ports), emptied
before each test, stopped at the end."""

from __future__ import annotations

import base64
import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from infra.local.accounts import create_user, id_token
from infra.local.relay import cloud_event_headers, pubsub_event_headers
from infra.local.stack import BUCKET, Ports, Stack, stop_on_signals
from shared import demo
from shared.adapters.repository import Repository
from shared.adapters.storage import Storage
from tests.cloud.contract import check

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "tests" / "data" / "sample_snatch.mp4"
JOB_POSE_MODEL = "full"


@pytest.fixture(scope="session")
def stack():
    stop_on_signals()  # a SIGTERM to pytest still runs this fixture's teardown
    with Stack(Ports.free(), job_backoff_s=0.3, project=f"demo-liftlab-test{os.getpid()}") as running:
        # The jobs here pose with MediaPipe's full model (the deploy setting LIFTLAB_POSE_MODEL), at
        # 0.6 of the default's CPU time: these tests check the path a session takes, and its
        # results against a run on the same stack; the engine's numbers are tests/engine's.
        running.dispatcher.env["LIFTLAB_POSE_MODEL"] = JOB_POSE_MODEL
        yield running


@pytest.fixture
def clean_stack(stack):
    stack.reset()
    return stack


class Api:
    """The HTTP API as a client app sees it."""

    def __init__(self, stack: Stack):
        self.url, self.stack = stack.api_url, stack

    def request(self, method: str, path: str, token: str | None = None, **kw) -> requests.Response:
        headers = kw.pop("headers", {})
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return requests.request(method, self.url + path, headers=headers, timeout=120, **kw)

    def upload(
        self, token: str | None, video: Path | bytes | None = SAMPLE, filename: str = "lift.mp4", **fields
    ) -> requests.Response:
        data = {"exercise_name": "snatch", **fields}
        data = {k: v for k, v in data.items() if v is not None}
        files = None
        if video is not None:
            content = video.read_bytes() if isinstance(video, Path) else video
            files = {"video": (filename, content, "video/mp4")}
        return check(
            self.request("POST", "/weightlifting/sessions/", token, data=data, files=files),
            "POST",
            "/weightlifting/sessions/",
        )

    def session(self, session_id: str, token: str, **params) -> requests.Response:
        r = self.request("GET", f"/weightlifting/sessions/{session_id}/", token, params=params)
        return check(r, "GET", "/weightlifting/sessions/{session_id}/")

    def wait(self, session_id: str, token: str, until=("done", "failed"), timeout_s: float = 240) -> dict:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            details = self.session(session_id, token).json()
            if details.get("status") in until:
                return details
            time.sleep(0.3)
        raise AssertionError(f"session {session_id} never reached {until}: {details}")


@pytest.fixture
def api(clean_stack) -> Api:
    return Api(clean_stack)


class People:
    """admin; coach (sub_admin of club-a); rival_coach (sub_admin of club-b); lifter and
    teammate (club-a, with plans); outsider (no org)."""

    def __init__(self):
        create_user("admin", role="admin")
        create_user("coach", role="sub_admin", org_id="club-a")
        create_user("rival-coach", role="sub_admin", org_id="club-b")
        create_user(
            "lifter",
            org_id="club-a",
            profile={
                "weight_kg": 80.0,
                "height_cm": 175.0,
                "age": 26,
                "timezone": "Asia/Tokyo",
                "display_name": "Lena Lifter",
            },
        )
        create_user("teammate", org_id="club-a")
        create_user("outsider")
        self._tokens: dict[str, str] = {}

    def token(self, uid: str) -> str:
        if uid not in self._tokens:
            self._tokens[uid] = id_token(uid)
        return self._tokens[uid]


@pytest.fixture
def people(clean_stack) -> People:
    return People()


RESULT = json.loads((demo.DEMO_DIR / "result.json").read_text())


@pytest.fixture
def lift(people) -> str:
    """The lifter's finished snatch: a real engine run (the demo clip's result, `RESULT`),
    stored through the job's own publish step."""
    session = {k: v for k, v in new_session("lifter").items() if k not in ("status", "progress", "video")}
    assert demo.store_finished(Repository(), Storage(), "lift1", session, demo.DEMO_DIR)
    return "lift1"


def forged_token(real_token: str, **claims) -> str:
    """The Auth emulator's tokens are unsigned (alg none): change claims and re-encode."""
    header, payload, _ = real_token.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data.update(claims)
    encoded = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    return f"{header}.{encoded}."


ORGS = {"coach": "club-a", "rival-coach": "club-b", "lifter": "club-a", "teammate": "club-a"}  # as People makes them


def new_session(user_id: str, status: str = "uploading") -> dict:
    """A session document as the upload endpoint writes it (with its owner's org)."""
    return {
        "user_id": user_id,
        "org_id": ORGS.get(user_id),
        "created_by": user_id,
        "activity": "Weightlifting",
        "exercise": "snatch",
        "title": "Test",
        "barbell_mass_kg": 100.0,
        "joints": ["all"],
        "status": status,
        "progress": 0,
        "created_at": datetime.now(UTC),
        "video": {},
    }


def deliver(stack: Stack, name: str, generation: int, bucket: str = BUCKET, via_pubsub: bool = False) -> int:
    """POST one storage-finalize CloudEvent to the function: a direct Eventarc storage event,
    or (`via_pubsub`) the bucket notification's message through a topic trigger, as the relay
    and the deployed trigger do."""
    data = {"bucket": bucket, "name": name, "generation": str(generation), "size": "1000", "contentType": "video/mp4"}
    message = {
        "messageId": f"m-{generation}-{time.monotonic_ns()}",
        "publishTime": "2026-11-28T12:00:00Z",
        "attributes": {"bucketId": bucket, "objectId": name, "eventType": "OBJECT_FINALIZE"},
        "data": base64.b64encode(json.dumps(data).encode()).decode(),
    }
    if via_pubsub:
        data = {"message": message, "subscription": f"projects/{stack.project}/subscriptions/s"}
        headers = pubsub_event_headers(message, stack.project, "t")
    else:
        headers = cloud_event_headers(message)
    r = requests.post(f"{stack.api_url}/_events/on_video_uploaded", json=data, headers=headers, timeout=30)
    return r.status_code
