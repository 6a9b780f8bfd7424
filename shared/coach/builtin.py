"""The built-in coach: deterministic, offline, written from the lift's own numbers.

Each text states what this lift did (in the requested units), compares it with a
reference range for the lift, and says what to work on. The ranges are rules of thumb
for trained lifters filmed side-on, not norms for an individual; they are kept here, in
one table, so a coach can disagree with them in one place.
"""

from __future__ import annotations

from shared.coach.facts import Units
from shared.domain.lifts import FULL_EXTENSION_DEG, SLOW_TURNOVER_S

# (low, high) per exercise; the clean's numbers serve the clean & jerk's clean.
PEAK_BAR_SPEED_MPS = {"snatch": (1.6, 2.1), "clean": (1.2, 1.7)}
PEAK_HEIGHT_PCT = {"snatch": (62.0, 75.0), "clean": (55.0, 66.0)}
DROP_UNDER_BAR_M = {"snatch": (0.08, 0.25), "clean": (0.05, 0.20)}
FULL_DEPTH_KNEE_DEG = 90.0  # a catch with the knee closed past this is a full squat: no "catch lower"
BAR_TRAVEL_M = 0.10  # the bar moving more than this toward or away from the lifter is named
PHASE_WORDS = {
    "setup": "set-up",
    "first_pull": "first pull",
    "transition": "transition",
    "second_pull": "second pull",
    "turnover": "turnover",
    "catch": "catch",
    "recovery": "recovery",
}
# What each text is about, for the one sentence a clip with no lift gets in its place.
NO_LIFT_SUBJECT = {
    "velocity": "bar speed",
    "power": "power or force",
    "stability": "bar path",
    "power_output": "bar power",
    "ground_reaction_force": "ground reaction force in a pull",
    "barbell_velocity": "bar speed",
    "hip_velocity": "hip speed in a pull",
    "shin_angle": "liftoff position",
    "hip_height": "liftoff position",
    "torso_angle": "back angle in a pull",
    "hip_angle": "hip extension",
    "knee_angle": "leg drive",
    "bar_height": "bar height",
    "barbell_trajectory": "bar path",
    "vertical_shoulder_height": "shoulder rise",
}

SUMMARY_BLOCKS = ("velocity", "power", "stability", "final_summary")
RECOMMENDATION_METRICS = (
    "power_output",
    "ground_reaction_force",
    "barbell_velocity",
    "hip_velocity",
    "shin_angle",
    "hip_height",
    "torso_angle",
    "hip_angle",
    "knee_angle",
    "bar_height",
    "barbell_trajectory",
    "vertical_shoulder_height",
)
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
    return f"{v:.0f}°"


def _when(moment: dict) -> str:
    """', at 1.23 s in the second pull' for a peak with a time and a phase."""
    where = PHASE_WORDS.get(moment.get("phase"), "")
    at = f" at {moment['t_s']:.2f} s" if moment.get("t_s") is not None else ""
    return f"{at} in the {where}" if where else at


class BuiltInCoach:
    provider = "builtin"

    def write(self, facts: dict, kind: str, key: str, units: Units) -> str:
        writer = getattr(self, f"_{key}", None)
        if writer is None:
            raise ValueError(f"no {kind} text for {key}")
        if facts.get("outcome") == "no_lift" and key != "final_summary":
            return (
                f"No lift was found in this clip, so there is no {NO_LIFT_SUBJECT[key]} to report; see the "
                "summary for how to film it."
            )
        return writer(facts, units).strip()

    # ---- summary blocks
    def _velocity(self, f: dict, u: Units) -> str:
        low, high = PEAK_BAR_SPEED_MPS[_kind(f)]
        text = [
            _compare(f["max_bar_speed_mps"], low, high, u.speed, f"peak bar speed in this {LIFT_NAMES[f['exercise']]}")
        ]
        if f["time_to_max_bar_speed_s"] is not None:
            text.append(
                f"It came {f['time_to_max_bar_speed_s']:.2f} s after liftoff"
                + (f", with a second pull of {f['second_pull_s']:.2f} s." if f["second_pull_s"] else ".")
            )
        speed = f["max_bar_speed_mps"]
        if speed is not None and speed < low:
            text.append(
                "More speed has to come from the second pull: finish the leg and hip drive before the "
                "arms bend, rather than pulling harder from the floor."
            )
        elif speed is not None and speed > high:
            text.append("That much speed with this load suggests room to add weight, provided the catch stays solid.")
        return " ".join(text)

    def _power(self, f: dict, u: Units) -> str:
        return self._power_output(f, u) + " " + self._ground_reaction_force(f, u)

    def _stability(self, f: dict, u: Units) -> str:
        text = [f"The bar path is type {f['bar_path_type']} (Vorobyev)." if f["bar_path_type"] else ""]
        toward, away = f["bar_toward_lifter_m"], f["bar_away_from_lifter_m"]
        if toward is not None and away is not None:
            text.append(
                f"The bar travelled {u.length(toward)} toward the lifter and {u.length(away)} away from the start line."
            )
        if _faults(f, "bar_loops_away"):
            text.append(
                "It loops away from the lifter after the second pull: the bar is being swung forward "
                "instead of kept close, which makes the catch harder to stabilise."
            )
        low, high = DROP_UNDER_BAR_M[_kind(f)]
        text.append(_compare(f["drop_under_bar_m"], low, high, u.length, "drop under the bar"))
        if _faults(f, "slow_turnover"):
            text.append(f"The turnover was slow (over {SLOW_TURNOVER_S} s from peak speed to the catch).")
        return " ".join(t for t in text if t)

    def _final_summary(self, f: dict, u: Units) -> str:
        outcome = f.get("outcome")
        if outcome == "no_lift":
            return (
                "No lift was found in this clip: the bar was not seen to leave the floor. Film the whole lift "
                "from the side, level with the bar, with the plate's face in view from the set-up until the "
                "lifter stands, and upload it again."
            )
        kind = _kind(f)
        priorities = [x["message"] for x in f["faults"]]
        low, _ = PEAK_BAR_SPEED_MPS[kind]
        if f["max_bar_speed_mps"] is not None and f["max_bar_speed_mps"] < low:
            priorities.append(
                f"Bar speed ({u.speed(f['max_bar_speed_mps'])}) is low for a {LIFT_NAMES[f['exercise']]}."
            )
        low, high = PEAK_HEIGHT_PCT[kind]
        if f["peak_bar_height_pct"] is not None and f["peak_bar_height_pct"] > high:
            priorities.append(
                f"The bar is pulled higher than needed ({f['peak_bar_height_pct']:.0f}% of height): "
                "get under it sooner."
            )
        low, high = DROP_UNDER_BAR_M[kind]
        drop, depth = f["drop_under_bar_m"], f.get("catch_knee_angle_deg")
        full_squat = depth is not None and depth <= FULL_DEPTH_KNEE_DEG
        if drop is not None and drop > high:
            priorities.append(f"The drop under the bar ({u.length(drop)}) is long: the bar falls before it is caught.")
        elif drop is not None and drop < low and not full_squat:
            priorities.append(f"The drop under the bar ({u.length(drop)}) is short: catch lower and faster.")
        for side, word in (("bar_toward_lifter_m", "toward"), ("bar_away_from_lifter_m", "away from")):
            travel = f.get(side)
            if travel is not None and travel > BAR_TRAVEL_M:
                priorities.append(
                    f"The bar moved {u.length(travel)} {word} the lifter: keep it closer to a "
                    "vertical line over the mid-foot."
                )
        head = {"complete": "This was a completed lift", "missed": "This was a missed lift"}.get(
            outcome, "This was a lift"
        )
        head += f" of {u.mass(f['bar_mass_kg'])}" if f.get("bar_mass_kg") is not None else ""
        head += f", {f['lift_duration_s']:.2f} s from liftoff to standing." if f["lift_duration_s"] else "."
        if outcome == "missed":
            head += (
                " The bar came back down: look at the turnover and the catch first, where a miss is usually decided."
            )
        elif not f.get("ends_standing", True):
            head += " The clip ends before the lifter stands up, so the recovery was not seen."
        if full_squat and drop is not None and drop < low:
            head += f" The catch was a full squat, met after a short drop of {u.length(drop)}."
        if not priorities:
            if outcome != "complete":
                return head
            return head + (
                " No faults were found and bar speed, bar height and the drop under the bar are in "
                "range. Build on it with heavier singles."
            )
        return head + " Priorities: " + " ".join(priorities[:4])

    # ---- per-metric comments (the analysis report's `comments`)
    def _power_output(self, f, u):
        if f["max_power_W"] is None:
            return "Bar power could not be measured on this clip."
        text = f"Peak bar power was {f['max_power_W']:.0f} W"
        if f["power_per_kg_W"] is not None:
            text += f" ({f['power_per_kg_W']:.1f} W per kg of body mass)"
        if _faults(f, "incomplete_extension"):
            return text + (
                ". The hips or knees did not reach full extension in the second pull, so part of the "
                "available power never reached the bar."
            )
        return text + ". Power peaks in the second pull; keep the bar close so the push goes into the bar."

    def _ground_reaction_force(self, f, u):
        pull, catch = f["peaks"]["grf_in_pull"], f["peaks"]["grf_in_catch"]
        if pull is None:
            why = (
                "it needs the lifter's body mass in the profile"
                if not f.get("body_mass_given")
                else "the lift's pull was not tracked well enough"
            )
            return f"Ground reaction force in the pull could not be measured: {why}."
        text = f"Peak ground reaction force in the pull was {u.force(pull['value'])}"
        if f["max_GRF_bodyweights"] is not None:
            text += f" ({f['max_GRF_bodyweights']:.1f} body weights)"
        text += (
            _when(pull) + ". Drive through the whole foot until the hips are open; an early heel rise cuts the "
            "push short."
        )
        if catch is not None:
            text += (
                f" After the pull the force peaked again at {u.force(catch['value'])}{_when(catch)}, as the "
                "legs absorbed the bar under it: that is the landing, not drive."
            )
        return text

    def _barbell_velocity(self, f, u):
        return self._velocity(f, u)

    def _hip_velocity(self, f, u):
        pull, overall = f["peaks"]["hip_speed_in_pull"], f["peaks"]["hip_speed"]
        if pull is None:
            return "Hip speed in the pull could not be measured."
        text = f"In the pull the hips moved at up to {u.speed(pull['value'])}{_when(pull)}."
        if pull["phase"] == "first_pull":
            text += (
                " They were fastest off the floor: if the hips rise ahead of the shoulders the torso tips "
                "over and slows the bar, so keep hips and shoulders rising together."
            )
        else:
            text += " That is where the hip drive belongs."
        if overall is not None and overall["phase"] in ("turnover", "catch") and overall["value"] > pull["value"]:
            text += (
                f" The fastest hip movement, {u.speed(overall['value'])}, came{_when(overall)}, as the lifter "
                "dropped under the bar: that is expected, not a fault."
            )
        return text

    def _shin_angle(self, f, u):
        if f["shin_angle_at_liftoff_deg"] is None:
            return "The shin angle at liftoff could not be measured on this clip."
        return (
            f"The shin was at {_deg(f['shin_angle_at_liftoff_deg'])} from the floor at liftoff. Shins that "
            "lean well forward put the knees over the bar and force the bar around them; bring the bar over "
            "the mid-foot."
        )

    def _hip_height(self, f, u):
        parts = []
        if f["hip_height_at_liftoff_m"] is not None:
            parts.append(f"the hips were {u.length(f['hip_height_at_liftoff_m'])} above the floor")
        for what, key in (("hip", "hip_angle_at_liftoff_deg"), ("knee", "knee_angle_at_liftoff_deg")):
            if f[key] is not None:
                parts.append(f"the {what} angle was {_deg(f[key])}")
        if not parts:
            return "The start position at liftoff could not be measured on this clip."
        return (
            f"At liftoff {', '.join(parts[:-1]) + ' and ' + parts[-1] if len(parts) > 1 else parts[0]}. "
            "Keep that start position the same from rep to rep."
        )

    def _torso_angle(self, f, u):
        at_liftoff, at_peak = f["torso_angle_at_liftoff_deg"], f["torso_angle_at_peak_speed_deg"]
        if at_liftoff is None and at_peak is None:
            return "The torso angle could not be measured on this clip."
        seen = " and ".join(
            t
            for t in (
                f"{_deg(at_liftoff)} from vertical at liftoff" if at_liftoff is not None else "",
                f"{_deg(at_peak)} at peak bar speed" if at_peak is not None else "",
            )
            if t
        )
        return (
            f"The torso was {seen}. Hold the back angle through the first pull; it should open only once "
            "the bar passes the knees."
        )

    def _hip_angle(self, f, u):
        peak = f["hip_angle_max_deg"]
        if peak is None:
            return "The hip angle could not be measured on this clip."
        done = peak >= FULL_EXTENSION_DEG
        return f"The hip opened to {_deg(peak)} at most. " + (
            "That is full extension: the hips finished the pull."
            if done
            else f"Full extension is about {FULL_EXTENSION_DEG:.0f}°: finish the hip drive before pulling under."
        )

    def _knee_angle(self, f, u):
        peak, low = f["knee_angle_max_deg"], f["knee_angle_min_deg"]
        if peak is None or low is None:
            return "The knee angle could not be measured on this clip."
        done = peak >= FULL_EXTENSION_DEG
        return f"The knee ranged from {_deg(low)} to {_deg(peak)}. " + (
            "The legs reached full extension in the second pull."
            if done
            else "The legs did not straighten fully in the second pull; drive the floor away longer."
        )

    def _bar_height(self, f, u):
        low, high = PEAK_HEIGHT_PCT[_kind(f)]
        pct = f["peak_bar_height_pct"]
        text = _compare(pct, low, high, lambda v: f"{v:.0f}%", "peak bar height (as a share of the lifter's height)")
        if None not in (f["peak_bar_height_m"], f["catch_height_m"], f["drop_under_bar_m"]):
            text += (
                f" That is {u.length(f['peak_bar_height_m'])}, caught at {u.length(f['catch_height_m'])}: a drop "
                f"of {u.length(f['drop_under_bar_m'])}."
            )
        if pct is not None and pct > high:
            text += " Pulling the bar higher than needed costs time under it; pull yourself down sooner."
        return text

    def _barbell_trajectory(self, f, u):
        return self._stability(f, u)

    def _vertical_shoulder_height(self, f, u):
        start, top = f["shoulder_height_at_liftoff_m"], f["shoulder_height_max_m"]
        if start is None or top is None:
            return "The shoulder height could not be measured on this clip."
        return (
            f"The shoulders rose from {u.length(start)} at liftoff to {u.length(top)} at their highest. They "
            "should stay over or slightly in front of the bar until the second pull."
        )
