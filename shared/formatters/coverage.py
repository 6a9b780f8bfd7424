"""Numbers only: how a per-frame series with unmeasured frames (None or NaN) becomes an
array of numbers for the API. Pure Python, so the functions can use it without numpy.

- A gap (unmeasured frames between two measured ones) is filled by linear interpolation in
  time when the measured frames on either side are at most `MAX_GAP_S` apart.
- A longer gap splits the series into runs. The series keeps one run, its *span*: the run
  with the most measured frames inside the lift (the whole clip when there is no lift).
  Frames outside the span are cut off, so a payload's array can start after its first
  timestamp and end before its last; the payload's `quality.cut` says which times it covers.
- A series with no measured frame inside the lift is left out (`quality.unmeasured`).

The job works this out once over the whole clip (`tidy`), stores the filled series (NaN
outside the span) and each series' `Coverage`; a payload then only slices (`Window`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

MAX_GAP_S = 0.25
_EPS_S = 1e-6


def _measured(v) -> bool:
    return v is not None and v == v  # NaN != NaN


@dataclass(frozen=True)
class Coverage:
    """Frames [first, last] (inclusive) a series keeps, or None when it keeps none, and the
    gaps filled inside it, each as its unmeasured frames [a, b] (inclusive)."""

    span: tuple[int, int] | None
    gaps: tuple[tuple[int, int], ...] = ()

    def to_doc(self) -> dict:
        """Firestore form (no nested arrays): {span: [first, last] or [], gaps: [a0, b0, a1, b1, ...]}."""
        return {"span": list(self.span or ()), "gaps": [f for gap in self.gaps for f in gap]}

    @classmethod
    def from_doc(cls, doc: dict) -> Coverage:
        span, flat = doc.get("span") or [], doc.get("gaps") or []
        return cls(tuple(span) if span else None, tuple(zip(flat[::2], flat[1::2])))


def coverage(
    values: list, t: list[float], lift: tuple[int, int] | None = None, max_gap_s: float = MAX_GAP_S
) -> Coverage:
    """The span and filled gaps of `values` (timestamps `t`, s). `lift` is frames [start, stop)."""
    measured = [i for i, v in enumerate(values) if _measured(v)]
    if not measured:
        return Coverage(None)
    lo, hi = lift if lift else (0, len(values))
    runs, gaps = [[measured[0], measured[0], 0, 0]], []  # [first, last, measured inside the lift, measured]
    for before, after in zip([None] + measured, measured):
        if before is not None and after > before + 1:
            if t[after] - t[before] <= max_gap_s + _EPS_S:
                gaps.append((before + 1, after - 1))
            else:
                runs.append([after, after, 0, 0])
        run = runs[-1]
        run[1], run[2], run[3] = after, run[2] + (lo <= after < hi), run[3] + 1
    first, last, inside, _ = max(runs, key=lambda run: (run[2], run[3]))
    if not inside:
        return Coverage(None)
    best = (first, last)
    return Coverage(best, tuple(g for g in gaps if best[0] <= g[0] and g[1] <= best[1]))


def filled(values: list, t: list[float], cov: Coverage) -> list[float]:
    """`values` with the gaps interpolated and NaN outside the span (same length)."""
    nan = float("nan")
    if cov.span is None:
        return [nan] * len(values)
    first, last = cov.span
    out = [nan] * first + [float(v) if _measured(v) else nan for v in values[first : last + 1]]
    out += [nan] * (len(values) - len(out))
    for a, b in cov.gaps:
        v0, v1, t0, t1 = out[a - 1], out[b + 1], t[a - 1], t[b + 1]
        for i in range(a, b + 1):
            out[i] = v0 + (v1 - v0) * (t[i] - t0) / (t1 - t0) if t1 > t0 else v0
    return out


def tidy(series: dict, lift: tuple[int, int] | None = None) -> tuple[dict, dict]:
    """Per-frame series in result.json's shape ({timestamps_s, group: {name: values}}) ->
    (the same with gaps filled and NaN outside each span, {group: {name: Coverage}})."""
    t = series.get("timestamps_s", [])
    out, covs = {"timestamps_s": list(t)}, {}
    for group, columns in series.items():
        if group == "timestamps_s":
            continue
        covs[group] = {name: coverage(values, t, lift) for name, values in columns.items()}
        out[group] = {name: filled(values, t, covs[group][name]) for name, values in columns.items()}
    return out, covs


def coverage_doc(covs: dict) -> dict:
    return {group: {name: c.to_doc() for name, c in columns.items()} for group, columns in covs.items()}


def _ms(seconds: float) -> int:
    return int(round(seconds * 1000))


class Window:
    """The series of one payload, clip frames [start, start + len(timestamps)), as numbers
    only. `take` gives each series' kept values and records, under the name the payload
    uses, what `quality` says of it.

    `stored` is the session's `series_coverage` (the series are filled already); None for a
    session stored before there was one: the window is then tidied here, in pure Python.
    """

    def __init__(self, series: dict, start: int = 0, stored: dict | None = None):
        self.t = series.get("timestamps_s", [])
        self.start = start
        if stored is None:
            self.series, covs = tidy(series)
            self.start, self.covs = 0, covs
        else:
            self.series = series
            self.covs = {g: {n: Coverage.from_doc(d) for n, d in columns.items()} for g, columns in stored.items()}
        self.unmeasured: list[str] = []
        self.gaps: dict[str, list[list[int]]] = {}
        self.cut: dict[str, list[int]] = {}

    def take(self, path: str, name: str | None = None, required: bool = False) -> list | None:
        """The kept values of series `path` ("group.key"), or None where it is absent or was
        not measured in this window (`[]` instead when the payload `required` the array)."""
        group, key = path.split(".", 1)
        values = self.series.get(group, {}).get(key)
        name = name or key
        if values is None:
            return [] if required else None
        cov = self.covs.get(group, {}).get(key)
        n = len(self.t)
        if cov is None or cov.span is None or cov.span[1] < self.start or cov.span[0] >= self.start + n:
            self.unmeasured.append(name)
            return [] if required else None
        first, last = max(cov.span[0] - self.start, 0), min(cov.span[1] - self.start, n - 1)
        if first > 0 or last < n - 1:
            self.cut[name] = [_ms(self.t[first]), _ms(self.t[last])]
        gaps = [
            [_ms(self.t[max(a - self.start, first)]), _ms(self.t[min(b - self.start, last)])]
            for a, b in cov.gaps
            if b - self.start >= first and a - self.start <= last
        ]
        if gaps:
            self.gaps[name] = gaps
        return values[first : last + 1]

    def take_map(self, entries: Iterable[tuple[str, str, str]]) -> dict:
        """{key: values} of the measured series among `entries` (key, path, name in the payload)."""
        taken = ((key, self.take(path, name)) for key, path, name in entries)
        return {key: values for key, values in taken if values is not None}

    def quality(self) -> dict:
        return {"unmeasured": self.unmeasured, "gaps": self.gaps, "cut": self.cut}
