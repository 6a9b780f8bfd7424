"""The engine on real clips filmed by other people (../shared/realclips, used in place and never
committed): the plate-centre windows their MANIFEST gives, and the front view refused. Skips
where the folder is missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.analysis import AnalysisOptions, NotSideView, analyze

REAL_CLIPS = Path(__file__).resolve().parents[3] / "shared" / "realclips"
# MANIFEST.md: (clip, 0-based frame, x range, y range) of the plate centre in the stored frame
WINDOWS = [
    ("clean_side_portrait_iphone.mp4", 29, (350, 400), (750, 800)),
    ("clean_from_mid_pull_side_portrait_iphone.mp4", 24, (325, 375), (650, 700)),
]


@pytest.mark.slow
@pytest.mark.parametrize("name, frame, xs, ys", WINDOWS)
def test_the_plate_centre_lies_in_the_manifests_window(name, frame, xs, ys):
    path = REAL_CLIPS / name
    if not path.exists():
        pytest.skip(f"{path} is not here (the real clips live beside the project, not in it)")
    result = analyze(path, AnalysisOptions(exercise="clean", render=False))
    assert (result.video["width"], result.video["height"]) == (720, 1280)  # stored = display here
    x, y = result.bar["x_px"][frame], result.bar["y_px"][frame]
    assert x is not None and y is not None, "the plate was not tracked on that frame"
    assert xs[0] <= x <= xs[1] and ys[0] <= y <= ys[1]


@pytest.mark.slow
def test_the_front_view_jerk_is_refused_as_not_side_view():
    """The competition clip filmed from the front shows no plate face: nothing in it can give a
    scale or a side-view bar path, so it is refused rather than scaled from a guess."""
    path = REAL_CLIPS / "jerk_front_view_competition_sar.mp4"
    if not path.exists():
        pytest.skip(f"{path} is not here (the real clips live beside the project, not in it)")
    with pytest.raises(NotSideView) as refused:
        analyze(path, AnalysisOptions(exercise="clean_and_jerk", render=False))
    assert refused.value.code == "not_side_view" and "side" in refused.value.message
