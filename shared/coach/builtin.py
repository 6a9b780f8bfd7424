"""The built-in coach: deterministic, offline, written from the lift's own numbers.

Each text states what this lift did (in the requested units), compares it with a
reference range for the lift, and says what to work on. The ranges are rules of thumb
for trained lifters filmed side-on, not norms for an individual; they are kept here, in
one table, so a coach can disagree with them in one place.
"""
from __future__ import annotations

from shared.coach.facts import Units

# (low, high) per exercise; the clean's numbers serve the clean & jerk's clean.
PEAK_BAR_SPEED_MPS = {"snatch": (1.6, 2.1), "clean": (1.2, 1.7)}
PEAK_HEIGHT_PCT = {"snatch": (62.0, 75.0), "clean": (55.0, 66.0)}
DROP_UNDER_BAR_M = {"snatch": (0.08, 0.25), "clean": (0.05, 0.20)}
FULL_EXTENSION_DEG = 165.0
LOOP_AWAY_M = 0.08
SLOW_TURNOVER_S = 0.5

SUMMARY_BLOCKS = ("velocity", "power", "stability", "final_summary")
RECOMMENDATION_METRICS = ("power_output", "ground_reaction_force", "barbell_velocity", "hip_velocity", "shin_angle",
                          "hip_height", "torso_angle", "hip_angle", "knee_angle", "bar_height", "barbell_trajectory",
                          "vertical_shoulder_height")
LIFT_NAMES = {"snatch": "snatch", "clean": "clean", "clean_and_jerk": "clean"}


def _kind(f: dict) -> str:
    return "snatch" if f["exercise"] == "snatch" else "clean"


def _compare(value, low, high, fmt, what: str) -> str:
    if value is None:
        return f"The {what} could not be measured on this clip."
    if value < low:
        return f"The {what} was {fmt(value)}, below the usual {fmt(low)}–{fmt(high)}."
    if value > high:
        return f"The {what} was {fmt(value)}, above the usual {fmt(low)}–{fmt(high)}."
    return f"The {what} was {fmt(value)}, within the usual {fmt(low)}–{fmt(high)}."


def _faults(f: dict, *codes: str) -> list[dict]:
    return [x for x in f["faults"] if x["code"] in codes]


def _deg(v) -> str:
    return "n/a" if v is None else f"{v:.0f}°"


class BuiltInCoach:
    provider = "builtin"

    def write(self, facts: dict, kind: str, key: str, units: Units) -> str:
        writer = getattr(self, f"_{key}", None)
        if writer is None:
            raise ValueError(f"no {kind} text for {key}")
        return writer(facts, units).strip()

    # ---- summary blocks
    def _velocity(self, f: dict, u: Units) -> str:
        low, high = PEAK_BAR_SPEED_MPS[_kind(f)]
        text = [_compare(f["max_bar_speed_mps"], low, high, u.speed, f"peak bar speed in this {LIFT_NAMES[f['exercise']]}")]
        if f["time_to_max_bar_speed_s"] is not None:
            text.append(f"It came {f['time_to_max_bar_speed_s']:.2f} s after liftoff"
                        + (f", with a second pull of {f['second_pull_s']:.2f} s." if f["second_pull_s"] else "."))
        speed = f["max_bar_speed_mps"]
        if speed is not None and speed < low:
            text.append("More speed has to come from the second pull: finish the leg and hip drive before the "
                        "arms bend, rather than pulling harder from the floor.")
        elif speed is not None and speed > high:
            text.append("That much speed with this load suggests room to add weight, provided the catch stays solid.")
        return " ".join(text)

    def _power(self, f: dict, u: Units) -> str:
        return self._power_output(f, u) + " " + self._ground_reaction_force(f, u)

    def _stability(self, f: dict, u: Units) -> str:
        text = [f"The bar path is type {f['bar_path_type']} (Vorobyev)." if f["bar_path_type"] else ""]
        if f["bar_toward_lifter_m"] is not None:
            text.append(f"The bar travelled {u.length(f['bar_toward_lifter_m'])} toward the lifter and "
                        f"{u.length(f['bar_away_from_lifter_m'])} away from the start line.")
        if _faults(f, "bar_loops_away"):
            text.append("It loops away from the lifter after the second pull: the bar is being swung forward "
                        "instead of kept close, which makes the catch harder to stabilise.")
        low, high = DROP_UNDER_BAR_M[_kind(f)]
        text.append(_compare(f["drop_under_bar_m"], low, high, u.length, "drop under the bar"))
        if _faults(f, "slow_turnover"):
            text.append(f"The turnover was slow (over {SLOW_TURNOVER_S} s from peak speed to the catch).")
        return " ".join(t for t in text if t)

    def _final_summary(self, f: dict, u: Units) -> str:
        kind = _kind(f)
        priorities = [x["message"] for x in f["faults"]]
        low, _ = PEAK_BAR_SPEED_MPS[kind]
        if f["max_bar_speed_mps"] is not None and f["max_bar_speed_mps"] < low:
            priorities.append(f"Bar speed ({u.speed(f['max_bar_speed_mps'])}) is low for a {LIFT_NAMES[f['exercise']]}.")
        low, high = PEAK_HEIGHT_PCT[kind]
        if f["peak_bar_height_pct"] is not None and f["peak_bar_height_pct"] > high:
            priorities.append(f"The bar is pulled higher than needed ({f['peak_bar_height_pct']:.0f}% of height): "
                              "get under it sooner.")
        low, high = DROP_UNDER_BAR_M[kind]
        drop = f["drop_under_bar_m"]
        if drop is not None and not low <= drop <= high:
            priorities.append(f"The drop under the bar ({u.length(drop)}) is {'short' if drop < low else 'long'}: "
                              + ("catch lower and faster." if drop < low else "the bar falls before it is caught."))
        outcome = {"complete": "a completed lift", "missed": "a missed lift", "no_lift": "no lift"}.get(f["outcome"],
                                                                                                     "this lift")
        head = f"This was {outcome} of {u.mass(f['bar_mass_kg'])}"
        head += f", {f['lift_duration_s']:.2f} s from liftoff to standing." if f["lift_duration_s"] else "."
        if not priorities:
            return head + " No faults were found and bar speed, bar height and the drop under the bar are in " \
                          "range. Build on it with heavier singles."
        return head + " Priorities: " + " ".join(priorities[:3])

    # ---- per-metric comments (the analysis report's `comments`)
    def _power_output(self, f, u):
        if f["max_power_W"] is None:
            return "Bar power could not be measured on this clip."
        text = f"Peak bar power was {f['max_power_W']:.0f} W"
        if f["power_per_kg_W"] is not None:
            text += f" ({f['power_per_kg_W']:.1f} W per kg of body mass)"
        if _faults(f, "incomplete_extension"):
            return text + (". The hips or knees did not reach full extension in the second pull, so part of the "
                           "available power never reached the bar.")
        return text + ". Power peaks in the second pull; keep the bar close so the push goes into the bar."

    def _ground_reaction_force(self, f, u):
        if f["max_GRF_N"] is None:
            return "Ground reaction force could not be measured (the body mass is needed)."
        text = f"Peak ground reaction force was {u.force(f['max_GRF_N'])}"
        if f["max_GRF_bodyweights"] is not None:
            text += f" ({f['max_GRF_bodyweights']:.1f} body weights)"
        return text + ". Drive through the whole foot until the hips are open; an early heel rise cuts the push short."

    def _barbell_velocity(self, f, u):
        return self._velocity(f, u)

    def _hip_velocity(self, f, u):
        if f["peak_hip_speed_mps"] is None:
            return "Hip speed could not be measured."
        return (f"The hips moved at up to {u.speed(f['peak_hip_speed_mps'])}. In a good pull the hips and shoulders "
                f"rise together off the floor; a fast early hip rise tips the torso over and slows the bar.")

    def _shin_angle(self, f, u):
        return (f"The shin was at {_deg(f['shin_angle_at_liftoff_deg'])} from the floor at liftoff. Shins that "
                "lean well forward put the knees over the bar and force the bar around them; bring the bar over "
                "the mid-foot.")

    def _hip_height(self, f, u):
        return (f"At liftoff the hips were {u.length(f['hip_height_at_liftoff_m'])} above the floor, with a hip "
                f"angle of {_deg(f['hip_angle_at_liftoff_deg'])} and a knee angle of "
                f"{_deg(f['knee_angle_at_liftoff_deg'])}. Keep that start position the same from rep to rep.")

    def _torso_angle(self, f, u):
        return (f"The torso was {_deg(f['torso_angle_at_liftoff_deg'])} from vertical at liftoff and "
                f"{_deg(f['torso_angle_at_peak_speed_deg'])} at peak bar speed. Hold the back angle through the "
                "first pull; it should open only once the bar passes the knees.")

    def _hip_angle(self, f, u):
        peak = f["hip_angle_max_deg"]
        done = peak is not None and peak >= FULL_EXTENSION_DEG
        return (f"The hip opened to {_deg(peak)} at most. " + (
            "That is full extension: the hips finished the pull." if done else
            f"Full extension is about {FULL_EXTENSION_DEG:.0f}°: finish the hip drive before pulling under."))

    def _knee_angle(self, f, u):
        peak, low = f["knee_angle_max_deg"], f["knee_angle_min_deg"]
        done = peak is not None and peak >= FULL_EXTENSION_DEG
        return (f"The knee ranged from {_deg(low)} to {_deg(peak)}. " + (
            "The legs reached full extension in the second pull." if done else
            "The legs did not straighten fully in the second pull; drive the floor away longer."))

    def _bar_height(self, f, u):
        low, high = PEAK_HEIGHT_PCT[_kind(f)]
        pct = f["peak_bar_height_pct"]
        text = _compare(pct, low, high, lambda v: f"{v:.0f}%", "peak bar height (as a share of the lifter's height)")
        if f["peak_bar_height_m"] is not None:
            text += (f" That is {u.length(f['peak_bar_height_m'])}, caught at {u.length(f['catch_height_m'])}: a drop "
                     f"of {u.length(f['drop_under_bar_m'])}.")
        if pct is not None and pct > high:
            text += " Pulling the bar higher than needed costs time under it; pull yourself down sooner."
        return text

    def _barbell_trajectory(self, f, u):
        return self._stability(f, u)

    def _vertical_shoulder_height(self, f, u):
        return (f"The shoulders rose from {u.length(f['shoulder_height_at_liftoff_m'])} at liftoff to "
                f"{u.length(f['shoulder_height_max_m'])} at their highest. They should stay over or slightly in "
                "front of the bar until the second pull.")
