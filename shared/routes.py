"""The route manifest (`functions/routes.json`): name, method, path, entry point, trigger.

The local router, the functions themselves (to read path parameters) and the deploy all
read this one file.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

MANIFEST = Path(__file__).resolve().parents[1] / "functions" / "routes.json"


@dataclass(frozen=True)
class Route:
    name: str
    entry_point: str
    trigger: str
    method: str | None = None
    path: str | None = None
    prefix: str | None = None
    memory: str = "512Mi"
    timeout_s: int = 60

    @property
    def pattern(self) -> re.Pattern:
        return re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", self.path.rstrip("/")) + "/?$")

    def params(self, path: str) -> dict | None:
        """Path parameters when `path` matches this route (trailing slash optional)."""
        found = self.pattern.match(path)
        return found.groupdict() if found else None


@lru_cache(maxsize=1)
def routes() -> tuple[Route, ...]:
    data = json.loads(MANIFEST.read_text())
    return tuple(Route(**r) for r in data["functions"])


def by_entry_point(entry_point: str) -> Route:
    return next(r for r in routes() if r.entry_point == entry_point)


def http_routes() -> list[Route]:
    return [r for r in routes() if r.trigger == "http"]
