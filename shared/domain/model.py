"""The domain's types: a user, a session and a coaching thread, as the rules read them.

Units are in the field names. The adapters build them from documents and write them back
(`shared.formatters.documents`); the formatters turn them into payloads. The engine's
outputs a session carries (`metrics`, `phases`, `quality`, ...) keep result.json's shape,
which `docs/engine.md` documents field by field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from shared.domain.lifts import ACTIVITY

STATUSES = ("uploading", "queued", "processing", "done", "failed")


@dataclass(frozen=True)
class Plan:
    """A user's plan: analysis, summary and coaching need it active (`active_until`)."""

    name: str | None = None
    active_until: datetime | None = None
    max_sessions_per_month: int | None = None  # 0: none; None: the deploy's default


@dataclass(frozen=True)
class User:
    """A lifter's profile (`users/{uid}`)."""

    uid: str
    display_name: str = ""
    age_years: int | None = None
    weight_kg: float | None = None
    height_cm: float | None = None
    org_id: str | None = None
    timezone: str | None = None  # IANA
    units: str | None = None  # metric | imperial
    plan: Plan = field(default_factory=Plan)


@dataclass(frozen=True)
class Video:
    """The uploaded video: where it is, and what the upload and the probe said of it."""

    path: str
    size_bytes: int | None = None
    content_type: str | None = None
    extra: dict = field(default_factory=dict)  # the probe's fields (duration_s, fps, ...), as stored


@dataclass(frozen=True)
class Failure:
    """Why a session failed: a code a client can branch on and a message a person can act on."""

    code: str
    message: str


@dataclass(frozen=True)
class Session:
    """One uploaded lift and, once `done`, what the engine made of it."""

    id: str
    user_id: str
    exercise: str
    barbell_mass_kg: float | None = None
    title: str = ""
    activity: str = ACTIVITY
    created_by: str | None = None
    org_id: str | None = None
    joints: tuple[str, ...] = ("all",)
    status: str = "uploading"
    progress_pct: float = 0.0
    stage: str | None = None
    error: Failure | None = None
    created_at: datetime | None = None
    request_id: str | None = None
    video: Video | None = None
    attempts: int = 0
    # what the job stored: the engine's result.json parts and the outputs' Storage paths
    engine_version: str | None = None
    metrics: dict = field(default_factory=dict)
    phases: list = field(default_factory=list)
    landmarks: dict = field(default_factory=dict)
    faults: list = field(default_factory=list)
    lifts: list | None = None  # engine 2.2 on; None on sessions stored before
    quality: dict = field(default_factory=dict)
    scale: dict = field(default_factory=dict)
    analysis_video: dict = field(default_factory=dict)
    series_chunks: list = field(default_factory=list)
    series_coverage: dict | None = None  # None on sessions stored before the series were tidied
    phase_images: dict = field(default_factory=dict)  # phase: Storage path
    analyzed_video_path: str | None = None
    export_csv_path: str | None = None
    # the coaching texts, mirrored from the threads: {units: {block or metric: text}}
    comments_by_units: dict = field(default_factory=dict)
    summary_text_by_units: dict = field(default_factory=dict)

    @property
    def done(self) -> bool:
        return self.status == "done"

    @property
    def outcome(self) -> str | None:
        """How the lift ended (complete, missed, no_lift), None before the session is done."""
        return self.metrics.get("outcome")

    @property
    def near_side(self) -> str:
        """The side of the body facing the camera: `l` or `r`."""
        return self.quality.get("near_side") or "l"


@dataclass(frozen=True)
class Thread:
    """One coaching text (`genai_threads/{id}`): a summary block or a metric's comment."""

    id: str
    session_id: str
    kind: str  # summary | recommendation
    key: str
    units: str  # metric | imperial
    status: str = "queued"  # queued | in_progress | completed | failed
    text: str | None = None
    provider: str | None = None
    provider_ref: dict = field(default_factory=dict)  # the OpenAI conversation and response ids
