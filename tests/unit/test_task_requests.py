"""The real google-cloud-tasks and google-cloud-run requests that start the job."""

from __future__ import annotations

import json

from google.cloud import run_v2, tasks_v2

from shared.adapters import tasks
from shared.config import settings

ENV = {
    "GOOGLE_CLOUD_PROJECT": "liftlab-prod",
    "LIFTLAB_REGION": "europe-west4",
    "LIFTLAB_TASKS_QUEUE": "analysis",
    "LIFTLAB_JOB_NAME": "liftlab-analysis",
    "LIFTLAB_TASKS_SERVICE_ACCOUNT": "tasks@liftlab-prod.iam.gserviceaccount.com",
}


def test_the_cloud_task_calls_the_run_admin_api_with_per_session_overrides():
    request = tasks.cloud_task_request("analyze-abc123", tasks.job_args("abc123"), settings(ENV))
    assert isinstance(request, tasks_v2.CreateTaskRequest)
    queue = "projects/liftlab-prod/locations/europe-west4/queues/analysis"
    assert request.parent == queue
    assert request.task.name == f"{queue}/tasks/analyze-abc123"  # the name dedups repeats
    http = request.task.http_request
    assert http.http_method == tasks_v2.HttpMethod.POST
    assert (
        http.url
        == "https://run.googleapis.com/v2/projects/liftlab-prod/locations/europe-west4/jobs/liftlab-analysis:run"
    )
    assert http.oauth_token.service_account_email == "tasks@liftlab-prod.iam.gserviceaccount.com"
    assert http.oauth_token.scope == "https://www.googleapis.com/auth/cloud-platform"
    body = json.loads(http.body)
    assert body["overrides"]["containerOverrides"] == [{"args": ["-m", "shared.job", "--session-id", "abc123"]}]
    assert body["overrides"]["taskCount"] == 1 and body["overrides"]["timeout"] == "1800s"


def test_the_direct_run_job_request_carries_the_same_overrides():
    request = tasks.run_job_request(tasks.job_args("abc123"), settings(ENV))
    assert isinstance(request, run_v2.RunJobRequest)
    assert request.name == "projects/liftlab-prod/locations/europe-west4/jobs/liftlab-analysis"
    assert list(request.overrides.container_overrides[0].args) == ["-m", "shared.job", "--session-id", "abc123"]
    assert request.overrides.task_count == 1
    assert request.overrides.timeout.seconds == 1800


def test_both_requests_serialise_as_the_apis_expect():
    task = tasks_v2.CreateTaskRequest.to_json(tasks.cloud_task_request("analyze-s", tasks.job_args("s"), settings(ENV)))
    run = run_v2.RunJobRequest.to_json(tasks.run_job_request(tasks.job_args("s"), settings(ENV)))
    assert '"oauthToken"' in task and '"containerOverrides"' in run
