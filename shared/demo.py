"""The demo session behind `demo=true`, made by the real pipeline from a bundled video.

- `python -m shared.demo build` (`make demo`) runs the engine on the bundled sample lift
  and keeps its outputs (result.json, analyzed.mp4, phase JPEGs) in `shared/demo_data/`.
- `install()` stores them as session `demo-snatch` through the same publish step the
  analysis job uses; the local stack runs it at start, a deploy runs it once.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
from datetime import datetime, timezone
from pathlib import Path

from shared.job import publish
from shared.repository import Repository
from shared.lifts import ACTIVITY
from shared.reports import DEMO_SESSION_ID
from shared.storage import Storage

ROOT = Path(__file__).resolve().parents[1]
DEMO_VIDEO = ROOT / "tests" / "data" / "sample_snatch.mp4"
DEMO_DIR = Path(__file__).resolve().parent / "demo_data"
DEMO_USER_ID = "demo-lifter"
DEMO_USER = {"display_name": "Demo Lifter", "age": 27, "weight_kg": 80.0, "height_cm": 175.0, "units": "metric",
             "timezone": "UTC"}
DEMO_SESSION = {"user_id": DEMO_USER_ID, "created_by": DEMO_USER_ID, "activity": ACTIVITY, "exercise": "snatch",
                "title": "Demo · Snatch", "barbell_mass_kg": 100.0, "joints": ["all"]}


def build(out_dir: Path = DEMO_DIR) -> dict:
    """Run the engine on the demo video; its outputs replace the kept ones."""
    from shared.analysis import AnalysisOptions, analyze

    options = AnalysisOptions(exercise=DEMO_SESSION["exercise"], bar_mass_kg=DEMO_SESSION["barbell_mass_kg"],
                              body_mass_kg=DEMO_USER["weight_kg"], lifter_height_m=DEMO_USER["height_cm"] / 100,
                              measurements_source="profile",
                              out_dir=str(out_dir))
    if out_dir.exists():
        shutil.rmtree(out_dir)
    result = analyze(DEMO_VIDEO, options)
    return result.to_dict()


def store_finished(repo: Repository, store: Storage, session_id: str, session: dict, result_dir: Path,
                   video: Path = DEMO_VIDEO) -> bool:
    """Store a finished engine run (result.json, analyzed.mp4, phase JPEGs in `result_dir`)
    as session `session_id`, through the publish step the analysis job uses."""
    result = json.loads((result_dir / "result.json").read_text())
    original = f"demo/{session_id}/original.mp4"
    store.upload_path(original, str(video), "video/mp4")
    owner = "stored-run"
    repo.db.collection("sessions").document(session_id).set({
        **session, "status": "processing", "progress": 0, "created_at": datetime.now(timezone.utc),
        "video": {"path": original, "content_type": "video/mp4", "size": video.stat().st_size},
        "lease": {"owner": owner, "until": 0}})
    return publish(repo, store, {**session, "id": session_id}, owner, result, result_dir)


def install(repo: Repository, store: Storage, demo_dir: Path = DEMO_DIR) -> bool:
    """Store the demo session, with its coaching texts in both unit systems (the built-in
    coach, or OpenAI where a key is set); False when the same engine version is already
    there, stored as the job stores it now (with each series' coverage)."""
    from shared.coach.facts import UNIT_SYSTEMS, units_from
    from shared.coach.threads import KEYS, Coaching

    result = json.loads((demo_dir / "result.json").read_text())
    current = repo.session(DEMO_SESSION_ID)
    if (current and current.get("status") == "done" and current.get("engine_version") == result["engine_version"]
            and current.get("series_coverage") is not None):
        return False
    repo.db.collection("users").document(DEMO_USER_ID).set(DEMO_USER, merge=True)
    if not store_finished(repo, store, DEMO_SESSION_ID, DEMO_SESSION, demo_dir):
        return False
    coaching = Coaching(repo)
    for kind in KEYS:
        for system in UNIT_SYSTEMS:
            coaching.write_now(DEMO_SESSION_ID, kind, units_from(system), owner_id="demo-install")
    return True


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m shared.demo")
    ap.add_argument("command", choices=["build", "install"])
    args = ap.parse_args(argv)
    if args.command == "build":
        metrics = build()["metrics"]
        print(f"demo rebuilt in {DEMO_DIR}: max_bar_speed {metrics['max_bar_speed']} m/s")
    else:
        print("installed" if install(Repository(), Storage()) else "already installed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
