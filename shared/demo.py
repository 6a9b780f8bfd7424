"""The demo session behind `demo=true`, made by the real pipeline from a bundled video.

- `python -m shared.demo build` (`make demo`) runs the engine on the bundled sample lift
  and keeps its outputs (result.json, analyzed.mp4, phase JPEGs) in `shared/demo_data/`;
  then renders the demo lifter's history (`HISTORY`) and keeps each run's result.json and
  catch snapshot in `shared/demo_data/history/`.
- `install()` stores them as session `demo-snatch` through the same publish step the
  analysis job uses; the local stack runs it at start, a deploy runs it once.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from shared.adapters.repository import Repository
from shared.adapters.storage import Storage
from shared.domain.lifts import ACTIVITY
from shared.domain.reports import DEMO_SESSION_ID, DEMO_USER_ID
from shared.formatters import documents
from shared.job import publish

ROOT = Path(__file__).resolve().parents[1]
DEMO_VIDEO = ROOT / "tests" / "data" / "sample_snatch.mp4"
DEMO_DIR = Path(__file__).resolve().parent / "demo_data"
DEMO_USER = {
    "display_name": "Demo Lifter",
    "age": 27,
    "weight_kg": 80.0,
    "height_cm": 175.0,
    "units": "metric",
    "timezone": "UTC",
}
DEMO_SESSION = {
    "user_id": DEMO_USER_ID,
    "created_by": DEMO_USER_ID,
    "activity": ACTIVITY,
    "exercise": "snatch",
    "title": "Demo · Snatch",
    "barbell_mass_kg": 100.0,
    "joints": ["all"],
}


def build(out_dir: Path = DEMO_DIR) -> dict:
    """Run the engine on the demo video; its outputs replace the kept ones."""
    from shared.analysis import AnalysisOptions, analyze

    options = AnalysisOptions(
        exercise=DEMO_SESSION["exercise"],
        bar_mass_kg=DEMO_SESSION["barbell_mass_kg"],
        body_mass_kg=DEMO_USER["weight_kg"],
        lifter_height_m=DEMO_USER["height_cm"] / 100,
        measurements_source="profile",
        out_dir=str(out_dir),
    )
    for old in out_dir.glob("*.*"):  # the history beside them is rebuilt by build_history
        old.unlink()
    result = analyze(DEMO_VIDEO, options)
    return result.to_dict()


# The demo lifter's history (issue: history and progress): snatches rendered at four loads,
# two each, the heavier ones lifted slower, each analysed by the real pipeline.
# (session id, bar kg, time scale, render seed, days before the install)
HISTORY_DIR = DEMO_DIR / "history"
HISTORY = (
    ("demo-history-1", 80.0, 0.90, 11, 40),
    ("demo-history-2", 80.0, 0.93, 12, 37),
    ("demo-history-3", 90.0, 0.97, 13, 30),
    ("demo-history-4", 90.0, 1.00, 14, 26),
    ("demo-history-5", 100.0, 1.05, 15, 19),
    ("demo-history-6", 100.0, 1.03, 16, 15),
    ("demo-history-7", 110.0, 1.10, 17, 8),
    ("demo-history-8", 110.0, 1.13, 18, 3),
)


def build_history(out_dir: Path = HISTORY_DIR) -> list[dict]:
    """Render and analyse each history lift; keeps its result.json and catch snapshot."""
    import tempfile

    from shared.analysis import AnalysisOptions, analyze
    from tests.synth.render import ClipSpec, render_clip

    out = []
    for session_id, kg, scale, seed, _ in HISTORY:
        with tempfile.TemporaryDirectory() as tmp:
            video = Path(tmp) / "clip.mp4"
            render_clip(ClipSpec(name=session_id, fps=30, width=960, height=540, seed=seed, time_scale=scale), video)
            options = AnalysisOptions(
                exercise="snatch",
                bar_mass_kg=kg,
                body_mass_kg=DEMO_USER["weight_kg"],
                lifter_height_m=DEMO_USER["height_cm"] / 100,
                measurements_source="profile",
                out_dir=str(Path(tmp) / "run"),
            )
            result = analyze(str(video), options).to_dict()
            target = out_dir / session_id
            if target.exists():
                shutil.rmtree(target)
            target.mkdir(parents=True)
            (target / "result.json").write_text(json.dumps(result))
            for jpeg in (Path(tmp) / "run").glob("phase_catch.jpg"):
                shutil.copy(jpeg, target / jpeg.name)
            out.append(result)
            print(f"{session_id}: {kg} kg, max_bar_speed {result['metrics'].get('max_bar_speed')} m/s", flush=True)
    return out


def store_finished(
    repo: Repository,
    store: Storage,
    session_id: str,
    session: dict,
    result_dir: Path,
    video: Path | None = DEMO_VIDEO,
    created: datetime | None = None,
) -> bool:
    """Store a finished engine run (result.json, analyzed.mp4, phase JPEGs in `result_dir`)
    as session `session_id`, through the publish step the analysis job uses."""
    result = json.loads((result_dir / "result.json").read_text())
    original = None
    if video is not None:
        original = {
            "path": f"demo/{session_id}/original.mp4",
            "content_type": "video/mp4",
            "size": video.stat().st_size,
        }
        store.upload_path(original["path"], str(video), "video/mp4")
    owner = "stored-run"
    doc = {
        **session,
        "status": "processing",
        "progress": 0,
        "created_at": created or datetime.now(UTC),
        "video": original or {},
    }
    repo.put_session(session_id, {**doc, "lease": {"owner": owner, "until": 0}})
    return publish(repo, store, documents.session(session_id, doc), owner, result, result_dir)


def install(repo: Repository, store: Storage, demo_dir: Path = DEMO_DIR) -> bool:
    """Store the demo session, with its coaching texts in both unit systems (the built-in
    coach, or OpenAI where a key is set), and the demo lifter's history; False when the
    same engine version is already there, stored as the job stores it now."""
    from shared.coach.facts import UNIT_SYSTEMS, units_from
    from shared.coach.threads import KEYS, Coaching

    result = json.loads((demo_dir / "result.json").read_text())
    current = repo.session(DEMO_SESSION_ID)
    last = repo.session(HISTORY[-1][0])
    if (
        current
        and current.done
        and current.engine_version == result["engine_version"]
        and current.series_coverage is not None
        and last
        and last.done
    ):
        return False
    repo.put_user(DEMO_USER_ID, DEMO_USER)
    now = datetime.now(UTC)
    for session_id, kg, _, _, days in HISTORY:
        session = {**DEMO_SESSION, "title": f"Demo · Snatch {kg:g} kg", "barbell_mass_kg": kg}
        store_finished(
            repo,
            store,
            session_id,
            session,
            demo_dir / "history" / session_id,
            video=None,
            created=now - timedelta(days=days),
        )
    if not store_finished(repo, store, DEMO_SESSION_ID, DEMO_SESSION, demo_dir):
        return False
    coaching = Coaching(repo)
    for kind in KEYS:
        for system in UNIT_SYSTEMS:
            coaching.write_now(DEMO_SESSION_ID, kind, units_from(system), owner_id="demo-install")
    return True


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m shared.demo")
    ap.add_argument("command", choices=["build", "install"])
    args = ap.parse_args(argv)
    if args.command == "build":
        metrics = build()["metrics"]
        print(f"demo rebuilt in {DEMO_DIR}: max_bar_speed {metrics['max_bar_speed']} m/s")
        build_history()
    else:
        print("installed" if install(Repository(), Storage()) else "already installed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
