"""Engine result (result.json) <-> Firestore documents.

The session document gets the small parts: metrics, phases, landmarks, faults, quality,
scale and the engine version. Per-frame series do not fit in one document (1 MiB limit;
a 2-minute 60 fps clip has ~7,200 frames x ~100 series), so they are split by frame
range into `sessions/{id}/series/{index}` chunks of at most `MAX_CHUNK_BYTES`, each with
the same shape as result.json: `{timestamps_s: ..., bar: {...}, keypoints: {...}, ...}`.

Each series in a chunk is stored packed, as little-endian float64 bytes (NaN where the
engine wrote null): Firestore counts 8 bytes per value either way, but the client decodes
one bytes value in microseconds where it spends about a microsecond per array element,
which made reading a 2-minute 60 fps session take seconds.
"""

from __future__ import annotations

import math
import sys
from array import array
from datetime import datetime

from shared.formatters import coverage
from shared.formatters.payloads import lift_frames

SERIES_GROUPS = ("bar", "keypoints", "angles", "body")
SESSION_FIELDS = ("engine_version", "scale", "phases", "landmarks", "metrics", "faults", "lifts", "quality")
MAX_CHUNK_BYTES = 256 * 1024


def firestore_size(value: object) -> int:
    """Stored size in bytes, by Firestore's documented rules (strings: UTF-8 + 1;
    numbers and timestamps: 8; bytes: their length; booleans and null: 1; maps: keys +
    values; arrays: their values)."""
    if value is None or isinstance(value, bool):
        return 1
    if isinstance(value, bytes):
        return len(value)
    if isinstance(value, (int, float, datetime)):
        return 8
    if isinstance(value, str):
        return len(value.encode("utf-8")) + 1
    if isinstance(value, dict):
        return sum(len(k.encode("utf-8")) + 1 + firestore_size(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return sum(firestore_size(v) for v in value)
    raise TypeError(f"cannot size {type(value).__name__}")


def session_fields(result: dict) -> dict:
    fields = {name: result[name] for name in SESSION_FIELDS if name in result}  # `lifts`: engine 2.2 on
    fields["analysis_video"] = result["video"]
    return fields


def stored(result: dict) -> tuple[dict, dict]:
    """What the job stores of an engine result: (the session fields, with each series'
    coverage, the per-frame series with gaps filled and NaN outside each span)."""
    series, covs = coverage.tidy(columns(result), lift_frames(result.get("phases") or []))
    return {**session_fields(result), "series_coverage": coverage.coverage_doc(covs)}, series


def columns(result: dict) -> dict:
    """The per-frame series of an engine result: {timestamps_s, bar: {...}, keypoints: {...}, ...}."""
    return {"timestamps_s": result["timestamps_s"], **{g: result[g] for g in SERIES_GROUPS}}


def cut(series: dict, start: int, end: int) -> dict:
    """Frames [start, end) of every series."""
    return {k: (cut(v, start, end) if isinstance(v, dict) else v[start:end]) for k, v in series.items()}


def _leaves(columns: dict) -> int:
    return sum(_leaves(v) if isinstance(v, dict) else 1 for v in columns.values())


def series_chunks(result: dict, max_bytes: int = MAX_CHUNK_BYTES) -> list[dict]:
    """Split the per-frame series of `result` (or of `columns(result)`) into chunk
    documents, each under `max_bytes`."""
    series = columns(result)
    frames = len(result["timestamps_s"])
    names = firestore_size(cut(series, 0, 0)) + 200  # keys, chunk fields, document name
    rows = max(1, (max_bytes - names) // (8 * _leaves(series)))  # 8 bytes per value
    chunks = []
    for index, start in enumerate(range(0, max(frames, 1), rows)):
        end = min(frames, start + rows)
        chunks.append(
            {"index": index, "start_frame": start, "end_frame": end, "series": _packed(cut(series, start, end))}
        )
    return chunks


def _packed(series: dict) -> dict:
    return {k: _packed(v) if isinstance(v, dict) else pack(v) for k, v in series.items()}


def pack(values: list) -> bytes:
    """Numbers as little-endian float64 bytes, NaN for None."""
    packed = array("d", [math.nan if v is None else v for v in values])
    if sys.byteorder == "big":
        packed.byteswap()
    return packed.tobytes()


def unpack(raw: bytes, nan_as_none: bool = True) -> list:
    """`pack`'s numbers back; NaN as None unless `nan_as_none` is False."""
    values = array("d")
    values.frombytes(raw)
    if sys.byteorder == "big":
        values.byteswap()
    return [None if v != v else v for v in values.tolist()] if nan_as_none else values.tolist()


def _concat(parts: list, nan_as_none: bool):
    if isinstance(parts[0], dict):
        return {k: _concat([p[k] for p in parts], nan_as_none) for k in parts[0]}
    return unpack(b"".join(parts), nan_as_none)


def join_chunks(chunks: list[dict], nan_as_none: bool = True) -> dict:
    """The per-frame series back in one piece, in the shape of result.json. Unmeasured
    frames are None, or NaN with `nan_as_none=False` (cheaper, for output that writes
    NaN as null anyway)."""
    if not chunks:
        return {}
    ordered = sorted(chunks, key=lambda c: c["index"])
    return _concat([c["series"] for c in ordered], nan_as_none)
