"""Local stand-in for Cloud Tasks + the Cloud Run job, with the same contract:

- `POST /tasks {name, args}` creates a task; a name seen before answers 409, as Cloud
  Tasks' AlreadyExists does.
- Each task runs `python <args>` (the job's real entry point) as a subprocess, with
  `CLOUD_RUN_EXECUTION` = the task name and `CLOUD_RUN_TASK_ATTEMPT` = the attempt.
- A non-zero exit (a crash, a kill) is retried with backoff, up to `max_attempts`: at
  least once, never forever.
- `GET /tasks` and `GET /tasks/{name}` show state, attempts and the running pid.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import subprocess
import sys
import threading
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

log = logging.getLogger("liftlab.dispatcher")
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Task:
    name: str
    args: list
    state: str = "pending"  # pending | running | retrying | succeeded | failed | cancelled
    attempts: int = 0
    pid: int | None = None
    exit_codes: list = field(default_factory=list)


class Dispatcher:
    def __init__(
        self,
        host: str,
        port: int,
        env: dict,
        workers: int = 1,
        max_attempts: int = 3,
        backoff_s: float = 1.0,
        log_dir: Path | None = None,
    ):
        self.env, self.max_attempts, self.backoff_s, self.log_dir = env, max_attempts, backoff_s, log_dir
        self.tasks: dict[str, Task] = {}
        self.lock = threading.Lock()
        self.pending: queue.Queue = queue.Queue()
        self.stopping = threading.Event()
        self.running: dict[str, subprocess.Popen] = {}
        self.server = ThreadingHTTPServer((host, port), self._handler())
        self.threads = [threading.Thread(target=self.server.serve_forever, daemon=True)]
        self.threads += [threading.Thread(target=self._work, daemon=True) for _ in range(workers)]

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> Dispatcher:
        for t in self.threads:
            t.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        for _ in self.threads:
            self.pending.put(None)
        with self.lock:
            procs = list(self.running.values())
        for proc in procs:
            proc.kill()
        self.server.shutdown()
        self.server.server_close()

    def add_worker(self) -> None:
        """One more job at a time (`remove_worker` takes one away when it is idle)."""
        thread = threading.Thread(target=self._work, daemon=True)
        self.threads.append(thread)
        thread.start()

    def remove_worker(self) -> None:
        self.pending.put(None)

    def add(self, name: str, args: list) -> bool:
        with self.lock:
            if name in self.tasks:
                return False
            self.tasks[name] = Task(name, list(args))
        self.pending.put(name)
        return True

    def clear(self) -> None:
        """Drop every task and kill running jobs (between tests)."""
        with self.lock:
            for task in self.tasks.values():
                task.state = "cancelled"
            procs = list(self.running.values())
            self.tasks.clear()
        for proc in procs:
            proc.kill()

    def _work(self) -> None:
        while (name := self.pending.get()) is not None:
            with self.lock:
                task = self.tasks.get(name)
            if task is None or task.state == "cancelled":
                continue
            task.attempts += 1
            task.state = "running"
            env = {**self.env, "CLOUD_RUN_EXECUTION": name, "CLOUD_RUN_TASK_ATTEMPT": str(task.attempts - 1)}
            out = open(self.log_dir / f"{name}.log", "ab") if self.log_dir else subprocess.DEVNULL
            try:
                proc = subprocess.Popen(
                    [sys.executable, *task.args], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
                )
                with self.lock:
                    self.running[name], task.pid = proc, proc.pid
                code = proc.wait()
            finally:
                if out is not subprocess.DEVNULL:
                    out.close()
            with self.lock:
                self.running.pop(name, None)
                task.pid = None
                task.exit_codes.append(code)
            if task.state == "cancelled":
                continue
            if code == 0:
                task.state = "succeeded"
            elif self.stopping.is_set():
                task.state = "cancelled"  # killed by stop(), not failed
            elif task.attempts >= self.max_attempts:
                task.state = "failed"
                log.error("task %s failed after %d attempts (exit codes %s)", name, task.attempts, task.exit_codes)
            else:
                task.state = "retrying"
                threading.Timer(self.backoff_s * 2 ** (task.attempts - 1), self.pending.put, (name,)).start()

    def _handler(self):
        dispatcher = self

        class Handler(BaseHTTPRequestHandler):
            def _send(self, status: int, body) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):
                if self.path != "/tasks":
                    return self._send(404, {"error": "not found"})
                try:
                    body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                    name, args = str(body["name"]), [str(a) for a in body["args"]]
                except (ValueError, KeyError, TypeError):
                    return self._send(400, {"error": "expected JSON {name, args}"})
                if not dispatcher.add(name, args):
                    return self._send(409, {"error": f"task {name} already exists"})
                self._send(200, {"name": name})

            def do_GET(self):
                with dispatcher.lock:
                    tasks = {n: asdict(t) for n, t in dispatcher.tasks.items()}
                if self.path == "/tasks":
                    return self._send(200, {"tasks": list(tasks.values())})
                name = self.path.removeprefix("/tasks/")
                self._send(200, tasks[name]) if name in tasks else self._send(404, {"error": "no such task"})

            def log_message(self, *args):
                """No access log: tasks are logged by outcome."""

        return Handler


def job_environment(base: dict | None = None) -> dict:
    env = dict(base or os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env
