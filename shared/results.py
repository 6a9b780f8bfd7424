"""Engine result (result.json) <-> Firestore documents.

The session document gets the small parts: metrics, phases, landmarks, faults, quality,
scale and the engine version. Per-frame series do not fit in one document (1 MiB limit;
a 2-minute 60 fps clip has ~7,200 frames x ~100 series), so they are split by frame
range into `sessions/{id}/series/{index}` chunks of at most `MAX_CHUNK_BYTES`, each with
the same shape as result.json: `{timestamps_s: [...], bar: {...}, keypoints: {...}, ...}`.
"""
from __future__ import annotations

SERIES_GROUPS = ("bar", "keypoints", "angles", "body")
SESSION_FIELDS = ("engine_version", "scale", "phases", "landmarks", "metrics", "faults", "quality")
MAX_CHUNK_BYTES = 256 * 1024


def firestore_size(value) -> int:
    """Stored size in bytes, by Firestore's documented rules (strings: UTF-8 + 1;
    numbers: 8; booleans and null: 1; maps: keys + values; arrays: their values)."""
    if value is None or isinstance(value, bool):
        return 1
    if isinstance(value, (int, float)):
        return 8
    if isinstance(value, str):
        return len(value.encode("utf-8")) + 1
    if isinstance(value, dict):
        return sum(len(k.encode("utf-8")) + 1 + firestore_size(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return sum(firestore_size(v) for v in value)
    raise TypeError(f"cannot size {type(value).__name__}")


def session_fields(result: dict) -> dict:
    fields = {name: result[name] for name in SESSION_FIELDS}
    fields["analysis_video"] = result["video"]
    return fields


def _columns(result: dict) -> dict:
    return {"timestamps_s": result["timestamps_s"], **{g: result[g] for g in SERIES_GROUPS}}


def _slice(columns: dict, start: int, end: int) -> dict:
    return {k: (_slice(v, start, end) if isinstance(v, dict) else v[start:end]) for k, v in columns.items()}


def _leaves(columns: dict) -> int:
    return sum(_leaves(v) if isinstance(v, dict) else 1 for v in columns.values())


def series_chunks(result: dict, max_bytes: int = MAX_CHUNK_BYTES) -> list[dict]:
    """Split the per-frame series into chunk documents, each under `max_bytes`."""
    columns = _columns(result)
    frames = len(result["timestamps_s"])
    names = firestore_size(_slice(columns, 0, 0)) + 200  # keys, chunk fields, document name
    rows = max(1, (max_bytes - names) // (8 * _leaves(columns)))  # every value at its largest, a number
    chunks = []
    for index, start in enumerate(range(0, max(frames, 1), rows)):
        end = min(frames, start + rows)
        chunks.append({"index": index, "start_frame": start, "end_frame": end, "series": _slice(columns, start, end)})
    return chunks


def _concat(parts: list):
    if isinstance(parts[0], dict):
        return {k: _concat([p[k] for p in parts]) for k in parts[0]}
    return [v for p in parts for v in p]


def join_chunks(chunks: list[dict]) -> dict:
    """The per-frame series back in one piece, in the shape of result.json."""
    if not chunks:
        return {}
    ordered = sorted(chunks, key=lambda c: c["index"])
    return _concat([c["series"] for c in ordered])
