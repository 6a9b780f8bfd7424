"""Configuration, read from environment variables in this one place.

Defaults serve the local stack (`infra/local/stack.py`). On GCP the deploy sets the real
values. `check_environment()` makes production fail closed: on GCP (`K_SERVICE` or
`CLOUD_RUN_JOB` set) any `*_EMULATOR_HOST` variable means unsigned tokens would be
trusted, so the process refuses to start.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

EMULATOR_VARIABLES = (
    "FIRESTORE_EMULATOR_HOST",
    "FIREBASE_AUTH_EMULATOR_HOST",
    "STORAGE_EMULATOR_HOST",
    "PUBSUB_EMULATOR_HOST",
)


class UnsafeEnvironment(RuntimeError):
    """Emulator variables on a GCP runtime: refuse to start."""


def check_environment(env: Mapping[str, str] = os.environ) -> None:
    on_gcp = [v for v in ("K_SERVICE", "CLOUD_RUN_JOB") if env.get(v)]
    emulated = [v for v in EMULATOR_VARIABLES if env.get(v)]
    if on_gcp and emulated:
        raise UnsafeEnvironment(
            f"refusing to start: {', '.join(on_gcp)} says this is GCP, but "
            f"{', '.join(emulated)} points at an emulator (unsigned tokens)"
        )


def _int(env, name: str, default: int) -> int:
    return int(env.get(name, default))


@dataclass(frozen=True)
class Settings:
    project: str
    bucket: str
    region: str
    tasks_backend: str  # local | cloud_tasks | run_job
    dispatcher_url: str
    tasks_queue: str
    job_name: str
    job_service_account: str
    max_upload_bytes: int
    max_video_duration_s: float
    signed_url_ttl_s: int
    default_sessions_per_month: int
    job_max_attempts: int
    job_lease_s: int
    signing_key_file: str
    accel: str  # the engine's auto | cpu | gpu (shared/analysis/accel.py), checked by AnalysisOptions
    pose_model: str  # auto | lite | full | heavy; "" is the engine's default (shared/analysis/pose.py)
    auth_emulator_host: str  # host:port of the Firebase Auth emulator, "" in production
    storage_emulator_host: str  # fake-gcs-server's host:port locally, "" in production
    execution_id: str  # CLOUD_RUN_EXECUTION: the job's (or a task's) identity across its retries
    web_origins: tuple[str, ...]  # the web viewer's origins, which may call the API from a browser (CORS);
    # LIFTLAB_WEB_ORIGINS separates them by spaces or commas


def settings(env: Mapping[str, str] = os.environ) -> Settings:
    project = env.get("GOOGLE_CLOUD_PROJECT", "demo-liftlab")
    return Settings(
        project=project,
        bucket=env.get("LIFTLAB_BUCKET", f"{project}-uploads"),
        region=env.get("LIFTLAB_REGION", "europe-west4"),
        tasks_backend=env.get("LIFTLAB_TASKS_BACKEND", "local"),
        dispatcher_url=env.get("LIFTLAB_DISPATCHER_URL", "http://127.0.0.1:8790"),
        tasks_queue=env.get("LIFTLAB_TASKS_QUEUE", "analysis"),
        job_name=env.get("LIFTLAB_JOB_NAME", "liftlab-analysis"),
        job_service_account=env.get("LIFTLAB_TASKS_SERVICE_ACCOUNT", ""),
        # An HTTP function takes about 32 MiB per request; larger videos use the upload URL.
        max_upload_bytes=_int(env, "LIFTLAB_MAX_UPLOAD_BYTES", 30 * 1024 * 1024),
        max_video_duration_s=float(env.get("LIFTLAB_MAX_VIDEO_DURATION_S", 300)),
        signed_url_ttl_s=_int(env, "LIFTLAB_SIGNED_URL_TTL_S", 3600),
        default_sessions_per_month=_int(env, "LIFTLAB_DEFAULT_SESSIONS_PER_MONTH", 30),
        job_max_attempts=_int(env, "LIFTLAB_JOB_MAX_ATTEMPTS", 3),
        job_lease_s=_int(env, "LIFTLAB_JOB_LEASE_S", 120),
        signing_key_file=env.get("LIFTLAB_SIGNING_KEY_FILE", ""),
        accel=env.get("LIFTLAB_ACCEL", "auto"),
        pose_model=env.get("LIFTLAB_POSE_MODEL", "").strip().lower(),
        auth_emulator_host=env.get("FIREBASE_AUTH_EMULATOR_HOST", ""),
        storage_emulator_host=env.get("STORAGE_EMULATOR_HOST", ""),
        execution_id=env.get("CLOUD_RUN_EXECUTION", ""),
        web_origins=tuple(env.get("LIFTLAB_WEB_ORIGINS", "").replace(",", " ").split()),
    )


@dataclass(frozen=True)
class OpenAISettings:
    api_key: str
    model: str
    base_url: str | None
    timeout_s: float
    max_retries: int
    poll_every_s: float
    deadline_s: float


def openai_settings(env: Mapping[str, str] = os.environ) -> OpenAISettings | None:
    """None (the built-in coach) without a key, or with `none`: the deployed secret's
    placeholder, since Secret Manager holds no empty value."""
    key = (env.get("OPENAI_API_KEY") or "").strip()
    if key.lower() in ("", "none"):
        return None
    return OpenAISettings(
        api_key=key,
        model=env.get("OPENAI_MODEL", "gpt-5-mini"),
        base_url=env.get("OPENAI_BASE_URL") or None,
        timeout_s=float(env.get("OPENAI_TIMEOUT_S", 30)),
        max_retries=int(env.get("OPENAI_MAX_RETRIES", 3)),
        poll_every_s=float(env.get("OPENAI_POLL_EVERY_S", 1.0)),
        deadline_s=float(env.get("OPENAI_DEADLINE_S", 120)),
    )


def execution_owner() -> str:
    """Who holds a lease: the Cloud Run execution, which keeps its identity across retries (the
    local dispatcher sets the same variable), so a retry takes its own lease back; else a
    one-off name."""
    return settings().execution_id or f"adhoc-{uuid.uuid4().hex[:12]}"
