"""The local router answers every path it cannot serve with JSON, as the functions do."""

from __future__ import annotations

import pytest

from infra.local.router import create_app


@pytest.fixture(scope="module")
def client():
    return create_app().test_client()


@pytest.mark.parametrize(
    "path",
    [
        "//weightlifting/sessions/abc/",
        "/weightlifting//sessions/abc/",
        "/weightlifting/sessions//analysis/",
        "/weightlifting/sessions/%2F/",
        "/weightlifting/sessions/abc%2Fdef/",
        "/weightlifting/sessions/%2Fabc/analysis/",
        "/nothing-here/",
    ],
)
def test_paths_it_cannot_serve_are_json_404s_not_redirects(client, path):
    r = client.get(path, headers={"Authorization": "Bearer x"})
    assert r.status_code == 404, (r.status_code, r.headers.get("Location"))
    assert r.is_json and "no such path" in r.get_json()["error"]


def test_a_method_a_route_does_not_take_is_a_json_405(client):
    r = client.put("/weightlifting/sessions/")
    assert r.status_code == 405 and r.is_json and r.get_json()["error"] == "method PUT not allowed"


def test_an_event_path_for_no_function_is_a_json_404(client):
    r = client.post("/_events/nothing", data=b"{}")
    assert r.status_code == 404 and r.is_json
