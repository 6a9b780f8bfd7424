"""The layers hold: only the adapters import the cloud SDKs, and only shared/config.py reads
the environment, in the product code (shared/ and functions/; infra/ and tests/ are tools)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = [p for d in ("shared", "functions") for p in sorted((ROOT / d).rglob("*.py"))]
SDKS = ("google.cloud", "google.api_core", "firebase_admin", "openai")
# The adapters: Firestore, Storage, Tasks, Auth (tokens and accounts) and OpenAI.
ADAPTERS = {p.relative_to(ROOT).as_posix() for p in (ROOT / "shared" / "adapters").glob("*.py")}


def imported(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def test_only_the_adapters_import_the_cloud_sdks():
    found = {}
    for path in PRODUCT:
        rel = path.relative_to(ROOT).as_posix()
        sdk = sorted(n for n in imported(ast.parse(path.read_text())) if n.startswith(SDKS))
        if sdk and rel not in ADAPTERS:
            found[rel] = sdk
    assert found == {}
    assert {"shared/adapters/repository.py", "shared/adapters/auth.py", "shared/adapters/openai_coach.py"} <= ADAPTERS


def reads_environment(tree: ast.AST) -> bool:
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in ("environ", "getenv")
            and isinstance(node.value, ast.Name)
            and node.value.id == "os"
        ):
            return True
        if (
            isinstance(node, ast.ImportFrom)
            and node.module == "os"
            and any(a.name in ("environ", "getenv") for a in node.names)
        ):
            return True
    return False


def test_only_config_reads_the_environment():
    readers = [p.relative_to(ROOT).as_posix() for p in PRODUCT if reads_environment(ast.parse(p.read_text()))]
    assert readers == ["shared/config.py"]


def unannotated(tree: ast.Module) -> list[str]:
    """Public functions and methods (not nested ones) with an argument or return left untyped."""
    found = []

    def visit(body, prefix=""):
        for node in body:
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                visit(node.body, f"{node.name}.")
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.name.startswith("_"):
                args = node.args.posonlyargs + node.args.args + node.args.kwonlyargs
                untyped = [a.arg for a in args if a.annotation is None and a.arg not in ("self", "cls")]
                untyped += [f"*{a.arg}" for a in (node.args.vararg, node.args.kwarg) if a and a.annotation is None]
                if untyped or node.returns is None:
                    found.append(f"{prefix}{node.name}({', '.join(untyped)}){'' if node.returns else ' -> ?'}")

    visit(tree.body)
    return found


def test_every_public_function_of_the_engine_and_the_core_is_typed():
    missing = {p.relative_to(ROOT).as_posix(): unannotated(ast.parse(p.read_text())) for p in PRODUCT}
    assert {k: v for k, v in missing.items() if v} == {}


def test_each_layer_of_shared_says_what_it_is():
    packages = sorted(p.parent.name for p in (ROOT / "shared").glob("*/__init__.py"))
    assert {"domain", "adapters", "formatters", "analysis", "coach"} <= set(packages)
    for name in packages:
        doc = ast.get_docstring(ast.parse((ROOT / "shared" / name / "__init__.py").read_text()))
        assert doc and doc.strip(), f"shared/{name}/__init__.py has no docstring"
