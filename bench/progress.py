"""Progress of a lifter with 500 sessions, against the Firestore emulator.

python -m bench.progress — 500 done snatches (the demo history's real engine results,
cycled over 5 loads and two years) get the lift summary the job writes
(`shared.domain.progress.lift_summary`), rolled up as the job rolls them up
(`shared.domain.progress.rolled_up`); then the progress payload is built `REPEATS` times after
a warm-up (reads and formatting in the function; target: a median under 100 ms) and
fetched through HTTP. The table is also written to docs/progress.md, with the command and
the date.
"""

from __future__ import annotations

import datetime
import json
import statistics
import sys
from pathlib import Path

import requests

from bench.payloads import timed
from infra.local.accounts import create_user, id_token
from infra.local.stack import Ports, Stack
from shared import demo
from shared.adapters.repository import client
from shared.domain import access, progress
from shared.domain.model import Session
from shared.domain.reports import Reports

SESSIONS = 500
REPEATS = 15
TARGET_MS = 100.0
DOCS = Path(__file__).resolve().parents[1] / "docs"


def summaries(user_id: str, n: int) -> list[dict]:
    results = [json.loads((demo.HISTORY_DIR / sid / "result.json").read_text()) for sid, *_ in demo.HISTORY]
    start = datetime.datetime(2025, 1, 6, 18, tzinfo=datetime.UTC)
    out = []
    for i in range(n):
        result = results[i % len(results)]
        session = Session(
            f"p{i:04d}",
            user_id,
            "snatch",
            status="done",
            created_at=start + datetime.timedelta(hours=i * 33),
            barbell_mass_kg=70.0 + 10 * (i % 5),
            metrics=result["metrics"],
            faults=result["faults"],
        )
        out.append(progress.lift_summary(session))
    return out


def main() -> int:
    with Stack(Ports.free(), project="demo-liftlab-bench") as stack:
        create_user("lifter", profile={"weight_kg": 80.0, "height_cm": 175.0})
        db = client()
        docs, rollup = summaries("lifter", SESSIONS), None
        for start in range(0, len(docs), 400):  # what the job's final writes leave, session by session
            batch = db.batch()
            for doc in docs[start : start + 400]:
                batch.set(db.collection("lift_summaries").document(doc["session_id"]), doc)
                rollup = progress.rolled_up(rollup, doc)
            batch.commit()
        db.collection("users").document("lifter").collection("progress").document("snatch").set(rollup)
        caller, reports, token = access.Caller("lifter"), Reports(), id_token("lifter")
        args = {"exercise": "snatch"}
        body = reports.progress(caller, "lifter", args)
        assert body["sessions"] == SESSIONS, body["sessions"]
        build_ms = timed(lambda: reports.progress(caller, "lifter", args), REPEATS)
        url = f"{stack.api_url}/weightlifting/users/lifter/progress/?exercise=snatch"
        http_ms = timed(
            lambda: requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=60).raise_for_status(), 5
        )
    median = statistics.median(build_ms)
    verdict = "met" if median < TARGET_MS else "NOT met"
    line = (
        f"| progress, {SESSIONS} sessions | {median:.1f} | {max(build_ms):.1f} | {statistics.median(http_ms):.1f} "
        f"| {verdict} |"
    )
    print(
        f"\nprogress of a lifter with {SESSIONS} sessions: build median {median:.1f} ms, worst "
        f"{max(build_ms):.1f} ms, HTTP median {statistics.median(http_ms):.1f} ms; target < {TARGET_MS:.0f} ms: "
        f"{verdict} ({median / TARGET_MS:.2f}x target)"
    )
    doc = [
        "# Progress of a lifter with 500 sessions",
        "",
        f"`python -m bench.progress`, {datetime.date.today().isoformat()}: {SESSIONS} lift summaries in the "
        f"Firestore emulator; build = the reads and formatting in the function, median and worst of {REPEATS} "
        f"after a warm-up; target: a median under {TARGET_MS:.0f} ms.",
        "",
        "| payload | build median ms | build max ms | HTTP median ms | target |",
        "|---" * 5 + "|",
        line,
    ]
    DOCS.mkdir(exist_ok=True)
    (DOCS / "progress.md").write_text("\n".join(doc) + "\n")
    return 0 if median < TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
