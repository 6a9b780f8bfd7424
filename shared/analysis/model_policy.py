"""Which pose model measures a clip: the policy of the default, `auto` (docs/decisions/0001).

`auto` runs heavy: on the rendered lifts it reads knees and hips within the angle target
where full does not, for about three times full's pose time on a CPU. But heavy lets go of a
person sooner on real footage. So where heavy keeps the lifter in under AUTO_MIN_COVERAGE of
the frames, `auto` measures again on full (`needs_another`), and keeps full only if it kept
him in AUTO_MARGIN more of them (`better`). On a CPU a clip of more than
AUTO_HEAVY_MAX_FRAMES goes to full alone: it streams through one estimator, and heavy would
take a 5-minute 60 fps clip past the job's time-out.
"""

from __future__ import annotations

POSE_MODELS = ("lite", "full", "heavy")
AUTO, AUTO_MODELS, AUTO_MIN_COVERAGE, AUTO_MARGIN = "auto", ("heavy", "full"), 0.9, 0.05
AUTO_HEAVY_MAX_FRAMES = 3600
POSE_CHOICES = (AUTO, *POSE_MODELS)
DEFAULT_POSE_MODEL = AUTO


def pose_models(choice: str, delegate: str = "gpu", frame_count: int = 0) -> tuple:
    """The pose models pass 1 measures on, in turn, for `choice` on a clip of `frame_count`
    frames with pose on `delegate`; by default every model the choice may use."""
    if choice != AUTO:
        return (choice,)
    return AUTO_MODELS[1:] if delegate == "cpu" and frame_count > AUTO_HEAVY_MAX_FRAMES else AUTO_MODELS


def needs_another(coverage: float) -> bool:
    """Whether a model that kept the lifter in `coverage` of the frames calls for the next one."""
    return coverage < AUTO_MIN_COVERAGE


def better(coverage: float, best: float | None) -> bool:
    """Whether a later model's `coverage` beats the best so far by enough to lose the earlier
    model's better angles."""
    return best is None or coverage >= best + AUTO_MARGIN
