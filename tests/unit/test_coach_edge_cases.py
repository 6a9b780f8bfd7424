"""The built-in coach on the edge cases a coach tripped on, one row each, in both unit
systems: what must be said and what must not. Every text of every case is free of
placeholders. The facts are the demo lift's, changed as each case needs; the OpenAI coach's
prompt is built from the same facts."""

from __future__ import annotations

import pytest

from shared.adapters.openai_coach import prompt
from shared.coach.builtin import RECOMMENDATION_METRICS, SUMMARY_BLOCKS, BuiltInCoach
from shared.coach.facts import Units
from tests.unit.test_coach import RESULT, facts

NO_SECOND_PULL = [p for p in RESULT["phases"] if p["name"] not in ("recovery",)]


def _changed(session: dict | None = None, **fact_changes) -> dict:
    f = facts(**(session or {}))
    for key, value in fact_changes.items():
        if "." in key:
            outer, inner = key.split(".")
            f[outer] = {**f[outer], inner: value}
        else:
            f[key] = value
    return f


def _peak(value, phase, t_s=1.5):
    return {"value": value, "t_s": t_s, "phase": phase}


CASES = {
    # name: (facts, key, must say, must not say)
    "no lift: its own summary, no praise": (
        lambda: _changed(outcome="no_lift"),
        "final_summary",
        ["No lift was found", "Film the whole lift"],
        ["No faults were found", "Build on it", "heavier singles"],
    ),
    "no lift: the other texts say so, no numbers": (
        lambda: _changed(outcome="no_lift"),
        "velocity",
        ["No lift was found"],
        ["m/s", "ft/s"],
    ),
    "missed: its own summary": (
        lambda: _changed(outcome="missed", faults=[]),
        "final_summary",
        ["missed lift", "came back down"],
        ["Build on it", "completed"],
    ),
    "partial: the clip ends before standing": (
        lambda: _changed(outcome="complete", ends_standing=False, faults=[]),
        "final_summary",
        ["ends before the lifter stands"],
        ["Build on it"],
    ),
    "GRF: body mass given but no pull measured": (
        lambda: _changed(**{"peaks.grf_in_pull": None}),
        "ground_reaction_force",
        ["not tracked well enough"],
        ["body mass is needed", "body mass in the profile"],
    ),
    "GRF: no body mass": (
        lambda: _changed(body_mass_given=False, **{"peaks.grf_in_pull": None}),
        "ground_reaction_force",
        ["body mass in the profile"],
        [],
    ),
    "GRF: the pull's peak is the drive, the landing is named apart": (
        lambda: _changed(),
        "ground_reaction_force",
        ["in the pull was", "Drive through the whole foot", "absorbed the bar", "the landing, not drive"],
        [],
    ),
    "hip speed: the drop under the bar is not blamed on the hip rise": (
        lambda: _changed(
            **{"peaks.hip_speed": _peak(2.4, "turnover"), "peaks.hip_speed_in_pull": _peak(1.1, "second_pull")}
        ),
        "hip_velocity",
        ["expected, not a fault", "turnover", "second pull"],
        ["early hip rise", "fastest off the floor"],
    ),
    "hip speed: fastest off the floor is coached": (
        lambda: _changed(
            **{"peaks.hip_speed": _peak(1.3, "first_pull"), "peaks.hip_speed_in_pull": _peak(1.3, "first_pull")}
        ),
        "hip_velocity",
        ["fastest off the floor", "first pull"],
        ["expected, not a fault"],
    ),
    "a full-squat catch is not told to catch lower": (
        lambda: _changed(drop_under_bar_m=0.03, catch_knee_angle_deg=55.0, faults=[]),
        "final_summary",
        ["full squat"],
        ["catch lower"],
    ),
    "a short drop in a power position is told to catch lower": (
        lambda: _changed(drop_under_bar_m=0.03, catch_knee_angle_deg=120.0, faults=[]),
        "final_summary",
        ["catch lower"],
        [],
    ),
    "a bar 24 cm toward the lifter is named": (
        lambda: _changed(bar_toward_lifter_m=0.24, faults=[]),
        "final_summary",
        ["toward the lifter"],
        [],
    ),
    "a bar 12 cm away from the lifter is named": (
        lambda: _changed(bar_toward_lifter_m=0.02, bar_away_from_lifter_m=0.12, faults=[]),
        "final_summary",
        ["away from the lifter"],
        [],
    ),
    "a bar within 10 cm either way is not": (
        lambda: _changed(bar_toward_lifter_m=0.06, bar_away_from_lifter_m=0.04, faults=[]),
        "final_summary",
        [],
        ["toward the lifter", "away from the lifter"],
    ),
}


@pytest.mark.parametrize("system", ["metric", "imperial"])
@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_edge_case(case, system):
    make, key, said, unsaid = CASES[case]
    kind = "summary" if key in SUMMARY_BLOCKS else "recommendation"
    text = BuiltInCoach().write(make(), kind, key, Units(system))
    for words in said:
        assert words in text, (words, text)
    for words in unsaid:
        assert words not in text, (words, text)


@pytest.mark.parametrize("system", ["metric", "imperial"])
@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_no_placeholder_reaches_the_prose(case, system):
    f = CASES[case][0]()
    for kind, keys in (("summary", SUMMARY_BLOCKS), ("recommendation", RECOMMENDATION_METRICS)):
        for key in keys:
            text = BuiltInCoach().write(f, kind, key, Units(system))
            assert "n/a" not in text and "None" not in text and "nan" not in text.lower().split(), (key, text)


def test_every_measurement_missing_still_reads_as_prose():
    f = facts()
    for name in list(f):
        if name.endswith(("_m", "_deg", "_mps", "_W", "_N", "_pct", "_s", "_bodyweights")):
            f[name] = None
    f["peaks"] = {k: None for k in f["peaks"]}
    for kind, keys in (("summary", SUMMARY_BLOCKS), ("recommendation", RECOMMENDATION_METRICS)):
        for key in keys:
            text = BuiltInCoach().write(f, kind, key, Units("metric"))
            assert "n/a" not in text and "None" not in text and len(text) > 20, (key, text)


def test_the_facts_carry_each_peaks_time_and_phase_and_the_prompt_passes_them_on():
    f = facts()
    peaks = f["peaks"]
    assert peaks["bar_speed"]["phase"] == "second_pull"
    assert peaks["grf_in_pull"]["t_s"] == RESULT["metrics"]["max_GRF_t_s"]
    assert peaks["grf_in_catch"]["phase"] in ("turnover", "catch", "recovery")
    assert peaks["hip_speed_in_pull"]["phase"] in ("first_pull", "transition", "second_pull")
    text = prompt(f, "recommendation", "hip_velocity", Units("metric"))
    assert '"hip_speed_in_pull"' in text and '"phase": "' in text and '"grf_in_catch"' in text
