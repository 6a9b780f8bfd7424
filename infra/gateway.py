"""The API Gateway config, generated from functions/openapi.yaml and functions/routes.json.

    python -m infra.gateway --project P --region R [--out build/gateway.json]

API Gateway takes Swagger 2.0, so each documented operation becomes a 2.0 operation with
its path parameters and an `x-google-backend` pointing at its own function (the path is
appended, so the function sees the API path, as locally). Firebase ID tokens are checked
at the gateway too (`x-google-issuer`, `x-google-jwks_uri`, `x-google-audiences`).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import yaml

from shared import routes

OPENAPI = Path(__file__).resolve().parents[1] / "functions" / "openapi.yaml"
JWKS = "https://www.googleapis.com/service_accounts/v1/metadata/x509/securetoken@system.gserviceaccount.com"


def gateway_config(project: str, region: str, openapi: dict | None = None) -> dict:
    openapi = openapi or yaml.safe_load(OPENAPI.read_text())
    by_entry = {r.entry_point: r for r in routes.http_routes()}
    paths: dict = {}
    for path, ops in openapi["paths"].items():
        for method, op in ops.items():
            route = by_entry[op["operationId"]]
            params = [
                {"name": name, "in": "path", "required": True, "type": "string"} for name in route.pattern.groupindex
            ]
            paths.setdefault(path, {})[method] = {
                "operationId": op["operationId"],
                "summary": op.get("summary", ""),
                "parameters": params,
                "x-google-backend": {
                    "address": f"https://{region}-{project}.cloudfunctions.net/{route.name}",
                    "path_translation": "APPEND_PATH_TO_ADDRESS",
                    "deadline": float(route.timeout_s),
                },
                "security": [{"firebase": []}],
                "responses": {
                    code: {"description": r.get("description", code) if isinstance(r, dict) else code}
                    for code, r in op["responses"].items()
                },
            }
    for ops in paths.values():
        # The web viewer calls the gateway from another origin: the browser's preflight carries
        # no token, so it passes without one, to the path's function, which answers it for
        # the viewer's origins only (shared/http.py).
        first = next(iter(ops.values()))
        ops["options"] = {
            "operationId": f"{first['operationId']}_preflight",
            "summary": "CORS preflight",
            "parameters": first["parameters"],
            "x-google-backend": first["x-google-backend"],
            "security": [],
            "responses": {"204": {"description": "CORS preflight"}},
        }
    return {
        "swagger": "2.0",
        "info": {"title": openapi["info"]["title"], "version": openapi["info"]["version"]},
        "schemes": ["https"],
        "produces": ["application/json"],
        "securityDefinitions": {
            "firebase": {
                "authorizationUrl": "",
                "flow": "implicit",
                "type": "oauth2",
                "x-google-issuer": f"https://securetoken.google.com/{project}",
                "x-google-jwks_uri": JWKS,
                "x-google-audiences": project,
            }
        },
        "paths": paths,
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m infra.gateway", description=__doc__)
    ap.add_argument("--project", required=True)
    ap.add_argument("--region", required=True)
    ap.add_argument("--out", help="write here instead of stdout")
    args = ap.parse_args(argv)
    text = json.dumps(gateway_config(args.project, args.region), indent=2) + "\n"
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
