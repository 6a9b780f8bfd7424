"""Starting work in the job container, at least once, deduplicated by task name: the
analysis of a session (`enqueue_analysis`) and the coaching text of its threads.

Three backends with one contract, `enqueue(name, args) -> bool` (False when a task of
that name already exists):
- `cloud_tasks` (production): a Cloud Tasks HTTP task that calls the Cloud Run Admin API
  `POST https://run.googleapis.com/v2/{job}:run` with an OAuth token and per-session
  overrides. The queue's retry settings retry it; the task name dedups for about a day.
- `run_job`: calls `run_v2.JobsClient().run_job` directly, without waiting on the
  operation.
- `local`: the local dispatcher (`infra/local/dispatcher.py`), which runs the job's real
  entry point as a subprocess with the same at-least-once, retried contract.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import TYPE_CHECKING

from shared.config import Settings, settings

if TYPE_CHECKING:
    from google.cloud import run_v2, tasks_v2

JOB_TIMEOUT_S = 1800


def task_id(session_id: str) -> str:
    return f"analyze-{session_id}"


def job_args(session_id: str) -> list[str]:
    return ["-m", "shared.job", "--session-id", session_id]


def job_path(s: Settings) -> str:
    return f"projects/{s.project}/locations/{s.region}/jobs/{s.job_name}"


def run_job_overrides(args: list[str]) -> dict:
    """The RunJobRequest overrides, as the Run Admin API's JSON."""
    return {"overrides": {"containerOverrides": [{"args": args}], "taskCount": 1, "timeout": f"{JOB_TIMEOUT_S}s"}}


def cloud_task_request(name: str, args: list[str], s: Settings) -> tasks_v2.CreateTaskRequest:
    # Imported here: the protobuf clients cost cold-start time in functions that never enqueue.
    from google.cloud import tasks_v2

    queue = f"projects/{s.project}/locations/{s.region}/queues/{s.tasks_queue}"
    return tasks_v2.CreateTaskRequest(
        parent=queue,
        task=tasks_v2.Task(
            name=f"{queue}/tasks/{name}",
            http_request=tasks_v2.HttpRequest(
                http_method=tasks_v2.HttpMethod.POST,
                url=f"https://run.googleapis.com/v2/{job_path(s)}:run",
                headers={"Content-Type": "application/json"},
                body=json.dumps(run_job_overrides(args)).encode(),
                oauth_token=tasks_v2.OAuthToken(
                    service_account_email=s.job_service_account, scope="https://www.googleapis.com/auth/cloud-platform"
                ),
            ),
        ),
    )


def run_job_request(args: list[str], s: Settings) -> run_v2.RunJobRequest:
    from google.cloud import run_v2
    from google.protobuf import duration_pb2

    return run_v2.RunJobRequest(
        name=job_path(s),
        overrides=run_v2.RunJobRequest.Overrides(
            container_overrides=[run_v2.RunJobRequest.Overrides.ContainerOverride(args=args)],
            task_count=1,
            timeout=duration_pb2.Duration(seconds=JOB_TIMEOUT_S),
        ),
    )


def enqueue_analysis(session_id: str, s: Settings | None = None) -> bool:
    return enqueue(task_id(session_id), job_args(session_id), s)


def enqueue(name: str, args: list[str], s: Settings | None = None) -> bool:
    s = s or settings()
    if s.tasks_backend == "cloud_tasks":
        from google.api_core.exceptions import AlreadyExists
        from google.cloud import tasks_v2

        try:
            tasks_v2.CloudTasksClient().create_task(request=cloud_task_request(name, args, s))
        except AlreadyExists:
            return False
        return True
    if s.tasks_backend == "run_job":
        from google.cloud import run_v2

        run_v2.JobsClient().run_job(request=run_job_request(args, s))  # not awaited: the job reports itself
        return True
    if s.tasks_backend == "local":
        return _local_enqueue(name, args, s)
    raise ValueError(f"unknown LIFTLAB_TASKS_BACKEND {s.tasks_backend!r}")


def _local_enqueue(name: str, args: list[str], s: Settings) -> bool:
    body = json.dumps({"name": name, "args": args}).encode()
    request = urllib.request.Request(
        f"{s.dispatcher_url}/tasks", data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10):
            return True
    except urllib.error.HTTPError as exc:
        if exc.code == 409:
            return False
        raise
