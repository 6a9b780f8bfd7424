"""The OpenAI coach: a Conversation per thread, a background Response, then polling.

Used when OPENAI_API_KEY is set; the model and base URL come from OPENAI_MODEL and
OPENAI_BASE_URL, so any OpenAI-compatible server works. The client retries 429s,
time-outs and 5xx with backoff (`max_retries`); a response that ends failed, cancelled
or incomplete, or that does not finish in time, raises `CoachUnavailable`, and the
caller falls back to the built-in coach. The Assistants/threads API was shut down in
Aug 2026 and is not used.
"""

from __future__ import annotations

import json
import time

from shared.coach.facts import Units
from shared.config import OpenAISettings

INSTRUCTIONS = (
    "You are an experienced Olympic weightlifting coach. You get measurements of one lift, filmed "
    "side-on and analysed by software. Write 2 to 4 sentences for the athlete's coach about the "
    "requested topic: say what the numbers show about this lift, compared with what is usual, and one "
    "concrete thing to work on. Use the units given. Do not invent measurements."
)


class CoachUnavailable(RuntimeError):
    """The provider did not produce a text; fall back to the built-in coach."""


def prompt(facts: dict, kind: str, key: str, units: Units) -> str:
    """The measurements, in the requested units, and the topic. Nothing else about the person."""
    u = units
    shown = {
        "exercise": facts["exercise"],
        "outcome": facts["outcome"],
        "bar_mass": u.mass(facts["bar_mass_kg"]),
        "athlete": {
            "age": facts["athlete"]["age"],
            "body_mass": u.mass(facts["athlete"]["body_mass_kg"]),
            "height": u.length(facts["athlete"]["height_cm"] / 100) if facts["athlete"]["height_cm"] else None,
        },
        "peak_bar_speed": u.speed(facts["max_bar_speed_mps"]),
        "time_to_peak_bar_speed_s": facts["time_to_max_bar_speed_s"],
        "peak_bar_power_W": facts["max_power_W"],
        "peak_bar_height": u.length(facts["peak_bar_height_m"]),
        "peak_bar_height_pct_of_height": facts["peak_bar_height_pct"],
        "catch_height": u.length(facts["catch_height_m"]),
        "drop_under_bar": u.length(facts["drop_under_bar_m"]),
        "bar_toward_lifter": u.length(facts["bar_toward_lifter_m"]),
        "bar_away_from_lifter": u.length(facts["bar_away_from_lifter_m"]),
        "bar_path_type": facts["bar_path_type"],
        "phase_durations_s": facts["phase_durations_s"],
        # each peak with when and in which phase it came: a coach speaks of it only there
        "peaks": {
            name: None
            if p is None
            else {
                "value": (u.force if name.startswith("grf") else u.speed)(p["value"]),
                "t_s": p["t_s"],
                "phase": p["phase"],
            }
            for name, p in facts["peaks"].items()
        },
        "catch_knee_angle_deg": facts["catch_knee_angle_deg"],
        "clip_ends_standing": facts["ends_standing"],
        "body_mass_given": facts["body_mass_given"],
        "at_liftoff": {
            "shin_angle_deg": facts["shin_angle_at_liftoff_deg"],
            "torso_angle_from_vertical_deg": facts["torso_angle_at_liftoff_deg"],
            "hip_height": u.length(facts["hip_height_at_liftoff_m"]),
            "hip_angle_deg": facts["hip_angle_at_liftoff_deg"],
            "knee_angle_deg": facts["knee_angle_at_liftoff_deg"],
        },
        "max_hip_angle_deg": facts["hip_angle_max_deg"],
        "max_knee_angle_deg": facts["knee_angle_max_deg"],
        "faults": [{"code": x["code"], "phase": x["phase"], "t_s": x["t_s"]} for x in facts["faults"]],
    }
    topic = (
        f"the {key.replace('_', ' ')}"
        if kind == "recommendation"
        else ("an overall summary" if key == "final_summary" else f"{key} ({kind})")
    )
    return f"Topic: {topic}. Units: {units.system}.\nMeasurements:\n{json.dumps(shown, indent=1, default=str)}"


class OpenAICoach:
    provider = "openai"

    def __init__(self, settings: OpenAISettings):
        import openai  # only the coaching task needs it

        self.settings = settings
        self.client = openai.OpenAI(
            api_key=settings.api_key,
            base_url=settings.base_url,
            timeout=settings.timeout_s,
            max_retries=settings.max_retries,
        )
        self.errors = (openai.OpenAIError,)

    def start(self, facts: dict, kind: str, key: str, units: Units, thread_id: str) -> dict:
        """Create the conversation and a background response; their ids, to store."""
        try:
            conversation = self.client.conversations.create(metadata={"thread_id": thread_id, "kind": kind, "key": key})
            response = self.client.responses.create(
                model=self.settings.model,
                conversation=conversation.id,
                instructions=INSTRUCTIONS,
                input=prompt(facts, kind, key, units),
                background=True,
                store=True,
            )
        except self.errors as exc:
            raise CoachUnavailable(f"{type(exc).__name__}: {exc}") from exc
        return {"conversation_id": conversation.id, "response_id": response.id}

    def finish(self, response_id: str) -> str:
        """Poll the background response until it is done; its text."""
        deadline = time.monotonic() + self.settings.deadline_s
        while True:
            try:
                response = self.client.responses.retrieve(response_id)
            except self.errors as exc:
                raise CoachUnavailable(f"{type(exc).__name__}: {exc}") from exc
            if response.status == "completed":
                text = (response.output_text or "").strip()
                if not text:
                    raise CoachUnavailable("the response was empty")
                return text
            if response.status in ("failed", "cancelled", "incomplete"):
                raise CoachUnavailable(f"the response ended {response.status}")
            if time.monotonic() > deadline:
                raise CoachUnavailable(f"no answer after {self.settings.deadline_s:.0f} s")
            time.sleep(self.settings.poll_every_s)
