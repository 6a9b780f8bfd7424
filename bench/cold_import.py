"""Cold import of the deployed function source (target < 1 s).

python -m bench.cold_import — packages the function source exactly as the deploy uploads
it (`infra.deploy package`: functions/main.py + shared/ without the engine), then imports
`main` in `RUNS` fresh interpreters, as a new Cloud Functions instance does before its
first request. Each interpreter also reports whether any engine dependency was loaded.
For scale, the same is timed for the Google client libraries alone (functions-framework,
Firestore, Firebase Auth, Storage), the floor no function code can go under.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from infra.deploy import ENGINE_MODULES, package

RUNS = 9
FLOOR = "import functions_framework, google.cloud.firestore, google.cloud.storage, firebase_admin.auth"
PROBE = """
import json, sys, time
t = time.perf_counter()
{statement}
print(json.dumps({{"s": time.perf_counter() - t, "heavy": [m for m in {heavy} if m in sys.modules]}}))
"""


def timed(statement: str, cwd: Path) -> list[dict]:
    code = PROBE.format(statement=statement, heavy=ENGINE_MODULES)
    env = {"PATH": "/usr/bin:/bin", "GOOGLE_CLOUD_PROJECT": "bench-project", "PYTHONDONTWRITEBYTECODE": "1"}
    return [
        json.loads(
            subprocess.run(
                [sys.executable, "-c", code], cwd=cwd, env=env, check=True, capture_output=True, text=True
            ).stdout
        )
        for _ in range(RUNS)
    ]


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        source = package(Path(tmp) / "functions")
        # One import first, to compile shared/ to bytecode as the deployed build does.
        subprocess.run([sys.executable, "-c", "import main"], cwd=source, check=True, capture_output=True)
        ours, floor = timed("import main", source), timed(FLOOR, source)
    rows = [("import main (all entry points)", ours), ("client libraries alone", floor)]
    print(f"Cold import of the function source, {RUNS} fresh interpreters each (target < 1 s):")
    for name, runs in rows:
        s = sorted(r["s"] for r in runs)
        print(
            f"  {name:32s} median {statistics.median(s) * 1000:5.0f} ms   min {s[0] * 1000:5.0f}   "
            f"max {s[-1] * 1000:5.0f} ms"
        )
    heavy = sorted({m for r in ours for m in r["heavy"]})
    print(f"  engine dependencies loaded: {heavy or 'none'}")
    return 1 if heavy else 0


if __name__ == "__main__":
    sys.exit(main())
