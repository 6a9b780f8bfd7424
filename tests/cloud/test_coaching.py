"""Coaching endpoints on the local stack: threads created at once, texts written by a task,
shown in the summary and analysis; errors, plans, idempotent repeats; the OpenAI path and
its fallback with the real client against a fake server."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
import requests
from google.cloud.firestore import FieldFilter

from shared.adapters.repository import client
from shared.coach.builtin import RECOMMENDATION_METRICS, SUMMARY_BLOCKS
from shared.coach.facts import Units
from shared.coach.threads import Coaching, thread_id
from tests.cloud.contract import check
from tests.cloud.fixtures import RESULT, new_session
from tests.fake_openai import FakeOpenAI

PATHS = {
    "summary": "/weightlifting/sessions/{session_id}/summary/",
    "recommendation": "/weightlifting/sessions/{session_id}/recommendation/",
    "analysis": "/weightlifting/sessions/{session_id}/analysis/",
}


def call(api, method: str, kind: str, session_id: str, token: str | None, **params) -> requests.Response:
    path = PATHS[kind]
    return check(api.request(method, path.format(session_id=session_id), token, params=params), method, path)


def threads(session_id: str) -> list[dict]:
    return [
        s.to_dict()
        for s in client().collection("genai_threads").where(filter=FieldFilter("session_id", "==", session_id)).stream()
    ]


def wait_written(session_id: str, count: int, timeout_s: float = 120) -> list[dict]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = [t for t in threads(session_id) if t["status"] == "completed"]
        if len(found) >= count:
            return found
        time.sleep(0.2)
    raise AssertionError(f"only {len(found)} of {count} threads written: {threads(session_id)}")


def test_summary_threads_are_created_at_once_and_written_by_the_task(api, people, lift):
    token = people.token("lifter")
    r = call(api, "POST", "summary", lift, token)
    assert r.status_code == 200 and set(r.json()) == set(SUMMARY_BLOCKS)
    assert all(tid.startswith("thread_") for tid in r.json().values())
    wait_written(lift, 4)
    summary = call(api, "GET", "summary", lift, token).json()
    assert set(summary["summary_text"]) == set(SUMMARY_BLOCKS)
    assert f"{RESULT['metrics']['max_bar_speed']:.2f} m/s" in summary["summary_text"]["velocity"]
    assert all(t["provider"] == "builtin" for t in threads(lift))


def test_recommendations_are_polled_then_appear_as_analysis_comments_in_imperial(api, people, lift):
    token = people.token("coach")
    r = call(api, "POST", "recommendation", lift, token, measurement_system="imperial")
    assert r.status_code == 200 and set(r.json()) == set(RECOMMENDATION_METRICS)
    wait_written(lift, 12)
    status = call(api, "GET", "recommendation", lift, token, measurement_system="imperial").json()
    assert {s["status"] for s in status.values()} == {"completed"}
    assert status["barbell_velocity"]["thread_id"] == r.json()["barbell_velocity"]
    assert "ft/s" in status["barbell_velocity"]["text"] and "lbf" in status["ground_reaction_force"]["text"]
    comments = call(api, "GET", "analysis", lift, token, measurement_system="imperial").json()["comments"]
    assert set(comments) == set(RECOMMENDATION_METRICS) and "ft/s" in comments["barbell_velocity"]
    metric = call(api, "GET", "recommendation", lift, token).json()
    assert {s["status"] for s in metric.values()} == {"not_requested"}  # the metric threads were never asked for
    # the lifter's profile is metric: by default the analysis shows no imperial text
    assert call(api, "GET", "analysis", lift, token).json()["comments"] == {}


def test_each_unit_systems_texts_are_kept_apart(api, people, lift):
    """Imperial first, then metric: each request gets its own threads, and each system's
    payload shows only its own texts, whichever was written last."""
    token = people.token("lifter")
    imperial = call(api, "POST", "summary", lift, token, measurement_system="imperial").json()
    wait_written(lift, 4)
    metric = call(api, "POST", "summary", lift, token, measurement_system="metric").json()
    wait_written(lift, 8)
    assert set(imperial.values()).isdisjoint(metric.values())
    texts = {
        system: call(api, "GET", "summary", lift, token, measurement_system=system).json()["summary_text"]
        for system in ("metric", "imperial")
    }
    assert "m/s" in texts["metric"]["velocity"] and "ft/s" not in texts["metric"]["velocity"]
    assert "ft/s" in texts["imperial"]["velocity"]
    assert call(api, "GET", "summary", lift, token).json()["summary_text"] == texts["metric"]  # the profile's units
    client().collection("users").document("lifter").update({"units": "imperial"})
    assert call(api, "GET", "summary", lift, token).json()["summary_text"] == texts["imperial"]
    r = call(api, "GET", "summary", lift, token, measurement_system="furlongs")
    assert r.status_code == 400 and r.json() == {"error": "measurement_system must be metric or imperial"}


def test_repeating_a_post_reuses_the_threads_and_spends_nothing(api, people, lift):
    token = people.token("lifter")
    first = call(api, "POST", "summary", lift, token).json()
    wait_written(lift, 4)
    tasks_before = len(api.stack.dispatcher.tasks)
    again = call(api, "POST", "summary", lift, token).json()
    assert again == first and len(api.stack.dispatcher.tasks) == tasks_before
    assert len(threads(lift)) == 4


@pytest.mark.parametrize("kind", ["summary", "recommendation"])
def test_a_bad_measurement_system_is_400_and_an_unfinished_session_409_as_on_the_reads(api, people, lift, kind):
    r = call(api, "POST", kind, lift, people.token("lifter"), measurement_system="furlongs")
    assert r.status_code == 400 and r.json() == {"error": "measurement_system must be metric or imperial"}
    client().collection("sessions").document("busy").set({**new_session("lifter", "processing"), "progress": 40})
    for method in ("POST", "GET") if kind == "recommendation" else ("POST",):
        r = call(api, method, kind, "busy", people.token("lifter"))
        assert r.status_code == 409
        assert r.json() == {"error": "the session is not analysed yet", "status": "processing", "progress": 40}
    client().collection("sessions").document("broken").set(
        {**new_session("lifter", "failed"), "error": {"code": "no_bar_found", "message": "No barbell was found."}}
    )
    r = call(api, "POST", kind, "broken", people.token("lifter"))
    assert r.status_code == 409
    assert r.json() == {"error": "analysis failed: No barbell was found.", "status": "failed", "code": "no_bar_found"}


@pytest.mark.parametrize("kind", ["summary", "recommendation"])
def test_plan_access_token_and_unknown_sessions(api, people, lift, kind):
    assert call(api, "POST", kind, lift, None).status_code == 401
    assert call(api, "POST", kind, lift, people.token("teammate")).status_code == 403
    assert call(api, "POST", kind, "no-such-session", people.token("admin")).status_code == 404
    client().collection("users").document("lifter").update({"plan.active_until": datetime.now(UTC) - timedelta(days=1)})
    r = call(api, "POST", kind, lift, people.token("lifter"))
    assert r.status_code == 403 and r.json() == {"error": "an active plan is required"}
    assert threads(lift) == []


def write_with(fake: FakeOpenAI, monkeypatch, lift: str, key_count: int = 4) -> dict:
    """Queue the summary threads, then run the coaching task's own code with OpenAI set."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("OPENAI_BASE_URL", fake.base_url)
    monkeypatch.setenv("OPENAI_POLL_EVERY_S", "0.01")
    monkeypatch.setenv("OPENAI_MAX_RETRIES", "1")
    coaching = Coaching()
    for key in SUMMARY_BLOCKS:
        coaching._queue(thread_id(lift, "summary", key, Units("metric")), lift, "summary", key, Units("metric"))
    return coaching.write(lift, "summary", Units("metric"), "test-owner")


def test_openai_writes_the_texts_and_its_ids_are_kept(api, people, lift, monkeypatch):
    with FakeOpenAI(text="Finish the pull before you pull under.") as fake:
        done = write_with(fake, monkeypatch, lift)
    assert done == {"written": 4, "skipped": 0, "fallback": 0}
    for t in threads(lift):
        assert t["provider"] == "openai" and t["text"] == "Finish the pull before you pull under."
        assert t["provider_ref"]["conversation_id"].startswith("conv_")
        assert t["provider_ref"]["response_id"].startswith("resp_")
    summary_text = client().collection("sessions").document(lift).get().get("summary_text_by_units")["metric"]
    assert summary_text["final_summary"] == "Finish the pull before you pull under."


def test_when_openai_fails_the_builtin_coach_writes_and_the_thread_says_so(api, people, lift, monkeypatch):
    with FakeOpenAI(fail=True) as fake:
        done = write_with(fake, monkeypatch, lift)
    assert done == {"written": 4, "skipped": 0, "fallback": 4}
    velocity = next(t for t in threads(lift) if t["key"] == "velocity")
    assert velocity["provider"] == "builtin_fallback" and "failed" in velocity["fallback_reason"]
    assert f"{RESULT['metrics']['max_bar_speed']:.2f} m/s" in velocity["text"]


def test_a_second_delivery_of_the_task_skips_written_threads(api, people, lift, monkeypatch):
    with FakeOpenAI() as fake:
        write_with(fake, monkeypatch, lift)
        again = Coaching().write(lift, "summary", Units("metric"), "another-delivery")
        responses = [p for m, p, _ in fake.requests if m == "POST" and p == "/v1/responses"]
    assert again == {"written": 0, "skipped": 4, "fallback": 0}
    assert len(responses) == 4  # one paid response per thread, however often the task runs
