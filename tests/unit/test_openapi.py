"""The OpenAPI document is valid, matches the route manifest, and the docs follow it."""

from __future__ import annotations

from pathlib import Path

from openapi_spec_validator import validate

from shared import routes
from tests.cloud.contract import document

ROOT = Path(__file__).resolve().parents[2]


def documented() -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, ops in document()["paths"].items() for method in ops}


def test_the_document_is_valid_openapi_3():
    validate(document())
    assert document()["openapi"].startswith("3.")


def test_every_http_route_is_documented_and_nothing_else():
    assert documented() == {(r.method, r.path) for r in routes.http_routes()}


def test_every_operation_documents_its_errors_as_json_error_bodies():
    for path, ops in document()["paths"].items():
        for method, op in ops.items():
            codes = set(op["responses"])
            assert {"200", "401", "500"} <= codes, (method, path)
            for code, response in op["responses"].items():
                if code.startswith(("4", "5")):
                    ref = response.get("$ref") or response["content"]["application/json"]["schema"]["$ref"]
                    assert ref.rsplit("/", 1)[1] in {
                        "BadRequest",
                        "Unauthorized",
                        "Forbidden",
                        "ForbiddenOrPlan",
                        "NotFound",
                        "NotReady",
                        "Internal",
                        "Unavailable",
                        "Error",
                    }


def test_operation_ids_are_the_entry_points():
    ids = {op["operationId"] for ops in document()["paths"].values() for op in ops.values()}
    assert ids == {r.entry_point for r in routes.http_routes()}


def test_the_api_docs_cover_every_documented_path():
    docs = (ROOT / "functions" / "README.md").read_text()
    for method, path in documented():
        assert f"`{method} {path}" in docs, f"functions/README.md does not document {method} {path}"
