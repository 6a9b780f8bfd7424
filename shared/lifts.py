"""The lifts and joints LiftLab knows, shared by the engine and the API (no heavy imports)."""

EXERCISES = ("snatch", "clean", "clean_and_jerk")
EXERCISE_TITLES = {"snatch": "Snatch", "clean": "Clean", "clean_and_jerk": "Clean & Jerk"}
JOINTS = ("ankle", "knee", "hip", "shoulder", "elbow")
