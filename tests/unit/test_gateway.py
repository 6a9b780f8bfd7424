"""The API Gateway config is generated from the OpenAPI document and the route manifest."""

from __future__ import annotations

from openapi_spec_validator import validate

from infra.gateway import gateway_config
from shared import routes


def test_the_gateway_config_is_valid_swagger_2_with_one_backend_per_route():
    config = gateway_config("liftlab-prod", "europe-west4")
    validate(config)
    operations = {(m.upper(), p): op for p, ops in config["paths"].items() for m, op in ops.items() if m != "options"}
    assert set(operations) == {(r.method, r.path) for r in routes.http_routes()}
    for route in routes.http_routes():
        backend = operations[(route.method, route.path)]["x-google-backend"]
        assert backend["address"] == f"https://europe-west4-liftlab-prod.cloudfunctions.net/{route.name}"
        assert backend["path_translation"] == "APPEND_PATH_TO_ADDRESS"


def test_path_parameters_and_firebase_tokens_are_declared():
    config = gateway_config("liftlab-prod", "europe-west4")
    get_session = config["paths"]["/weightlifting/sessions/{session_id}/"]["get"]
    assert get_session["parameters"] == [{"name": "session_id", "in": "path", "required": True, "type": "string"}]
    firebase = config["securityDefinitions"]["firebase"]
    assert firebase["x-google-issuer"] == "https://securetoken.google.com/liftlab-prod"
    assert firebase["x-google-audiences"] == "liftlab-prod"


def test_every_path_lets_a_browsers_preflight_through_without_a_token():
    config = gateway_config("liftlab-prod", "europe-west4")
    for ops in config["paths"].values():
        preflight = ops["options"]
        assert preflight["security"] == []  # a preflight carries no Authorization header
        others = [op for method, op in ops.items() if method != "options"]
        assert preflight["x-google-backend"] == others[0]["x-google-backend"]
    ids = [op["operationId"] for ops in config["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))
