"""Deploy LiftLab to a GCP project, every step generated from `functions/routes.json`.

    python -m infra.deploy --project P --region R --bucket B [--dry-run] [--image-tag T]

(`make deploy PROJECT=P REGION=R BUCKET=B [DRY_RUN=1]`). The plan is a list of gcloud /
firebase commands run in order; `--dry-run` prints them and runs nothing. Steps that
create something carry a `describe` guard, so a second deploy updates what exists
instead of failing.

Order: APIs, service accounts, bucket (+ lifecycle, CORS) and the upload topic,
Firestore (database, indexes, rules, TTL) and Storage rules, the Cloud Tasks queue, the
job image and the GPU job, the HTTP functions, the storage-finalize trigger, IAM, then
the API Gateway and the demo session.

The trigger: Eventarc's direct Cloud Storage triggers filter on the bucket only, and our
bucket also holds the job's outputs under `results/`. So the bucket notifies a Pub/Sub
topic for OBJECT_FINALIZE under the manifest's prefix (`videos/`) only, and the function
is an Eventarc trigger on that topic. The local relay does the same filtering.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from infra.gateway import gateway_config
from shared import routes
from shared.adapters.tasks import JOB_TIMEOUT_S

ROOT = Path(__file__).resolve().parents[1]
FIREBASE = "infra/local/node_modules/.bin/firebase"  # firebase-tools, pinned by infra/local/package-lock.json
RUNTIME = "python311"
JOB = "liftlab-analysis"
QUEUE = "analysis"
TOPIC = "liftlab-video-uploads"
REPOSITORY = "liftlab"
GATEWAY_API = "liftlab"
WEB_APP = "liftlab-viewer"  # the Firebase web app whose config the viewer's Auth SDK uses
OPENAI_SECRET = "openai-api-key"
NO_OPENAI_KEY = "infra/openai-api-key.none"  # the secret's first version when none is set

APIS = (
    "cloudfunctions",
    "run",
    "eventarc",
    "pubsub",
    "cloudtasks",
    "firestore",
    "storage",
    "cloudbuild",
    "artifactregistry",
    "apigateway",
    "servicemanagement",
    "servicecontrol",
    "iam",
    "iamcredentials",
    "secretmanager",
    "firebaserules",
    "firebasestorage",
    "identitytoolkit",
)

# The service accounts, and every role each one holds, with the scope it is granted on.
# The plan grants exactly these; tests/unit/test_deploy.py checks nothing broader appears.
ACCOUNTS = {
    "liftlab-api": "HTTP functions: read/write Firestore, the bucket, sign URLs, enqueue coaching",
    "liftlab-trigger": "storage-finalize trigger: claim the event, queue the session, enqueue the job",
    "liftlab-tasks": "Cloud Tasks' identity: runs the job with overrides, nothing else",
    "liftlab-job": "analysis + coaching job: Firestore, the bucket, the OpenAI key",
    "liftlab-gateway": "API Gateway: invokes the HTTP functions",
}
GRANTS = (
    # (account, role, scope): scope is project | bucket | queue | job | self | tasks-sa | secret | function | topic
    ("liftlab-api", "roles/datastore.user", "project"),
    ("liftlab-api", "roles/storage.objectUser", "bucket"),
    ("liftlab-api", "roles/iam.serviceAccountTokenCreator", "self"),  # signs URLs without a key file
    ("liftlab-api", "roles/firebaseauth.viewer", "project"),  # check_revoked reads the user
    ("liftlab-api", "roles/cloudtasks.enqueuer", "queue"),  # coaching threads
    ("liftlab-api", "roles/iam.serviceAccountUser", "tasks-sa"),  # tasks run as liftlab-tasks
    ("liftlab-trigger", "roles/datastore.user", "project"),
    ("liftlab-trigger", "roles/cloudtasks.enqueuer", "queue"),  # it may only enqueue
    ("liftlab-trigger", "roles/iam.serviceAccountUser", "tasks-sa"),
    ("liftlab-trigger", "roles/run.invoker", "function"),  # Eventarc pushes to the function as this SA
    ("liftlab-tasks", "roles/run.jobsExecutorWithOverrides", "job"),  # the queue may only run the job
    ("liftlab-job", "roles/datastore.user", "project"),
    ("liftlab-job", "roles/storage.objectUser", "bucket"),
    ("liftlab-job", "roles/secretmanager.secretAccessor", "secret"),
    ("liftlab-gateway", "roles/run.invoker", "function"),
)

EARLY_SCOPES = ("project", "bucket", "queue", "self", "tasks-sa", "secret")

# The Storage rules read Firestore (`firestore.get`): the Firebase Storage service agent needs
# this role for that, and `firebase deploy --non-interactive` does not grant it. Without it
# every SDK upload is denied.
RULES_AGENT_ROLE = "roles/firebaserules.firestoreServiceAgent"

QUEUE_SETTINGS = {  # at-least-once delivery of job starts; the job's lease makes repeats harmless
    "--max-attempts": "5",
    "--min-backoff": "10s",
    "--max-backoff": "300s",
    "--max-doublings": "4",
    "--max-dispatches-per-second": "5",
    "--max-concurrent-dispatches": "20",
}
JOB_RESOURCES = {
    "--cpu": "4",
    "--memory": "16Gi",
    "--gpu": "1",
    "--gpu-type": "nvidia-l4",
    "--task-timeout": f"{JOB_TIMEOUT_S}s",
    "--max-retries": "2",
    "--tasks": "1",
}
PROCESSED_EVENTS_TTL = ("processed_events", "expire_at")

# What the function source carries: the entry points and the thin cloud library. The engine
# (shared/analysis: mediapipe, opencv, av, numpy), the job and the demo (installed by its own step) stay out.
FUNCTION_EXCLUDES = ("analysis", "job.py", "demo.py", "demo_data", "__pycache__")
ENGINE_MODULES = ("numpy", "cv2", "av", "mediapipe", "scipy", "openai")  # never imported by a function


@dataclass(frozen=True)
class Step:
    section: str
    argv: tuple[str, ...]
    unless: tuple[str, ...] | None = None  # skip when this prints something (the resource exists)

    def shell(self) -> str:
        command = shlex.join(self.argv)
        if self.unless:
            return f'[ -n "$({shlex.join(self.unless)} 2>/dev/null)" ] || {command}'
        return command

    def exists(self) -> bool:
        """The guard: it exits 0 *and* prints something (a list with no match exits 0 too)."""
        found = subprocess.run(self.unless, cwd=ROOT, capture_output=True, text=True)
        return found.returncode == 0 and bool(found.stdout.strip())


class Plan:
    def __init__(
        self, project: str, region: str, bucket: str, image_tag: str = "latest", source: str = "build/functions"
    ):
        self.project, self.region, self.bucket, self.source = project, region, bucket, source
        self.image = f"{region}-docker.pkg.dev/{project}/{REPOSITORY}/analysis:{image_tag}"
        self.steps: list[Step] = []

    # -- helpers ---------------------------------------------------------------------------
    def sa(self, name: str) -> str:
        return f"{name}@{self.project}.iam.gserviceaccount.com"

    def add(self, section: str, *argv: str, unless: tuple[str, ...] | None = None) -> None:
        self.steps.append(Step(section, tuple(argv), unless))

    def gcloud(self, section: str, *argv: str, unless: tuple[str, ...] | None = None, regional: bool = False):
        where = ("--project", self.project) + (("--region", self.region) if regional else ())
        if unless and not any(a.startswith("--format=") for a in unless):
            unless = (*unless, "--format=value(name)")  # a guard must print what it found
        guard = ("gcloud", *unless, "--project", self.project) if unless else None
        self.add(section, "gcloud", *argv, *where, unless=guard)

    # -- the plan --------------------------------------------------------------------------
    def build(self) -> list[Step]:
        self.foundation()
        self.data()
        self.queue()
        self.iam(EARLY_SCOPES)  # the job and functions need theirs from their first run
        self.job()
        self.functions()
        self.trigger()
        self.iam(("job", "function"))
        self.gateway()
        self.web()
        self.add(
            "demo",
            "env",
            f"GOOGLE_CLOUD_PROJECT={self.project}",
            f"LIFTLAB_BUCKET={self.bucket}",
            sys.executable,
            "-m",
            "shared.demo",
            "install",
        )
        return self.steps

    def foundation(self) -> None:
        self.gcloud("apis", "services", "enable", *(f"{api}.googleapis.com" for api in APIS))
        for name, purpose in ACCOUNTS.items():
            self.gcloud(
                "accounts",
                "iam",
                "service-accounts",
                "create",
                name,
                f"--display-name={purpose}",
                unless=("iam", "service-accounts", "describe", self.sa(name)),
            )
        bucket = f"gs://{self.bucket}"
        self.gcloud(
            "bucket",
            "storage",
            "buckets",
            "create",
            bucket,
            f"--location={self.region}",
            "--uniform-bucket-level-access",
            "--public-access-prevention",
            unless=("storage", "buckets", "describe", bucket),
        )
        self.gcloud(
            "bucket",
            "storage",
            "buckets",
            "update",
            bucket,
            "--lifecycle-file=infra/storage.lifecycle.json",
            "--cors-file=infra/storage.cors.json",
        )
        self.gcloud(
            "accounts",
            "secrets",
            "create",
            OPENAI_SECRET,
            "--replication-policy=automatic",
            unless=("secrets", "describe", OPENAI_SECRET),
        )
        # The job needs a version to start; `none` means the built-in coach. Set the real key
        # with `gcloud secrets versions add` (docs/cloud.md, "Deploy to GCP").
        self.gcloud(
            "accounts",
            "secrets",
            "versions",
            "add",
            OPENAI_SECRET,
            f"--data-file={NO_OPENAI_KEY}",
            unless=("secrets", "versions", "list", OPENAI_SECRET, "--limit=1"),
        )
        self.gcloud("bucket", "pubsub", "topics", "create", TOPIC, unless=("pubsub", "topics", "describe", TOPIC))
        prefix = next(r.prefix for r in routes.routes() if r.trigger == "storage.finalize")
        # The storage service agent gets publish rights on the topic from this command.
        self.gcloud(
            "bucket",
            "storage",
            "buckets",
            "notifications",
            "create",
            bucket,
            f"--topic={TOPIC}",
            "--event-types=OBJECT_FINALIZE",
            f"--object-prefix={prefix}",
            "--payload-format=json",
            unless=(
                "storage",
                "buckets",
                "notifications",
                "list",
                bucket,
                f"--filter=topic~{TOPIC}",
                "--format=value(topic)",
            ),
        )

    def data(self) -> None:
        self.gcloud(
            "firestore",
            "firestore",
            "databases",
            "create",
            f"--location={self.region}",
            unless=("firestore", "databases", "describe", "--database=(default)"),
        )
        collection, field = PROCESSED_EVENTS_TTL
        self.gcloud(
            "firestore",
            "firestore",
            "fields",
            "ttls",
            "update",
            field,
            f"--collection-group={collection}",
            "--enable-ttl",
            "--async",
        )
        # Rules (Firestore + Storage) and indexes, from firebase.json. Storage rules apply to a
        # bucket linked to Firebase, named by the `uploads` deploy target.
        self.add("firestore", sys.executable, "-m", "infra.deploy", "link-storage", self.project, self.bucket)
        self.add("firestore", sys.executable, "-m", "infra.deploy", "rules-agent", self.project)
        self.add("firestore", FIREBASE, "target:apply", "storage", "uploads", self.bucket, "--project", self.project)
        self.add(
            "firestore",
            FIREBASE,
            "deploy",
            "--project",
            self.project,
            "--only",
            "firestore:rules,firestore:indexes,storage",
            "--non-interactive",
        )

    def queue(self) -> None:
        settings = [f"{k}={v}" for k, v in QUEUE_SETTINGS.items()]
        self.gcloud(
            "queue",
            "tasks",
            "queues",
            "create",
            QUEUE,
            f"--location={self.region}",
            *settings,
            unless=("tasks", "queues", "describe", QUEUE, f"--location={self.region}"),
        )
        self.gcloud("queue", "tasks", "queues", "update", QUEUE, f"--location={self.region}", *settings)

    def job(self) -> None:
        self.gcloud(
            "job",
            "artifacts",
            "repositories",
            "create",
            REPOSITORY,
            "--repository-format=docker",
            f"--location={self.region}",
            unless=("artifacts", "repositories", "describe", REPOSITORY, f"--location={self.region}"),
        )
        self.gcloud(
            "job",
            "builds",
            "submit",
            ".",
            "--config=infra/job/cloudbuild.yaml",
            f"--substitutions=_IMAGE={self.image}",
            "--timeout=3600s",
        )
        resources = [f"{k}={v}" for k, v in JOB_RESOURCES.items()]
        # beta: the GPU flags of `run jobs deploy` (older SDKs have them only there; newer, both).
        self.gcloud(
            "job",
            "beta",
            "run",
            "jobs",
            "deploy",
            JOB,
            f"--image={self.image}",
            *resources,
            "--no-gpu-zonal-redundancy",
            f"--service-account={self.sa('liftlab-job')}",
            f"--set-env-vars={self.env()}",
            f"--set-secrets=OPENAI_API_KEY={OPENAI_SECRET}:latest",
            "--args=-m,shared.job",
            regional=True,
        )

    def env(self) -> str:
        values = {
            "GOOGLE_CLOUD_PROJECT": self.project,
            "LIFTLAB_BUCKET": self.bucket,
            "LIFTLAB_REGION": self.region,
            "LIFTLAB_TASKS_BACKEND": "cloud_tasks",
            "LIFTLAB_TASKS_QUEUE": QUEUE,
            "LIFTLAB_JOB_NAME": JOB,
            "LIFTLAB_TASKS_SERVICE_ACCOUNT": self.sa("liftlab-tasks"),
            "LIFTLAB_WEB_ORIGINS": " ".join(web_origins(self.project)),
        }
        return ",".join(f"{k}={v}" for k, v in values.items())

    def functions(self) -> None:
        self.add("functions", sys.executable, "-m", "infra.deploy", "package", self.source)
        for route in routes.http_routes():
            self.gcloud(
                "functions", *self.function_args(route, "liftlab-api"), "--trigger-http", "--no-allow-unauthenticated"
            )

    def function_args(self, route: routes.Route, account: str) -> tuple[str, ...]:
        return (
            "functions",
            "deploy",
            route.name,
            "--gen2",
            f"--region={self.region}",
            f"--runtime={RUNTIME}",
            f"--source={self.source}",
            f"--entry-point={route.entry_point}",
            f"--memory={route.memory}",
            f"--timeout={route.timeout_s}s",
            f"--service-account={self.sa(account)}",
            f"--set-env-vars={self.env()}",
        )

    def trigger(self) -> None:
        for route in routes.routes():
            if route.trigger == "http":
                continue
            assert route.trigger == "storage.finalize", route.trigger
            self.gcloud(
                "trigger",
                *self.function_args(route, "liftlab-trigger"),
                f"--trigger-topic={TOPIC}",
                f"--trigger-service-account={self.sa('liftlab-trigger')}",
                "--retry",
                "--no-allow-unauthenticated",
            )

    def iam(self, scopes: tuple[str, ...]) -> None:
        for account, role, scope in GRANTS:
            if scope not in scopes:
                continue
            member = f"--member=serviceAccount:{self.sa(account)}"
            for target in self.scope_targets(scope, account):
                # add-invoker-policy-binding grants roles/run.invoker and takes no --role.
                role_flag = () if target[1] == "add-invoker-policy-binding" else (f"--role={role}",)
                self.gcloud("iam", *target, member, *role_flag, "--quiet")

    def scope_targets(self, scope: str, account: str) -> list[tuple[str, ...]]:
        if scope == "project":
            return [("projects", "add-iam-policy-binding", self.project, "--condition=None")]
        if scope == "bucket":
            return [("storage", "buckets", "add-iam-policy-binding", f"gs://{self.bucket}")]
        if scope == "queue":
            return [("tasks", "queues", "add-iam-policy-binding", QUEUE, f"--location={self.region}")]
        if scope == "job":
            return [("run", "jobs", "add-iam-policy-binding", JOB, f"--region={self.region}")]
        if scope in ("self", "tasks-sa"):
            target = account if scope == "self" else "liftlab-tasks"
            return [("iam", "service-accounts", "add-iam-policy-binding", self.sa(target))]
        if scope == "secret":
            return [("secrets", "add-iam-policy-binding", OPENAI_SECRET)]
        if scope == "function":
            wanted = "storage.finalize" if account == "liftlab-trigger" else "http"
            return [
                ("functions", "add-invoker-policy-binding", r.name, f"--region={self.region}")
                for r in routes.routes()
                if r.trigger == wanted
            ]
        raise ValueError(f"unknown scope {scope}")

    def gateway(self) -> None:
        # A config is immutable and named by its content: a changed API gets a new one.
        content = json.dumps(gateway_config(self.project, self.region), sort_keys=True).encode()
        config = f"liftlab-{hashlib.sha256(content).hexdigest()[:12]}"
        self.add(
            "gateway",
            sys.executable,
            "-m",
            "infra.gateway",
            "--project",
            self.project,
            "--region",
            self.region,
            "--out",
            "build/gateway.json",
        )
        self.gcloud(
            "gateway",
            "api-gateway",
            "apis",
            "create",
            GATEWAY_API,
            unless=("api-gateway", "apis", "describe", GATEWAY_API),
        )
        self.gcloud(
            "gateway",
            "api-gateway",
            "api-configs",
            "create",
            config,
            f"--api={GATEWAY_API}",
            "--openapi-spec=build/gateway.json",
            f"--backend-auth-service-account={self.sa('liftlab-gateway')}",
            unless=("api-gateway", "api-configs", "describe", config, f"--api={GATEWAY_API}"),
        )
        self.gcloud(
            "gateway",
            "api-gateway",
            "gateways",
            "create",
            GATEWAY_API,
            f"--api={GATEWAY_API}",
            f"--api-config={config}",
            f"--location={self.region}",
            unless=("api-gateway", "gateways", "describe", GATEWAY_API, f"--location={self.region}"),
        )
        self.gcloud(
            "gateway",
            "api-gateway",
            "gateways",
            "update",
            GATEWAY_API,
            f"--api={GATEWAY_API}",
            f"--api-config={config}",
            f"--location={self.region}",
        )

    def web(self) -> None:
        # The viewer (web/dist, built by make install) on Firebase Hosting. Hosting rewrites
        # reach Cloud Functions and Cloud Run but not API Gateway, and only by path, so the
        # viewer calls the gateway itself: its config.json names the gateway, and the
        # functions answer CORS for the hosting origins only (LIFTLAB_WEB_ORIGINS).
        self.add("web", sys.executable, "-m", "infra.deploy", "web-config", self.project, self.region)
        self.add("web", FIREBASE, "deploy", "--project", self.project, "--only", "hosting", "--non-interactive")


def web_origins(project: str) -> list[str]:
    """Where Firebase Hosting serves the viewer."""
    return [f"https://{project}.web.app", f"https://{project}.firebaseapp.com"]


def _json_of(argv: list[str]) -> dict:
    found = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True)
    if found.returncode != 0:
        raise SystemExit(f"{shlex.join(argv)} failed: {found.stderr.strip()}")
    return json.loads(found.stdout)


def web_config(project: str, region: str) -> dict:
    """The viewer's config.json: the project's Firebase web app (made on the first deploy)
    for the Auth SDK, and the gateway's address for the API."""
    apps = _json_of([FIREBASE, "apps:list", "WEB", "--project", project, "--json"]).get("result") or []
    app_id = next((a["appId"] for a in apps if a.get("displayName") == WEB_APP), None)
    if app_id is None:
        app_id = _json_of([FIREBASE, "apps:create", "WEB", WEB_APP, "--project", project, "--json"])["result"]["appId"]
    sdk = _json_of([FIREBASE, "apps:sdkconfig", "WEB", app_id, "--project", project, "--json"])["result"]
    sdk = sdk.get("sdkConfig") or sdk
    found = subprocess.run(
        [
            "gcloud",
            "api-gateway",
            "gateways",
            "describe",
            GATEWAY_API,
            f"--location={region}",
            f"--project={project}",
            "--format=value(defaultHostname)",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    host = found.stdout.strip()
    if found.returncode != 0 or not host:
        raise SystemExit(f"cannot read the gateway's address: {found.stderr.strip()}")
    return {
        "projectId": project,
        "apiKey": sdk["apiKey"],
        "authDomain": sdk.get("authDomain") or f"{project}.firebaseapp.com",
        "authEmulator": None,
        "apiBase": f"https://{host}",
    }


def package(out: Path) -> Path:
    """The function source: functions/main.py and requirements.txt at the top, and `shared/`
    without the engine, the job and the demo builder."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    shutil.copy(ROOT / "functions" / "main.py", out / "main.py")
    shutil.copy(ROOT / "functions" / "requirements.txt", out / "requirements.txt")
    shutil.copytree(ROOT / "shared", out / "shared", ignore=shutil.ignore_patterns(*FUNCTION_EXCLUDES))
    # shared/routes.py finds the manifest at ../functions/routes.json from shared/.
    (out / "functions").mkdir()
    shutil.copy(ROOT / "functions" / "routes.json", out / "functions" / "routes.json")
    return out


PROJECT_ID = re.compile(r"[a-z][a-z0-9-]{4,28}[a-z0-9]")
REGION = re.compile(r"[a-z]+-[a-z]+[0-9]")
BUCKET = re.compile(r"[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]")


def commit() -> str:
    found = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return found.stdout.strip() if found.returncode == 0 else "latest"


def link_storage(project: str, bucket: str) -> None:
    """Link the bucket to Firebase, so that `firebase deploy` can give it storage.rules."""
    import google.auth
    from google.auth.transport.requests import AuthorizedSession

    credentials, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])
    url = f"https://firebasestorage.googleapis.com/v1beta/projects/{project}/buckets/{bucket}:addFirebase"
    r = AuthorizedSession(credentials).post(url, json={}, headers={"x-goog-user-project": project}, timeout=60)
    if r.status_code not in (200, 409):  # 409: linked already
        raise SystemExit(f"linking gs://{bucket} to Firebase failed: {r.status_code} {r.text}")


def rules_agent_steps(project: str, number: str) -> list[Step]:
    """The Firebase Storage service agent of project `number`, made to exist, and given
    RULES_AGENT_ROLE unless the project's policy already shows it."""
    member = f"serviceAccount:service-{number}@gcp-sa-firebasestorage.iam.gserviceaccount.com"
    has_role = (
        "gcloud",
        "projects",
        "get-iam-policy",
        project,
        "--flatten=bindings[].members",
        f"--filter=bindings.role={RULES_AGENT_ROLE} AND bindings.members={member}",
        "--format=value(bindings.members)",
    )
    return [
        Step(
            "rules-agent",
            (
                "gcloud",
                "beta",
                "services",
                "identity",
                "create",
                "--service=firebasestorage.googleapis.com",
                "--project",
                project,
            ),
        ),
        Step(
            "rules-agent",
            (
                "gcloud",
                "projects",
                "add-iam-policy-binding",
                project,
                f"--member={member}",
                f"--role={RULES_AGENT_ROLE}",
                "--condition=None",
                "--quiet",
            ),
            unless=has_role,
        ),
    ]


def grant_rules_agent(project: str) -> None:
    """`rules-agent PROJECT`: look the project's number up, then run `rules_agent_steps`."""
    found = subprocess.run(
        ["gcloud", "projects", "describe", project, "--format=value(projectNumber)"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    number = found.stdout.strip()
    if found.returncode != 0 or not number.isdecimal():
        raise SystemExit(f"cannot read the number of project {project}: {found.stderr.strip()}")
    run(rules_agent_steps(project, number))


def run(steps: list[Step]) -> None:
    for i, step in enumerate(steps, 1):
        print(f"[{i}/{len(steps)}] {step.section}: {step.shell()}", flush=True)
        if step.unless and step.exists():
            print("    exists; skipped", flush=True)
            continue
        subprocess.run(step.argv, cwd=ROOT, check=True)


def main(argv=None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    if argv[:1] == ["package"]:
        out = package(Path(argv[1] if len(argv) > 1 else "build/functions"))
        print(out)
        return 0
    if argv[:1] == ["link-storage"] and len(argv) == 3:
        link_storage(argv[1], argv[2])
        return 0
    if argv[:1] == ["web-config"] and len(argv) == 3:
        config = web_config(argv[1], argv[2])
        target = ROOT / "web" / "dist" / "config.json"
        if not (target.parent / "index.html").exists():
            raise SystemExit("web/dist is not built: run make install")
        target.write_text(json.dumps(config, indent=2) + "\n")
        print(f"wrote {target.relative_to(ROOT)}: API {config['apiBase']}")
        return 0
    if argv[:1] == ["rules-agent"] and len(argv) == 2:
        grant_rules_agent(argv[1])
        return 0
    ap = argparse.ArgumentParser(
        prog="python -m infra.deploy", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--project", required=True)
    ap.add_argument("--region", required=True)
    ap.add_argument("--bucket", required=True)
    ap.add_argument("--image-tag", default=None, help="default: the commit (git rev-parse --short HEAD)")
    ap.add_argument("--dry-run", action="store_true", help="print every command; run nothing")
    args = ap.parse_args(argv)
    for name, pattern in (("project", PROJECT_ID), ("region", REGION), ("bucket", BUCKET)):
        if not pattern.fullmatch(getattr(args, name)):
            ap.error(f"--{name} {getattr(args, name)!r} is not a valid {name} name")
    steps = Plan(args.project, args.region, args.bucket, args.image_tag or commit()).build()
    if args.dry_run:
        for step in steps:
            print(f"# {step.section}\n{step.shell()}")
        return 0
    run(steps)
    return 0


if __name__ == "__main__":
    sys.exit(main())
