"""Faults on the real local stack. Each ends with every session `done`, or `failed` with a
reason: none lost, none analysed to completion twice.

- the job SIGKILLed at 3 points (mid-analysis, mid-upload of the outputs, after `done`
  before exit), and a Storage upload of its outputs interrupted;
- the video upload to Storage interrupted inside the API, then retried with the same
  Idempotency-Key; a client that hangs up mid-body;
- Firestore unavailable (its emulator stopped with SIGSTOP) while a job runs and a read
  is in flight;
- the storage event duplicated, and delayed (the Pub/Sub emulator stopped) past the upload;
- OpenAI answering 500, 429 and slower than the client's time-out.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import threading
import time
from pathlib import Path

import pytest

from shared.adapters.repository import client
from shared.adapters.storage import Storage
from shared.adapters.tasks import task_id
from shared.coach.builtin import SUMMARY_BLOCKS
from shared.coach.facts import Units
from shared.coach.threads import Coaching, thread_id
from tests.cloud.fixtures import SAMPLE, Api, People, deliver
from tests.fake_openai import FakeOpenAI

pytestmark = pytest.mark.slow  # a dozen analyses: `make test` runs them, `make test-fast` does not

FAULTS = Path(__file__).parent / "faults"


@contextlib.contextmanager
def job_fault(stack, fault: str):
    """Jobs started inside this block run with `faults/sitecustomize.py` (first attempt only)."""
    env = stack.dispatcher.env
    saved = {k: env.get(k) for k in ("PYTHONPATH", "LIFTLAB_TEST_FAULT")}
    env["PYTHONPATH"] = f"{FAULTS}{os.pathsep}{env['PYTHONPATH']}"
    env["LIFTLAB_TEST_FAULT"] = fault
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                env.pop(k, None)
            else:
                env[k] = v


@contextlib.contextmanager
def paused(stack, name: str, seconds: float):
    """Stop an emulator's whole process group (SIGSTOP) for `seconds`, then let it go on."""
    group = os.getpgid(stack.processes[name].pid)
    os.killpg(group, signal.SIGSTOP)
    try:
        yield
        time.sleep(seconds)
    finally:
        os.killpg(group, signal.SIGCONT)


def settled(stack, session_id: str, timeout_s: float = 60):
    """The session's dispatcher task once its last run has exited."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        task = stack.dispatcher.tasks[task_id(session_id)]
        if task.state in ("succeeded", "failed"):
            return task
        time.sleep(0.1)
    raise AssertionError(f"task of {session_id} still {task.state}")


def outcomes(stack, session_id: str) -> list[str]:
    """What each job run that got to its end reported (`done`, `finished` = nothing to do
    because an earlier run wrote the results, `failed`); a killed or crashed run reports nothing."""
    log = (stack.run_dir / f"{task_id(session_id)}.log").read_text()
    return re.findall(rf"liftlab\.job INFO session {re.escape(session_id)}: (\w+)$", log, re.MULTILINE)


def series_chunks(session_id: str) -> list[str]:
    return sorted(d.id for d in client().collection("sessions").document(session_id).collection("series").stream())


@pytest.fixture(scope="module")
def reference(stack) -> dict:
    """The sample lift analysed once with no fault: what every recovered run must equal."""
    stack.reset()
    api, people = Api(stack), People()
    sid = api.upload(people.token("lifter"), user_id="lifter").json()["session_id"]
    details = api.wait(sid, people.token("lifter"))
    assert details["status"] == "done", details
    doc = client().collection("sessions").document(sid).get().to_dict()
    return {"metrics": doc["metrics"], "chunks": series_chunks(sid)}


@pytest.mark.parametrize("fault", ["kill-engine", "kill-upload", "kill-done", "storage-error"])
def test_a_job_killed_or_cut_off_is_retried_to_exactly_one_result(reference, api, people, clean_stack, fault):
    token = people.token("lifter")
    with job_fault(clean_stack, fault):
        sid = api.upload(token, user_id="lifter").json()["session_id"]
        details = api.wait(sid, token)
    assert details["status"] == "done", details
    task = settled(clean_stack, sid)
    first = -signal.SIGKILL if fault.startswith("kill") else 1
    assert task.exit_codes == [first, 0], task.exit_codes  # the fault fired, one retry recovered
    # Results are written by one run only: the retry after `kill-done` finds them and stops.
    assert outcomes(clean_stack, sid) == (["finished"] if fault == "kill-done" else ["done"])
    doc = client().collection("sessions").document(sid).get().to_dict()
    assert doc["metrics"] == reference["metrics"] and series_chunks(sid) == reference["chunks"]
    assert "lease" not in doc and "error" not in doc
    names = {b.name for b in Storage().bucket.list_blobs(prefix=f"results/lifter/{sid}/")}
    assert {f"results/lifter/{sid}/{n}" for n in ("analyzed.mp4", "result.json", "export.csv")} <= names


def test_a_job_that_crashes_on_every_attempt_ends_failed_with_a_reason(api, people, clean_stack):
    token = people.token("lifter")
    clean_stack.dispatcher.env["LIFTLAB_TEST_FAULT_EVERY_ATTEMPT"] = "1"
    try:
        with job_fault(clean_stack, "storage-error"):
            sid = api.upload(token, user_id="lifter").json()["session_id"]
            details = api.wait(sid, token)
    finally:
        clean_stack.dispatcher.env.pop("LIFTLAB_TEST_FAULT_EVERY_ATTEMPT", None)
    assert details["status"] == "failed" and details["error"]["code"] == "analysis_crashed", details
    assert "3 times" in details["error"]["message"]
    assert settled(clean_stack, sid).exit_codes == [1, 1, 0]  # the last attempt records it
    assert outcomes(clean_stack, sid) == ["failed"]


def test_an_interrupted_video_upload_fails_with_a_reason_and_a_retry_with_the_same_key_completes(
    api, people, clean_stack, monkeypatch
):
    token = people.token("lifter")
    original = Storage.upload_file

    def interrupted(self, path, fileobj, content_type, metadata=None):
        fileobj.read(4096)  # part of the video went out, then the connection broke
        raise ConnectionResetError("fault injected: Storage connection reset")

    monkeypatch.setattr(Storage, "upload_file", interrupted)
    r = api.request(
        "POST",
        "/weightlifting/sessions/",
        token,
        data={"user_id": "lifter", "exercise_name": "snatch"},
        files={"video": ("lift.mp4", SAMPLE.read_bytes(), "video/mp4")},
        headers={"Idempotency-Key": "upload-retry-1"},
    )
    assert r.status_code == 503 and "retry" in r.json()["error"]
    sessions = list(client().collection("sessions").stream())
    assert len(sessions) == 1
    sid = sessions[0].id
    failed = api.session(sid, token).json()
    assert failed["status"] == "failed" and failed["error"]["code"] == "upload_failed"
    assert not list(Storage().bucket.list_blobs(prefix="videos/"))

    monkeypatch.setattr(Storage, "upload_file", original)
    again = api.request(
        "POST",
        "/weightlifting/sessions/",
        token,
        data={"user_id": "lifter", "exercise_name": "snatch"},
        files={"video": ("lift.mp4", SAMPLE.read_bytes(), "video/mp4")},
        headers={"Idempotency-Key": "upload-retry-1"},
    )
    assert again.status_code == 200 and again.json()["session_id"] == sid
    assert api.wait(sid, token)["status"] == "done"
    assert len(list(client().collection("sessions").stream())) == 1


def test_a_client_that_hangs_up_mid_body_stores_nothing(api, people, clean_stack):
    host, port = clean_stack.api_url.removeprefix("http://").split(":")
    body = SAMPLE.read_bytes()
    head = (
        f"POST /weightlifting/sessions/ HTTP/1.1\r\nHost: {host}\r\n"
        f"Authorization: Bearer {people.token('lifter')}\r\n"
        "Content-Type: multipart/form-data; boundary=xyz\r\n"
        f"Content-Length: {len(body) + 400}\r\n\r\n"
        '--xyz\r\nContent-Disposition: form-data; name="user_id"\r\n\r\nlifter\r\n'
        '--xyz\r\nContent-Disposition: form-data; name="exercise_name"\r\n\r\nsnatch\r\n'
        '--xyz\r\nContent-Disposition: form-data; name="video"; filename="lift.mp4"\r\n'
        "Content-Type: video/mp4\r\n\r\n"
    ).encode()
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(head + body[: len(body) // 2])  # half the video, then gone
    time.sleep(1.0)
    assert list(client().collection("sessions").stream()) == []
    assert not list(Storage().bucket.list_blobs(prefix="videos/"))
    assert api.request("GET", "/weightlifting/sessions/nope/", people.token("lifter")).status_code == 404  # still up


def test_firestore_unavailable_for_a_while_delays_but_loses_nothing(api, people, clean_stack):
    token = people.token("lifter")
    sid = api.upload(token, user_id="lifter").json()["session_id"]
    deadline = time.monotonic() + 120
    while api.session(sid, token).json()["status"] != "processing" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert api.session(sid, token).json()["status"] == "processing"  # the job is mid-run when Firestore stops
    reads: list[int] = []
    reader = threading.Thread(target=lambda: reads.append(api.session(sid, token).status_code))
    with paused(clean_stack, "firestore", seconds=6):
        reader.start()  # a read arrives while Firestore does not answer
    reader.join(timeout=120)
    assert reads == [200]
    details = api.wait(sid, token)
    assert details["status"] == "done", details
    settled(clean_stack, sid)
    assert outcomes(clean_stack, sid) == ["done"]


def test_a_duplicated_and_a_delayed_storage_event_start_one_analysis(api, people, clean_stack):
    token = people.token("lifter")
    with paused(clean_stack, "pubsub", seconds=5):  # the finalize notification waits in Pub/Sub
        sid = api.upload(token, user_id="lifter").json()["session_id"]
        assert api.session(sid, token).json()["status"] == "uploading"
    details = api.wait(sid, token)
    assert details["status"] == "done"
    doc = client().collection("sessions").document(sid).get().to_dict()
    generation = int(doc["video"]["generation"])
    # The same event again, by both delivery routes, after the analysis: nothing new starts.
    assert deliver(clean_stack, doc["video"]["path"], generation) == 200
    assert deliver(clean_stack, doc["video"]["path"], generation, via_pubsub=True) == 200
    time.sleep(1.0)
    assert list(clean_stack.dispatcher.tasks) == [task_id(sid)]
    assert settled(clean_stack, sid).exit_codes == [0]
    assert outcomes(clean_stack, sid) == ["done"]


@pytest.mark.parametrize(
    "fake, provider",
    [
        (dict(errors=(500, 500)), "openai"),  # retried by the client, then written
        (dict(errors=(429,) * 50), "builtin_fallback"),  # rate-limited throughout
        (dict(errors=(500,) * 50), "builtin_fallback"),  # down throughout
        (dict(delay_s=1.0), "builtin_fallback"),  # slower than the client's time-out
    ],
    ids=["500-then-ok", "429-always", "500-always", "timeout"],
)
def test_openai_faults_end_with_every_thread_written(lift, monkeypatch, fake, provider):
    with FakeOpenAI(**fake) as server:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_POLL_EVERY_S", "0.01")
        monkeypatch.setenv("OPENAI_MAX_RETRIES", "2")
        monkeypatch.setenv("OPENAI_TIMEOUT_S", "0.3")
        monkeypatch.setenv("OPENAI_DEADLINE_S", "10")
        coaching, units = Coaching(), Units("metric")
        ids = [thread_id(lift, "summary", key, units) for key in SUMMARY_BLOCKS]
        for key, tid in zip(SUMMARY_BLOCKS, ids):
            coaching._queue(tid, lift, "summary", key, units)
        coaching.write(lift, "summary", units, "task-1")
        coaching.write(lift, "summary", units, "task-2")  # a second delivery of the task
    docs = [client().collection("genai_threads").document(tid).get().to_dict() for tid in ids]
    assert [d["status"] for d in docs] == ["completed"] * len(ids)
    assert all(d["text"] for d in docs)
    assert {d["provider"] for d in docs} == {provider}
