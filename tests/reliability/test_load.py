"""Load on the local stack, loopback only, bounded in count and time, stopping by itself.

- 50 upload requests at once through the real API (multipart, token check, probe, quota
  transaction, Storage), for SESSIONS sessions: the requests for one session are a client
  retrying with the same Idempotency-Key while its first request is still in flight. Each
  session is then processed by the real job: none lost, each analysed once. The local
  dispatcher runs 2 jobs at a time on this 2-core machine (in production each is its own Cloud
  Run execution). `make test` runs 10 sessions, five requests each (the analyses are what
  takes the time); `make bench` runs 50, one request each (LIFTLAB_LOAD_SESSIONS=50), and
  writes the figures to docs/load.md.
- 100 concurrent clients reading a finished session's payloads.
Latency p50/p99 and throughput are printed (`pytest -s tests/reliability/test_load.py`).
"""

from __future__ import annotations

import datetime
import os
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from shared.adapters.repository import client
from shared.adapters.tasks import task_id
from tests.cloud.fixtures import JOB_POSE_MODEL, SAMPLE

pytestmark = pytest.mark.slow  # minutes of analyses: `make test` runs them, `make test-fast` does not

UPLOADS = 50
SESSIONS = int(os.environ.get("LIFTLAB_LOAD_SESSIONS", "10"))
READERS = 100
READS_PER_CLIENT = 10
READ_PATHS = (
    "/weightlifting/sessions/{id}/",
    "/weightlifting/sessions/{id}/analysis/",
    "/weightlifting/sessions/{id}/summary/",
    "/weightlifting/sessions/{id}/export/",
    "/weightlifting/sessions/{id}/export/?format=csv",
)


def percentiles(seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p99 = ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]
    return f"p50 {statistics.median(ordered) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms"


DOCS_PAGE = Path(__file__).resolve().parents[2] / "docs" / "load.md"
REPORTED: list[str] = []


def report(capsys, line: str) -> None:
    with capsys.disabled():
        print(f"\n[load] {line}")
    REPORTED.append(line)


@pytest.fixture(scope="module", autouse=True)
def load_page():
    """Under `make bench` (LIFTLAB_LOAD_SESSIONS set), the figures go to docs/load.md."""
    yield
    if "LIFTLAB_LOAD_SESSIONS" in os.environ and REPORTED:
        command = f"LIFTLAB_LOAD_SESSIONS={SESSIONS} python -m pytest -s tests/reliability/test_load.py"
        lines = ["# Load on the local stack", "", f"`{command}`, {datetime.date.today().isoformat()}", ""]
        DOCS_PAGE.write_text("\n".join(lines + [f"- {line}" for line in REPORTED]) + "\n")


@pytest.fixture
def two_jobs_at_a_time(clean_stack):
    clean_stack.dispatcher.add_worker()
    yield clean_stack
    clean_stack.dispatcher.remove_worker()


def test_50_concurrent_uploads_are_all_processed_none_lost_none_twice(api, people, two_jobs_at_a_time, capsys):
    """SESSIONS sessions from 50 requests at once; a session's requests share a key."""
    stack = two_jobs_at_a_time
    token, video = people.token("lifter"), SAMPLE.read_bytes()

    retries = []

    def upload(i: int) -> tuple[int, float, str | None]:
        """As a client app does: a 503 is retried with the same Idempotency-Key, with backoff."""
        t = time.monotonic()
        for attempt in range(6):
            r = requests.post(
                f"{api.url}/weightlifting/sessions/",
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": f"load-{i % SESSIONS}"},
                data={"user_id": "lifter", "exercise_name": "snatch"},
                files={"video": ("lift.mp4", video, "video/mp4")},
                timeout=300,
            )
            if r.status_code != 503:
                break
            retries.append(i)
            time.sleep(0.5 * 2**attempt)
        return r.status_code, time.monotonic() - t, r.json().get("session_id")

    start = time.monotonic()
    with ThreadPoolExecutor(UPLOADS) as pool:
        answers = list(pool.map(upload, range(UPLOADS)))
    uploaded_s = time.monotonic() - start
    assert [code for code, _, _ in answers] == [200] * UPLOADS
    ids = {sid for _, _, sid in answers}
    assert len(ids) == SESSIONS
    # one session a key, whichever of its requests came first
    assert all(answers[i][2] == answers[i % SESSIONS][2] for i in range(UPLOADS))
    report(
        capsys,
        f"{UPLOADS} concurrent uploads (160 KB each) for {SESSIONS} sessions: "
        f"{percentiles([s for _, s, _ in answers])}, "
        f"all accepted in {uploaded_s:.1f} s ({UPLOADS / uploaded_s:.1f} uploads/s); "
        f"{len(retries)} answers were 503 and retried with the same key",
    )

    deadline = time.monotonic() + 1800  # bounded; 50 sessions took 341-782 s here
    pending = set(ids)
    while pending and time.monotonic() < deadline:
        for snap in client().collection("sessions").stream():
            if snap.id in pending and snap.get("status") in ("done", "failed"):
                pending.discard(snap.id)
        time.sleep(1.0)
    processed_s = time.monotonic() - start
    assert not pending, f"{len(pending)} sessions never finished"
    docs = {snap.id: snap.to_dict() for snap in client().collection("sessions").stream()}
    assert set(docs) == ids  # nothing extra, nothing lost
    assert [d["status"] for d in docs.values()] == ["done"] * SESSIONS
    tasks = stack.dispatcher.tasks
    assert sorted(tasks) == sorted(task_id(sid) for sid in ids)  # one analysis task per session
    assert all(t.exit_codes == [0] for t in tasks.values())  # each ran once
    report(
        capsys,
        f"{SESSIONS} sessions uploaded -> done in {processed_s:.0f} s "
        f"({SESSIONS / processed_s * 60:.1f} analyses/min with 2 jobs at a time, pose model {JOB_POSE_MODEL})",
    )


def test_100_concurrent_readers_get_every_payload(api, people, lift, capsys):
    tokens = {uid: people.token(uid) for uid in ("lifter", "coach", "admin")}
    jobs = [
        (i, path.format(id=lift)) for i in range(READERS) for path in (READ_PATHS * READS_PER_CLIENT)[:READS_PER_CLIENT]
    ]
    session = requests.Session()
    session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=READERS))

    def read(job) -> tuple[int, float, bool]:
        i, path = job
        token = list(tokens.values())[i % len(tokens)]
        t = time.monotonic()
        r = session.get(api.url + path, headers={"Authorization": f"Bearer {token}"}, timeout=120)
        ok = r.status_code == 200 and (r.headers["Content-Type"].startswith("text/csv") or "error" not in r.json())
        return r.status_code, time.monotonic() - t, ok

    start = time.monotonic()
    with ThreadPoolExecutor(READERS) as pool:
        answers = list(pool.map(read, jobs))
    elapsed = time.monotonic() - start
    assert [code for code, _, _ in answers] == [200] * len(jobs)
    assert all(ok for _, _, ok in answers)
    report(
        capsys,
        f"{READERS} concurrent readers, {len(jobs)} reads of 5 payloads: "
        f"{percentiles([s for _, s, _ in answers])}, {len(jobs) / elapsed:.0f} requests/s",
    )
