"""The lifts and joints LiftLab knows, shared by the engine and the API (no heavy imports)."""

from shared.domain.errors import BadRequest

ACTIVITY = "Weightlifting"
EXERCISES = ("snatch", "clean", "clean_and_jerk")
EXERCISE_TITLES = {"snatch": "Snatch", "clean": "Clean", "clean_and_jerk": "Clean & Jerk"}
JOINTS = ("ankle", "knee", "hip", "shoulder", "elbow")

# Technique thresholds the engine's fault rules and the built-in coach's advice share.
FULL_EXTENSION_DEG = 165.0  # hips and knees this open count as fully extended
LOOP_AWAY_M = 0.08  # the bar swinging this far away from the lifter is a loop
SLOW_TURNOVER_S = 0.50  # a turnover longer than this is slow


def parse_joints(raw: str | None) -> list[str]:
    """`body_joint_angles`: a comma-separated subset of JOINTS, or `all` (the default).
    BadRequest names the field and the unknown joints."""
    joints = [j.strip().lower() for j in (raw or "").split(",") if j.strip()]
    if not joints:
        return ["all"]
    bad = [j for j in joints if j not in JOINTS + ("all",)]
    if bad:
        raise BadRequest(f"body_joint_angles: unknown joint(s) {', '.join(bad)}; choose from {', '.join(JOINTS)}")
    return ["all"] if "all" in joints else sorted(set(joints), key=JOINTS.index)
