"""The demo behind demo=true is what today's engine makes of the bundled clip."""
from __future__ import annotations

import json

from shared.analysis.pipeline import ENGINE_VERSION
from shared.demo import DEMO_DIR


def test_the_demo_was_built_by_the_current_engine():
    """Rebuild it with `make demo` whenever the engine's version moves."""
    result = json.loads((DEMO_DIR / "result.json").read_text())
    assert result["engine_version"] == ENGINE_VERSION
    assert (DEMO_DIR / "analyzed.mp4").stat().st_size > 0
    assert all((DEMO_DIR / f"phase_{p['name']}.jpg").exists() for p in result["phases"])
