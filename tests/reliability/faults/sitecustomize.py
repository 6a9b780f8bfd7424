"""Fault injection for the analysis job, loaded only by tests/reliability/test_faults.py.

The test puts this folder first on the job's PYTHONPATH and sets LIFTLAB_TEST_FAULT; Python
imports `sitecustomize` at start-up, so the job's own code runs unchanged with one of its
library calls wrapped. Faults fire on the first attempt only (CLOUD_RUN_TASK_ATTEMPT=0), so
the retry shows what recovery does (LIFTLAB_TEST_FAULT_EVERY_ATTEMPT=1: on every attempt):
- `kill-engine`: SIGKILL once the engine has reported 40% (mid-analysis);
- `kill-upload`: SIGKILL when result.json is about to be uploaded (outputs half stored,
  no results written);
- `kill-done`: SIGKILL right after the results and `done` were written, before exit;
- `storage-error`: the upload of result.json raises a connection reset (an interrupted
  Storage upload).
"""

import os
import signal

FAULT = os.environ.get("LIFTLAB_TEST_FAULT", "")

EVERY_ATTEMPT = os.environ.get("LIFTLAB_TEST_FAULT_EVERY_ATTEMPT") == "1"

if FAULT and (EVERY_ATTEMPT or os.environ.get("CLOUD_RUN_TASK_ATTEMPT") == "0"):
    from shared.adapters.repository import Repository
    from shared.adapters.storage import Storage

    def _die():
        os.kill(os.getpid(), signal.SIGKILL)

    if FAULT == "kill-engine":
        _report = Repository.report_progress

        def report_progress(self, session_id, owner, pct, stage, lease_s):
            _report(self, session_id, owner, pct, stage, lease_s)
            if stage not in ("downloading", "uploading") and pct >= 40:
                _die()

        Repository.report_progress = report_progress
    elif FAULT in ("kill-upload", "storage-error"):
        _upload = Storage.upload_path

        def upload_path(self, path, local_path, content_type):
            if path.endswith("result.json"):
                if FAULT == "kill-upload":
                    _die()
                raise ConnectionResetError("fault injected: connection reset during the upload")
            return _upload(self, path, local_path, content_type)

        Storage.upload_path = upload_path
    elif FAULT == "kill-done":
        _write = Repository.write_results

        def write_results(self, *args, **kwargs):
            written = _write(self, *args, **kwargs)
            _die()
            return written

        Repository.write_results = write_results
    else:
        raise SystemExit(f"unknown LIFTLAB_TEST_FAULT {FAULT!r}")
