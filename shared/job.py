"""The analysis job: `python -m shared.job --session-id ID`, in the container and locally.

1. Take the session's lease in a transaction (a second runner exits without work; a
   retry of the same execution takes its own lease back).
2. Download the video, run the engine, and report `progress` (which renews the lease).
3. Upload the annotated video, phase images and result.json; write the series chunks
   and the session fields; end in `done`.
An engine error (bad video, no lifter) ends in `failed {code, message}` and exits 0, so
it is never retried. A crash exits 1 for the dispatcher to retry, up to the attempt
limit, after which the session is `failed` with `retries_exhausted`.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

from shared.adapters.repository import Repository
from shared.adapters.storage import Storage, results_prefix
from shared.config import check_environment, execution_owner, settings
from shared.domain.model import Session, User
from shared.formatters import payloads, results

log = logging.getLogger("liftlab.job")

# Engine progress (0-100) is mapped into this span; the rest is download and upload.
ENGINE_SPAN = (5.0, 90.0)


class ProgressReporter:
    """Writes progress at most every `every_s` seconds or `step` points."""

    def __init__(
        self, repo: Repository, session_id: str, owner: str, lease_s: int, every_s: float = 2.0, step: float = 5.0
    ):
        self.repo, self.session_id, self.owner, self.lease_s = repo, session_id, owner, lease_s
        self.every_s, self.step = every_s, step
        self.last_pct, self.last_t = -100.0, 0.0

    def __call__(self, pct: float, stage: str, force: bool = False) -> None:
        now = time.monotonic()
        if force or pct - self.last_pct >= self.step or now - self.last_t >= self.every_s:
            self.repo.report_progress(self.session_id, self.owner, pct, stage, self.lease_s)
            self.last_pct, self.last_t = pct, now

    def engine(self, pct: float, stage: str) -> None:
        lo, hi = ENGINE_SPAN
        self(lo + (hi - lo) * pct / 100.0, stage)


def _options(session: Session, user: User | None, out_dir: str):
    from shared.analysis import AnalysisOptions
    from shared.analysis.model_policy import DEFAULT_POSE_MODEL

    weight_kg, height_cm = (user.weight_kg, user.height_cm) if user else (None, None)
    s = settings()
    return AnalysisOptions(
        exercise=session.exercise,
        bar_mass_kg=float(session.barbell_mass_kg),
        body_mass_kg=weight_kg or None,
        lifter_height_m=height_cm / 100 if height_cm else None,
        measurements_source="profile",
        joints=session.joints,
        max_duration_s=s.max_video_duration_s,
        accel=s.accel,
        pose_model=s.pose_model or DEFAULT_POSE_MODEL,
        out_dir=out_dir,
    )


def _upload_outputs(store: Storage, session: Session, out_dir: Path, series: dict) -> dict:
    prefix = results_prefix(session.user_id, session.id)
    outputs = {"result_path": prefix + "result.json", "export_csv_path": prefix + "export.csv"}
    if (out_dir / "analyzed.mp4").exists():  # always, but for the demo history (snapshots only)
        outputs["analyzed_video_path"] = prefix + "analyzed.mp4"
        store.upload_path(outputs["analyzed_video_path"], str(out_dir / "analyzed.mp4"), "video/mp4")
    store.upload_path(prefix + "result.json", str(out_dir / "result.json"), "application/json")
    # The CSV export is written once here: a 2-minute clip is ~400,000 cells of text.
    store.upload_bytes(prefix + "export.csv", payloads.export_csv(series).encode(), "text/csv")
    images = {}
    for jpeg in sorted(out_dir.glob("phase_*.jpg")):
        phase = jpeg.stem.removeprefix("phase_")
        images[phase] = prefix + jpeg.name
        store.upload_path(images[phase], str(jpeg), "image/jpeg")
    return {**outputs, "phase_images": images}


def publish(repo: Repository, store: Storage, session: Session, owner: str, result: dict, out_dir: Path) -> bool:
    """Store an engine run's outputs and results and mark the session `done` (only while
    `owner` holds its lease). The series are stored as the payloads show them: gaps filled,
    each cut to its span (`shared.formatters.coverage`), with that coverage on the session."""
    fields, series = results.stored(result)
    fields.update(_upload_outputs(store, session, out_dir, series))
    return repo.write_results(session.id, owner, fields, results.series_chunks(series))


def run(session_id: str, owner: str, repo: Repository | None = None, store: Storage | None = None) -> str:
    """Analyse one session; returns what happened (`done`, `failed`, or why it did nothing)."""
    from shared.analysis import AnalysisError, analyze

    s = settings()
    repo, store = repo or Repository(), store or Storage()
    lease = repo.take_lease(session_id, owner, s.job_lease_s, s.job_max_attempts)
    if lease.outcome != "taken":
        log.info("session %s: nothing to do (%s)", session_id, lease.outcome)
        return lease.outcome
    session = lease.session
    attempt = session.attempts + 1
    progress = ProgressReporter(repo, session_id, owner, s.job_lease_s)
    try:
        with tempfile.TemporaryDirectory(prefix="liftlab-job-") as tmp:
            video = Path(tmp) / Path(session.video.path).name
            progress(1.0, "downloading", force=True)
            store.download(session.video.path, str(video))
            out_dir = Path(tmp) / "out"
            result = analyze(
                video, _options(session, repo.user(session.user_id), str(out_dir)), on_progress=progress.engine
            )
            log.info("session %s: engine runtime %s", session_id, result.runtime)
            progress(ENGINE_SPAN[1], "uploading", force=True)
            if not publish(repo, store, session, owner, result.to_dict(), out_dir):
                log.warning("session %s: lease lost before the results were written", session_id)
                return "lease_lost"
    except AnalysisError as exc:
        repo.fail(session_id, owner, exc.code, exc.message)
        return "failed"
    except Exception as exc:
        if attempt >= s.job_max_attempts:
            repo.fail(
                session_id,
                owner,
                "analysis_crashed",
                f"the analysis crashed {attempt} times ({type(exc).__name__}); contact support",
            )
            log.exception("session %s: giving up after %d attempts", session_id, attempt)
            return "failed"
        raise
    return "done"


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    ap = argparse.ArgumentParser(prog="python -m shared.job", description="Analyse one uploaded session.")
    ap.add_argument("--session-id", required=True)
    args = ap.parse_args(argv)
    check_environment()
    from shared.analysis.model_policy import POSE_CHOICES

    model = settings().pose_model
    if model not in ("",) + POSE_CHOICES:  # before any session is leased
        ap.error(f"LIFTLAB_POSE_MODEL must be one of {', '.join(POSE_CHOICES)}, not {model!r}")
    owner = execution_owner()
    outcome = run(args.session_id, owner)
    log.info("session %s: %s", args.session_id, outcome)
    return 0


if __name__ == "__main__":
    sys.exit(main())
