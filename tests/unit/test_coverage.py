"""Numbers only (shared.formatters.coverage): gap filling, spans and windows on arrays with known answers."""

from __future__ import annotations

import math

import pytest

from shared.formatters.coverage import Coverage, Window, coverage, filled, tidy

N = None
T10 = [i / 10 for i in range(20)]  # 10 fps: a 0.25 s limit fills at most 1 missing frame
T60 = [i / 60 for i in range(60)]


def same(a: list, b: list) -> bool:
    return len(a) == len(b) and all((math.isnan(x) and math.isnan(y)) or x == pytest.approx(y) for x, y in zip(a, b))


@pytest.mark.parametrize(
    "values, lift, span, gaps",
    [
        ([1, 2, 3, 4], None, (0, 3), ()),  # nothing missing
        ([N, N, N, N], None, None, ()),  # never measured
        ([1, N, 3, 4], None, (0, 3), ((1, 1),)),  # 0.2 s across: filled
        ([1, N, N, 4, 5], None, (3, 4), ()),  # 0.3 s across: cut, the longer run is kept
        ([N, 2, 3, N], None, (1, 2), ()),  # ends are cut, never extrapolated
        ([1, 2, 3, N, N, 6, N, N, N, 10, 11], (9, 11), (9, 10), ()),  # the run inside the lift wins
        ([1, 2, 3, N, N, 6], (5, 6), (5, 5), ()),  # even a shorter one
        ([1, 2, 3, N, N, N], (4, 6), None, ()),  # nothing measured in the lift
        ([1, float("nan"), 3], None, (0, 2), ((1, 1),)),  # NaN is unmeasured too
    ],
)
def test_coverage_at_10_fps(values, lift, span, gaps):
    assert coverage(values, T10[: len(values)], lift) == Coverage(span, gaps)


def test_at_60_fps_a_quarter_second_is_14_missing_frames():
    values = [float(i) for i in range(60)]
    for i in range(10, 24):  # 14 frames missing: frames 9 and 24 are 0.25 s apart
        values[i] = None
    assert coverage(values, T60) == Coverage((0, 59), ((10, 23),))
    values[24] = None  # 15 missing: 0.267 s
    assert coverage(values, T60) == Coverage((25, 59), ())


def test_uneven_timestamps_are_measured_in_time_not_frames():
    t = [0.0, 0.1, 0.2, 0.5, 0.6, 0.7]  # dropped frames: frame 1 to 3 is 0.4 s
    assert coverage([1, 2, N, 4, 5, 6], t) == Coverage((3, 5), ())
    t = [0.0, 0.05, 0.1, 0.15, 0.2]
    assert coverage([1, N, N, N, 5], t) == Coverage((0, 4), ((1, 3),))


def test_filled_interpolates_in_time_and_blanks_outside_the_span():
    t = [0.0, 0.1, 0.15, 0.2, 0.3, 0.4, 0.8, 0.9]
    values = [N, 0.0, N, 2.0, N, 4.0, N, 8.0]
    cov = coverage(values, t)
    assert cov == Coverage((1, 5), ((2, 2), (4, 4)))
    nan = math.nan
    assert same(filled(values, t, cov), [nan, 0.0, 1.0, 2.0, 3.0, 4.0, nan, nan])
    assert same(filled(values, t, Coverage(None)), [nan] * 8)


def test_coverage_survives_firestore_and_back():
    cov = Coverage((3, 40), ((5, 6), (10, 12)))
    doc = cov.to_doc()
    assert doc == {"span": [3, 40], "gaps": [5, 6, 10, 12]}  # no nested arrays: Firestore refuses them
    assert Coverage.from_doc(doc) == cov
    assert Coverage.from_doc(Coverage(None).to_doc()) == Coverage(None)


def series(**columns) -> dict:
    return {"timestamps_s": T10[: len(next(iter(columns.values())))], "g": columns}


def test_a_window_slices_each_series_to_its_span_and_says_so():
    stored, covs = tidy(
        series(full=[1, 2, 3, 4, 5, 6], holed=[1, N, 3, 4, 5, 6], late=[N, N, N, 4, 5, 6], never=[N] * 6)
    )
    doc = {g: {n: c.to_doc() for n, c in cols.items()} for g, cols in covs.items()}
    w = Window(stored, 0, doc)
    assert w.take("g.full") == [1, 2, 3, 4, 5, 6]
    assert w.take("g.holed", "holed_in_payload") == [1, 2, 3, 4, 5, 6]
    assert w.take("g.late") == [4, 5, 6]
    assert w.take("g.never") is None and w.take("g.never", "req", required=True) == []
    assert w.take("g.absent") is None
    assert w.quality() == {
        "unmeasured": ["never", "req"],
        "gaps": {"holed_in_payload": [[100, 100]]},
        "cut": {"late": [300, 500]},
    }


def test_a_lift_window_keeps_only_what_falls_inside_it():
    whole = series(a=[1, N, 3, 4, 5, 6, 7, 8], b=[1, 2, 3, N, N, N, N, N])
    stored, covs = tidy(whole, lift=(2, 6))
    doc = {g: {n: c.to_doc() for n, c in cols.items()} for g, cols in covs.items()}
    lift = {"timestamps_s": stored["timestamps_s"][2:6], "g": {k: v[2:6] for k, v in stored["g"].items()}}
    w = Window(lift, 2, doc)
    assert w.take("g.a") == [3, 4, 5, 6]  # the gap at frame 1 is outside the window
    assert w.take("g.b") == [3]
    assert w.quality() == {"unmeasured": [], "gaps": {}, "cut": {"b": [200, 200]}}


def test_a_session_stored_without_coverage_is_tidied_when_read():
    w = Window(series(a=[N, 1.0, N, 3.0, N, N, N]), start=5, stored=None)
    assert w.take("g.a") == [1.0, 2.0, 3.0]
    assert w.quality() == {"unmeasured": [], "gaps": {"a": [[200, 200]]}, "cut": {"a": [100, 300]}}
