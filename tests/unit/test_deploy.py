"""The deploy plan (`make deploy DRY_RUN=1`), checked as printed: every function from the
manifest once with its trigger, the job on a GPU, and no role broader than listed."""

from __future__ import annotations

import importlib.util
import json
import shlex
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from infra import deploy
from shared import routes

ROOT = Path(__file__).resolve().parents[2]
ARGS = ["PROJECT=liftlab-prod", "REGION=europe-west4", "BUCKET=liftlab-prod-uploads", "IMAGE_TAG=abc123"]
SA = "@liftlab-prod.iam.gserviceaccount.com"

# The only roles the deploy may grant, and to whom (the list plus what each
# identity needs to do its one job).
ALLOWED = {
    "liftlab-api": {
        "roles/datastore.user",
        "roles/storage.objectUser",
        "roles/iam.serviceAccountTokenCreator",
        "roles/firebaseauth.viewer",
        "roles/cloudtasks.enqueuer",
        "roles/iam.serviceAccountUser",
    },
    "liftlab-trigger": {
        "roles/datastore.user",
        "roles/cloudtasks.enqueuer",
        "roles/iam.serviceAccountUser",
        "roles/run.invoker",
    },
    "liftlab-tasks": {"roles/run.jobsExecutorWithOverrides"},
    "liftlab-job": {"roles/datastore.user", "roles/storage.objectUser", "roles/secretmanager.secretAccessor"},
    "liftlab-gateway": {"roles/run.invoker"},
}


@pytest.fixture(scope="module")
def printed() -> str:
    done = subprocess.run(
        ["make", "-s", "deploy", "DRY_RUN=1", *ARGS], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def commands(printed) -> list[list[str]]:
    """Each printed command as argv; for `describe || create` guards, the command run."""
    lines = [line for line in printed.splitlines() if line and not line.startswith("#")]
    return [shlex.split(line.split(" || ", 1)[-1]) for line in lines]


def flag(argv: list[str], name: str) -> str | None:
    return next((a.split("=", 1)[1] for a in argv if a.startswith(f"--{name}=")), None)


def deploys(commands) -> list[list[str]]:
    return [c for c in commands if c[:3] == ["gcloud", "functions", "deploy"]]


def test_dry_run_prints_and_runs_nothing(printed):
    assert printed.count("\n# ") + 1 == len(deploy.Plan("liftlab-prod", "europe-west4", "b").build())


def test_every_function_is_deployed_once_with_its_entry_point_and_resources(commands):
    names = Counter(c[3] for c in deploys(commands))
    assert names == Counter(r.name for r in routes.routes())  # none missing, none twice, nothing extra
    for route in routes.routes():
        argv = next(c for c in deploys(commands) if c[3] == route.name)
        assert "--gen2" in argv
        assert flag(argv, "entry-point") == route.entry_point
        assert flag(argv, "memory") == route.memory and flag(argv, "timeout") == f"{route.timeout_s}s"
        assert flag(argv, "source") == "build/functions" and flag(argv, "runtime") == "python311"
        assert "--no-allow-unauthenticated" in argv  # only the gateway and Eventarc may invoke
        if route.trigger == "http":
            assert "--trigger-http" in argv and flag(argv, "service-account") == f"liftlab-api{SA}"
        else:
            assert flag(argv, "trigger-topic") == deploy.TOPIC and "--trigger-http" not in argv
            assert flag(argv, "service-account") == flag(argv, "trigger-service-account") == f"liftlab-trigger{SA}"


def test_the_storage_trigger_sees_finalized_videos_only(commands):
    prefix = next(r.prefix for r in routes.routes() if r.trigger == "storage.finalize")
    notification = next(c for c in commands if c[:5] == ["gcloud", "storage", "buckets", "notifications", "create"])
    assert prefix == "videos/"
    assert flag(notification, "object-prefix") == prefix
    assert flag(notification, "event-types") == "OBJECT_FINALIZE"
    assert flag(notification, "topic") == deploy.TOPIC


def test_the_queue_has_retry_and_rate_limits(commands):
    for verb in ("create", "update"):
        queue = next(c for c in commands if c[:4] == ["gcloud", "tasks", "queues", verb])
        assert queue[4] == "analysis"
        for name in (
            "max-attempts",
            "min-backoff",
            "max-backoff",
            "max-dispatches-per-second",
            "max-concurrent-dispatches",
        ):
            assert flag(queue, name), name


def test_the_job_runs_on_an_l4_gpu_with_enough_cpu_memory_and_a_timeout(commands):
    job = next(c for c in commands if c[:5] == ["gcloud", "beta", "run", "jobs", "deploy"])
    assert flag(job, "gpu") == "1" and flag(job, "gpu-type") == "nvidia-l4" and "--no-gpu-zonal-redundancy" in job
    assert int(flag(job, "cpu")) >= 4 and int(flag(job, "memory").removesuffix("Gi")) >= 16
    assert flag(job, "task-timeout") == "1800s"
    assert flag(job, "image") == "europe-west4-docker.pkg.dev/liftlab-prod/liftlab/analysis:abc123"
    assert flag(job, "service-account") == f"liftlab-job{SA}"
    build = next(c for c in commands if c[:3] == ["gcloud", "builds", "submit"])
    assert flag(build, "config") == "infra/job/cloudbuild.yaml" and (ROOT / "infra/job/cloudbuild.yaml").exists()


def test_gateway_firestore_and_storage_config_are_deployed(commands, printed):
    assert any(
        c[-6:] == ["--project", "liftlab-prod", "--region", "europe-west4", "--out", "build/gateway.json"]
        and c[1:3] == ["-m", "infra.gateway"]
        for c in commands
    )
    config = next(c for c in commands if c[:4] == ["gcloud", "api-gateway", "api-configs", "create"])
    assert flag(config, "openapi-spec") == "build/gateway.json"
    assert flag(config, "backend-auth-service-account") == f"liftlab-gateway{SA}"
    assert "--only firestore:rules,firestore:indexes,storage" in printed
    ttl = next(c for c in commands if c[:4] == ["gcloud", "firestore", "fields", "ttls"])
    assert ttl[5] == "expire_at" and flag(ttl, "collection-group") == "processed_events" and "--enable-ttl" in ttl
    update = next(c for c in commands if c[:4] == ["gcloud", "storage", "buckets", "update"])
    for name in ("lifecycle-file", "cors-file"):
        assert (ROOT / flag(update, name)).exists()


def grants(commands) -> list[tuple[str, str, list[str]]]:
    """(account, role, command) for every IAM binding in the plan."""
    found = []
    for c in commands:
        if "add-iam-policy-binding" in c or "add-invoker-policy-binding" in c:
            account = flag(c, "member").removeprefix("serviceAccount:").removesuffix(SA)
            role = "roles/run.invoker" if "add-invoker-policy-binding" in c else flag(c, "role")
            found.append((account, role, c))
    return found


def test_no_role_is_broader_than_listed(commands):
    found = grants(commands)
    assert found
    for account, role, _ in found:
        assert role in ALLOWED[account], (account, role)
        assert role not in ("roles/owner", "roles/editor", "roles/viewer") and not role.endswith("admin")
    assert {(a, r) for a, r, _ in found} == {(a, r) for a, rs in ALLOWED.items() for r in rs}


def test_each_role_is_bound_on_the_narrowest_resource(commands):
    for account, role, c in grants(commands):
        if role == "roles/run.jobsExecutorWithOverrides":  # the queue may only run the job
            assert c[1:4] == ["run", "jobs", "add-iam-policy-binding"] and c[4] == deploy.JOB
        if role == "roles/iam.serviceAccountTokenCreator":  # sign URLs: on itself only
            assert c[1:4] == ["iam", "service-accounts", "add-iam-policy-binding"] and c[4] == f"{account}{SA}"
        if role == "roles/iam.serviceAccountUser":
            assert c[4] == f"liftlab-tasks{SA}"
        if role == "roles/cloudtasks.enqueuer":
            assert c[1:4] == ["tasks", "queues", "add-iam-policy-binding"]
        if role == "roles/storage.objectUser":
            assert c[1:4] == ["storage", "buckets", "add-iam-policy-binding"]
        if role == "roles/run.invoker":
            wanted = "storage.finalize" if account == "liftlab-trigger" else "http"
            assert c[3] in {r.name for r in routes.routes() if r.trigger == wanted}
    trigger_roles = {r for a, r, _ in grants(commands) if a == "liftlab-trigger"}
    assert not any(r.startswith("roles/run.jobs") for r in trigger_roles)  # the trigger may only enqueue


# Flags newer than the gcloud SDK on this machine's image (528), per ../shared/FACTS.md.
NEWER_THAN_THIS_SDK = {("beta", "run", "jobs", "deploy"): {"--no-gpu-zonal-redundancy"}}


def gcloud_tree() -> dict:
    """The gcloud SDK's own command tree (every command and flag), as shell completion uses it."""
    root = subprocess.run(
        ["gcloud", "info", "--format=value(installation.sdk_root)"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.strip()
    spec = importlib.util.spec_from_file_location("gcloud_completions", Path(root) / "data/cli/gcloud_completions.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.STATIC_COMPLETION_CLI_TREE


def test_every_gcloud_command_and_flag_in_the_plan_exists(commands):
    """Each gcloud command of the plan, and each of its flags, exists in this SDK."""
    tree = gcloud_tree()
    checked = 0
    for argv in commands:
        if argv[0] != "gcloud":
            continue
        node, path = tree, []
        for word in argv[1:]:  # walk down the command groups; the rest are arguments and flags
            if word.startswith("-") or word not in node["commands"]:
                break
            node, path = node["commands"][word], path + [word]
        assert path and not node["commands"], f"no such gcloud command: {' '.join(argv[:5])}"
        known = set(node["flags"]) | set(tree["flags"]) | NEWER_THAN_THIS_SDK.get(tuple(path), set())
        for flag in {a.split("=")[0] for a in argv[1:] if a.startswith("--")}:
            assert flag in known or flag.replace("--no-", "--", 1) in known, f"gcloud {' '.join(path)}: no {flag}"
            checked += 1
    assert checked > 100


@pytest.mark.parametrize(
    "guard, exists",
    [
        (("true",), False),  # exit 0 but nothing found: a `list --filter` with no match
        (("echo", "projects/p/topics/t"), True),
        (("sh", "-c", "echo found; exit 1"), False),
    ],
)
def test_a_guard_finds_a_resource_only_when_it_prints_one(guard, exists):
    assert deploy.Step("s", ("echo", "create"), guard).exists() is exists


def test_every_guard_prints_what_it_found(commands, printed):
    guards = [line for line in printed.splitlines() if line.startswith('[ -n "$(')]
    assert len(guards) >= 15
    assert all("--format=value(" in g for g in guards)


def test_bad_arguments_are_refused_before_anything_runs():
    done = subprocess.run(
        ["make", "-s", "deploy", "DRY_RUN=1", "PROJECT=Bad Project", "REGION=europe-west4", "BUCKET=b-1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0 and "not a valid project name" in done.stderr


def test_the_function_source_leaves_the_engine_behind(tmp_path):
    out = deploy.package(tmp_path / "functions")
    assert (out / "main.py").exists() and (out / "shared" / "http.py").exists()
    assert not (out / "shared" / "analysis").exists() and not (out / "shared" / "job.py").exists()
    lines = (out / "requirements.txt").read_text().lower().splitlines()
    packages = {line.split("==")[0].strip() for line in lines if line.strip() and not line.startswith("#")}
    assert "functions-framework" in packages
    assert not packages & {"mediapipe", "opencv-python-headless", "av", "numpy", "scipy", "openai", "matplotlib"}
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    assert size < 500_000, size
    probe = f"import sys, main; print([m for m in {deploy.ENGINE_MODULES!r} if m in sys.modules])"
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=out,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "GOOGLE_CLOUD_PROJECT": "demo-x"},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_storage_rules_service_agent_is_granted_its_firestore_role_before_the_rules_deploy(commands):
    """storage.rules call firestore.get: the Firebase Storage service agent needs
    roles/firebaserules.firestoreServiceAgent, which `firebase deploy --non-interactive` skips."""
    at = next(i for i, c in enumerate(commands) if c[1:4] == ["-m", "infra.deploy", "rules-agent"])
    assert commands[at][4:] == ["liftlab-prod"]
    rules = next(
        i for i, c in enumerate(commands) if "deploy" in c and "firestore:rules,firestore:indexes,storage" in c
    )
    assert at < rules


def test_the_rules_agent_grant_is_guarded_and_names_the_agent_of_the_projects_number():
    agent = "serviceAccount:service-123456789@gcp-sa-firebasestorage.iam.gserviceaccount.com"
    identity, grant = deploy.rules_agent_steps("liftlab-prod", "123456789")
    assert identity.argv[:5] == ("gcloud", "beta", "services", "identity", "create")
    assert "--service=firebasestorage.googleapis.com" in identity.argv
    assert grant.argv[:4] == ("gcloud", "projects", "add-iam-policy-binding", "liftlab-prod")
    assert f"--member={agent}" in grant.argv and "--role=roles/firebaserules.firestoreServiceAgent" in grant.argv
    assert grant.unless[:3] == ("gcloud", "projects", "get-iam-policy") and any(
        a.startswith("--filter=") and agent in a and deploy.RULES_AGENT_ROLE in a for a in grant.unless
    )
    assert grant.unless[-1].startswith("--format=value(")
    tree = gcloud_tree()
    for argv in (identity.argv, grant.argv, grant.unless):
        node = tree
        for word in argv[1:]:
            if word.startswith("-") or word not in node["commands"]:
                break
            node = node["commands"][word]
        assert not node["commands"], argv
        known = set(node["flags"]) | set(tree["flags"])
        assert {a.split("=")[0] for a in argv if a.startswith("--")} <= known, argv


@pytest.mark.parametrize("policy, granted", [("", True), ("serviceAccount:service-42@...", False)])
def test_rules_agent_looks_the_number_up_and_grants_only_when_missing(monkeypatch, policy, granted):
    ran = []

    def fake_run(argv, **kw):
        ran.append(list(argv))
        out = {"describe": "42\n", "get-iam-policy": policy}.get(argv[2], "")
        return subprocess.CompletedProcess(argv, 0, out, "")

    monkeypatch.setattr(deploy.subprocess, "run", fake_run)
    deploy.grant_rules_agent("liftlab-prod")
    assert ran[0][:3] == ["gcloud", "projects", "describe"]
    bindings = [a for a in ran if a[2] == "add-iam-policy-binding"]
    assert len(bindings) == int(granted)
    if granted:
        assert "--member=serviceAccount:service-42@gcp-sa-firebasestorage.iam.gserviceaccount.com" in bindings[0]


def test_rules_agent_stops_when_the_project_number_cannot_be_read(monkeypatch):
    monkeypatch.setattr(
        deploy.subprocess, "run", lambda argv, **kw: subprocess.CompletedProcess(argv, 1, "", "PERMISSION_DENIED")
    )
    with pytest.raises(SystemExit, match="PERMISSION_DENIED"):
        deploy.grant_rules_agent("liftlab-prod")


def test_the_viewer_goes_to_hosting_after_the_gateway_and_may_call_it(commands, printed):
    sections = [line[2:] for line in printed.splitlines() if line.startswith("# ")]
    assert sections.index("web") > max(i for i, s in enumerate(sections) if s == "gateway")
    assert any(c[1:5] == ["-m", "infra.deploy", "web-config", "liftlab-prod"] for c in commands)
    assert any(c[0].endswith("firebase") and c[1] == "deploy" and "hosting" in c for c in commands)
    origins = "LIFTLAB_WEB_ORIGINS=https://liftlab-prod.web.app https://liftlab-prod.firebaseapp.com"
    assert all(origins in flag(c, "set-env-vars") for c in deploys(commands))
    hosting = json.loads((ROOT / "firebase.json").read_text())["hosting"]
    assert hosting["public"] == "web/dist"


def test_the_viewers_config_names_the_web_app_and_the_gateway(monkeypatch):
    calls = []

    def fake(argv, **_):
        calls.append(argv)
        out = {
            "apps:list": {"status": "success", "result": [{"appId": "1:2:web:3", "displayName": "liftlab-viewer"}]},
            "apps:sdkconfig": {
                "status": "success",
                "result": {
                    "sdkConfig": {
                        "apiKey": "AIza-test",
                        "authDomain": "liftlab-prod.firebaseapp.com",
                        "projectId": "liftlab-prod",
                    }
                },
            },
        }
        text = next((json.dumps(v) for k, v in out.items() if k in argv), "liftlab-abc.ew.gateway.dev\n")
        return subprocess.CompletedProcess(argv, 0, stdout=text, stderr="")

    monkeypatch.setattr(deploy.subprocess, "run", fake)
    config = deploy.web_config("liftlab-prod", "europe-west4")
    assert config == {
        "projectId": "liftlab-prod",
        "apiKey": "AIza-test",
        "authDomain": "liftlab-prod.firebaseapp.com",
        "authEmulator": None,
        "apiBase": "https://liftlab-abc.ew.gateway.dev",
    }
    assert not any("apps:create" in c for c in calls)  # the app exists: none is made
