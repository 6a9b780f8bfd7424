"""Production fails closed: on GCP, emulator variables mean unsigned tokens would pass."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from shared.config import UnsafeEnvironment, check_environment
from tests.cloud.fixtures import ROOT


def start(module_code: str, **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.endswith("_EMULATOR_HOST")}
    return subprocess.run(
        [sys.executable, "-c", module_code], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("code", ["import functions.main", "from shared.job import main; main(['--session-id', 'x'])"])
def test_functions_and_the_job_refuse_to_start_on_gcp_with_emulator_variables(code):
    run = start(code, K_SERVICE="get-session", CLOUD_RUN_JOB="liftlab-analysis", FIRESTORE_EMULATOR_HOST="127.0.0.1:1")
    assert run.returncode != 0
    assert "refusing to start" in run.stderr and "FIRESTORE_EMULATOR_HOST" in run.stderr


def test_functions_start_on_gcp_without_emulator_variables():
    run = start("import functions.main; print('ok')", K_SERVICE="get-session")
    assert run.returncode == 0 and run.stdout.strip() == "ok"


@pytest.mark.parametrize(
    "env, unsafe",
    [
        ({"K_SERVICE": "x", "FIREBASE_AUTH_EMULATOR_HOST": "127.0.0.1:9099"}, True),
        ({"CLOUD_RUN_JOB": "x", "STORAGE_EMULATOR_HOST": "http://127.0.0.1:1"}, True),
        ({"FIRESTORE_EMULATOR_HOST": "127.0.0.1:1"}, False),  # local: fine
        ({"K_SERVICE": "x"}, False),  # GCP without emulators: fine
    ],
)
def test_check_environment(env, unsafe):
    if unsafe:
        with pytest.raises(UnsafeEnvironment):
            check_environment(env)
    else:
        check_environment(env)
