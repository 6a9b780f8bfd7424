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


def test_the_demo_history_was_built_by_the_current_engine_at_four_loads():
    from shared.demo import HISTORY, HISTORY_DIR

    results = [json.loads((HISTORY_DIR / session_id / "result.json").read_text()) for session_id, *_ in HISTORY]
    assert all(r["engine_version"] == ENGINE_VERSION for r in results)
    assert [r["bar_mass_kg"] for r in results] == [kg for _, kg, *_ in HISTORY]
    assert len({kg for _, kg, *_ in HISTORY}) >= 4 and len(HISTORY) >= 8
    assert all(r["metrics"]["outcome"] == "complete" for r in results)
    assert all((HISTORY_DIR / session_id / "phase_catch.jpg").exists() for session_id, *_ in HISTORY)
