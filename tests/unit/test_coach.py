"""The coaches: the built-in one on the demo lift's real numbers, and the real `openai`
client against a fake OpenAI server over HTTP."""

from __future__ import annotations

import json

import pytest

from shared.adapters.openai_coach import CoachUnavailable, OpenAICoach, prompt
from shared.coach.builtin import RECOMMENDATION_METRICS, SUMMARY_BLOCKS, BuiltInCoach
from shared.coach.facts import Units, lift_facts
from shared.config import openai_settings
from shared.demo import DEMO_DIR, DEMO_USER
from shared.formatters import documents, results
from shared.formatters.payloads import lift_frames
from tests.fake_openai import FakeOpenAI

RESULT = json.loads((DEMO_DIR / "result.json").read_text())
SESSION = {
    "user_id": "demo-lifter",
    "exercise": "snatch",
    "barbell_mass_kg": 100.0,
    **{k: RESULT[k] for k in results.SESSION_FIELDS if k in RESULT},
}


def facts(**session_changes) -> dict:
    session = documents.session("s", {**SESSION, **session_changes})
    start, stop = lift_frames(session.phases)
    series = results.cut(
        {"timestamps_s": RESULT["timestamps_s"], **{g: RESULT[g] for g in results.SERIES_GROUPS}}, start, stop
    )
    return lift_facts(session, series, documents.user("demo-lifter", DEMO_USER), start)


@pytest.mark.parametrize("kind, keys", [("summary", SUMMARY_BLOCKS), ("recommendation", RECOMMENDATION_METRICS)])
def test_the_builtin_coach_writes_every_block_and_metric(kind, keys):
    coach = BuiltInCoach()
    for key in keys:
        text = coach.write(facts(), kind, key, Units("metric"))
        assert len(text) > 40 and "None" not in text and "n/a" not in text, (key, text)


def test_the_texts_carry_this_lifts_numbers():
    f = facts()
    velocity = BuiltInCoach().write(f, "summary", "velocity", Units("metric"))
    assert f"{RESULT['metrics']['max_bar_speed']:.2f} m/s" in velocity
    assert "1.60 m/s–2.10 m/s" in velocity  # the snatch's reference range
    power = BuiltInCoach().write(f, "summary", "power", Units("metric"))
    assert f"{RESULT['metrics']['max_power']:.0f} W" in power and f"{RESULT['metrics']['max_GRF']:.0f} N" in power
    height = BuiltInCoach().write(f, "recommendation", "bar_height", Units("metric"))
    assert f"{RESULT['metrics']['peak_bar_height_pct']:.0f}%" in height


def test_imperial_texts_use_pounds_and_feet_per_second():
    f = facts()
    velocity = BuiltInCoach().write(f, "summary", "velocity", Units("imperial"))
    assert f"{RESULT['metrics']['max_bar_speed'] * 3.28084:.1f} ft/s" in velocity and "m/s" not in velocity
    final = BuiltInCoach().write(f, "summary", "final_summary", Units("imperial"))
    assert "220 lb" in final
    force = BuiltInCoach().write(f, "recommendation", "ground_reaction_force", Units("imperial"))
    assert "lbf" in force and " N" not in force


def test_a_looping_bar_path_is_mentioned():
    loop = {
        "code": "bar_loops_away",
        "message": "The bar loops 11 cm away from the lifter after the second pull.",
        "frame": 50,
        "t_s": 1.667,
        "phase": "turnover",
    }
    f = facts(faults=[loop])
    assert "loops away" in BuiltInCoach().write(f, "summary", "stability", Units("metric"))
    assert "loops 11 cm away" in BuiltInCoach().write(f, "summary", "final_summary", Units("metric"))
    clean = BuiltInCoach().write(facts(), "summary", "stability", Units("metric"))
    assert "loops away" not in clean


def test_incomplete_extension_changes_the_power_advice():
    fault = {
        "code": "incomplete_extension",
        "message": "Hips reached only 152° in the second pull.",
        "frame": 40,
        "t_s": 1.3,
        "phase": "second_pull",
    }
    text = BuiltInCoach().write(facts(faults=[fault]), "recommendation", "power_output", Units("metric"))
    assert "did not reach full extension" in text


def test_the_prompt_carries_measurements_in_units_and_no_personal_data():
    text = prompt(facts(), "recommendation", "barbell_velocity", Units("imperial"))
    assert "ft/s" in text and "barbell velocity" in text
    assert DEMO_USER["display_name"] not in text and "@" not in text


def coach(fake: FakeOpenAI, **env) -> OpenAICoach:
    settings = openai_settings(
        {
            "OPENAI_API_KEY": "sk-test",
            "OPENAI_BASE_URL": fake.base_url,
            "OPENAI_POLL_EVERY_S": "0.01",
            "OPENAI_MAX_RETRIES": "2",
            **env,
        }
    )
    return OpenAICoach(settings)


def test_openai_conversation_then_background_response_polled_to_completion():
    with FakeOpenAI(text="Drive longer with the legs.", queued_polls=2) as fake:
        c = coach(fake)
        ref = c.start(facts(), "summary", "velocity", Units("metric"), "thread_abc")
        assert ref["conversation_id"].startswith("conv_") and ref["response_id"].startswith("resp_")
        assert c.finish(ref["response_id"]) == "Drive longer with the legs."
    created = [body for method, path, body in fake.requests if path == "/v1/responses"][0]
    assert created["background"] is True and created["store"] is True
    assert created["conversation"] == ref["conversation_id"] and created["model"] == "gpt-5-mini"
    conversation = [body for method, path, body in fake.requests if path == "/v1/conversations"][0]
    assert conversation["metadata"] == {"thread_id": "thread_abc", "kind": "summary", "key": "velocity"}
    polls = [path for method, path, _ in fake.requests if method == "GET"]
    assert len(polls) == 3  # queued, in_progress, completed


def test_a_429_is_retried_and_then_succeeds():
    with FakeOpenAI(rate_limited_creates=1) as fake:
        c = coach(fake)
        ref = c.start(facts(), "summary", "power", Units("metric"), "thread_x")
        assert c.finish(ref["response_id"]).startswith("Keep the bar close")
    assert [path for _, path, _ in fake.requests].count("/v1/responses") == 2


def test_a_failed_response_raises_for_the_fallback():
    with FakeOpenAI(fail=True) as fake:
        c = coach(fake)
        ref = c.start(facts(), "summary", "power", Units("metric"), "thread_y")
        with pytest.raises(CoachUnavailable, match="failed"):
            c.finish(ref["response_id"])


def test_rate_limits_that_do_not_end_raise_for_the_fallback():
    with FakeOpenAI(rate_limited_creates=10) as fake:
        with pytest.raises(CoachUnavailable, match="RateLimitError"):
            coach(fake, OPENAI_MAX_RETRIES="1").start(facts(), "summary", "power", Units("metric"), "thread_z")


def test_without_a_key_there_is_no_openai_coach():
    assert openai_settings({}) is None
    assert openai_settings({"OPENAI_API_KEY": ""}) is None
    assert openai_settings({"OPENAI_API_KEY": "none"}) is None  # the deployed secret's placeholder
    assert openai_settings({"OPENAI_API_KEY": " sk-x\n"}).api_key == "sk-x"
