"""Every response the tests see is checked against functions/openapi.yaml."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import jsonschema
import requests
import yaml

OPENAPI = Path(__file__).resolve().parents[2] / "functions" / "openapi.yaml"


@lru_cache(maxsize=1)
def document() -> dict:
    return yaml.safe_load(OPENAPI.read_text())


def response_schema(method: str, path: str, status: int, content_type: str = "application/json") -> dict:
    responses = document()["paths"][path][method.lower()]["responses"]
    assert str(status) in responses, f"{method} {path} does not document {status}"
    response = responses[str(status)]
    if "$ref" in response:
        response = document()["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    return response["content"][content_type]["schema"]


def check(response: requests.Response, method: str, path: str) -> requests.Response:
    """Assert the response is documented for this path and method, and matches its schema."""
    content_type = response.headers.get("Content-Type", "").split(";")[0]
    schema = response_schema(method, path, response.status_code, content_type)
    body = response.json() if content_type == "application/json" else response.text
    root = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": document()["components"],
        "allOf": [schema],
    }
    jsonschema.Draft202012Validator(root).validate(body)
    return response
