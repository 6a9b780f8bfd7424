"""Engine result -> session fields and series chunks that fit Firestore."""

from __future__ import annotations

import json

import numpy as np
import pytest

from shared.demo import DEMO_DIR
from shared.formatters import results


def long_result(frames: int) -> dict:
    """The demo's result.json with every series stretched to `frames` frames."""
    result = json.loads((DEMO_DIR / "result.json").read_text())
    rng = np.random.default_rng(1)

    def stretch(values):
        out = [round(float(v), 4) for v in rng.normal(size=frames)]
        out[::50] = [None] * len(out[::50])  # gaps, as pose dropouts give
        return out

    result["timestamps_s"] = [round(i / 60, 4) for i in range(frames)]
    for group in results.SERIES_GROUPS:
        result[group] = {k: stretch(v) for k, v in result[group].items()}
    return result


@pytest.mark.parametrize("frames", [1, 100, 7200, 18000])
def test_chunks_stay_under_256_kb_and_join_back_exactly(frames):
    result = long_result(frames)
    chunks = results.series_chunks(result)
    assert all(results.firestore_size(c) <= results.MAX_CHUNK_BYTES for c in chunks)
    joined = results.join_chunks(chunks)
    assert joined["timestamps_s"] == result["timestamps_s"]
    for group in results.SERIES_GROUPS:
        assert joined[group] == result[group]
    assert [c["index"] for c in chunks] == list(range(len(chunks)))
    assert chunks[-1]["end_frame"] == frames


def test_a_two_minute_60_fps_clip_needs_a_handful_of_chunks():
    chunks = results.series_chunks(long_result(7200))
    assert 4 <= len(chunks) <= 40


def test_chunks_join_in_index_order_whatever_order_they_are_read_in():
    chunks = results.series_chunks(long_result(3000), max_bytes=64 * 1024)
    assert len(chunks) > 2
    assert results.join_chunks(chunks[::-1]) == results.join_chunks(chunks)


def test_session_fields_hold_no_per_frame_series():
    result = long_result(7200)
    fields = results.session_fields(result)
    assert set(results.SERIES_GROUPS).isdisjoint(fields) and "timestamps_s" not in fields
    assert results.firestore_size(fields) < 100 * 1024


@pytest.mark.parametrize(
    "value, size",
    [
        (None, 1),
        (True, 1),
        (3, 8),
        (2.5, 8),
        ("abc", 4),
        ("é", 3),
        ([1.0, None], 9),
        ({"ab": 1.0}, 3 + 8),
    ],
)
def test_firestore_size_follows_the_documented_rules(value, size):
    assert results.firestore_size(value) == size
