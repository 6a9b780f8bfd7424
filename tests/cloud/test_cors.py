"""The web viewer on Firebase Hosting calls the API from another origin: preflights and
responses carry CORS headers for its origins (LIFTLAB_WEB_ORIGINS) and for no other."""

from __future__ import annotations

import pytest
import requests

VIEWER = "https://liftlab-prod.web.app"


@pytest.fixture(autouse=True)
def viewer_origin(monkeypatch):
    monkeypatch.setenv("LIFTLAB_WEB_ORIGINS", f"{VIEWER},https://liftlab-prod.firebaseapp.com")


def preflight(api, path: str, origin: str, method: str = "GET") -> requests.Response:
    return requests.options(
        api.url + path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization",
        },
        timeout=30,
    )


@pytest.mark.parametrize(
    "path, methods",
    [
        ("/weightlifting/sessions/", {"GET", "POST"}),
        ("/weightlifting/sessions/abc/summary/", {"GET", "POST"}),
        ("/weightlifting/users/u1/progress/", {"GET"}),
    ],
)
def test_the_viewers_preflight_is_answered(api, path, methods):
    r = preflight(api, path, VIEWER, "POST")
    assert r.status_code == 204
    assert r.headers["Access-Control-Allow-Origin"] == VIEWER
    assert methods <= set(r.headers["Access-Control-Allow-Methods"].split(", "))
    assert "Authorization" in r.headers["Access-Control-Allow-Headers"]


def test_another_origin_gets_no_cors_headers(api, people):
    r = preflight(api, "/weightlifting/sessions/", "https://evil.example")
    assert r.status_code == 204 and "Access-Control-Allow-Origin" not in r.headers
    r = api.request(
        "GET", "/weightlifting/sessions/", people.token("lifter"), headers={"Origin": "https://evil.example"}
    )
    assert r.status_code == 200 and "Access-Control-Allow-Origin" not in r.headers


def test_the_viewer_reads_answers_and_errors_alike(api, people):
    r = api.request("GET", "/weightlifting/sessions/", people.token("lifter"), headers={"Origin": VIEWER})
    assert r.status_code == 200 and r.headers["Access-Control-Allow-Origin"] == VIEWER
    r = api.request("GET", "/weightlifting/sessions/", None, headers={"Origin": VIEWER})
    assert r.status_code == 401 and r.headers["Access-Control-Allow-Origin"] == VIEWER
