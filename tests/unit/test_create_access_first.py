"""A create checks who may act for whom before it reads anything else: a refused caller's
video is never probed or stored (no emulators needed: the repository and Storage are fakes
that record what was asked of them)."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest

from shared.domain import sessions as sessions_module
from shared.domain.access import Caller
from shared.domain.errors import BadRequest, Forbidden
from shared.domain.model import User
from shared.domain.sessions import Sessions

USERS = {
    "lifter": User("lifter", org_id="club-a", units="metric", timezone="UTC"),
    "outsider": User("outsider", units="metric", timezone="UTC"),
}


class Repo:
    def __init__(self):
        self.asked = []

    def user(self, uid):
        self.asked.append(("user", uid))
        return USERS.get(uid)

    def __getattr__(self, name):  # any write: the test fails on it
        raise AssertionError(f"the repository was asked to {name}")


class Store:
    def __getattr__(self, name):
        raise AssertionError(f"Storage was asked to {name}")


@pytest.fixture
def probed(monkeypatch):
    calls = []
    monkeypatch.setattr(sessions_module, "probe", lambda *a, **k: calls.append(a) or pytest.fail("probed"))
    return calls


def _video(data: bytes = b"\0" * 5000):
    return SimpleNamespace(filename="a.mp4", stream=io.BytesIO(data))


@pytest.mark.parametrize("caller", [Caller("outsider"), Caller("rival", "sub_admin", "club-b"), Caller("teammate")])
@pytest.mark.parametrize(
    "form",
    [
        {"user_id": "lifter", "exercise_name": "snatch"},
        {"user_id": "lifter", "exercise_name": "deadlift", "barbell_mass": "abc"},  # bad fields: still 403
    ],
)
def test_a_refused_callers_upload_is_never_probed_or_stored(probed, caller, form):
    with pytest.raises(Forbidden):
        Sessions(Repo(), Store()).create(caller, form, _video(b"not a video at all"))
    assert probed == []


def test_the_upload_url_checks_access_before_its_fields(probed):
    with pytest.raises(Forbidden):
        Sessions(Repo(), Store()).create_upload_url(Caller("outsider"), {"user_id": "lifter", "content_type": "x/y"})


def test_after_access_the_form_fields_come_before_the_video(probed):
    repo = Repo()
    with pytest.raises(BadRequest, match="barbell_mass must be a number"):
        Sessions(repo, Store()).create(
            Caller("lifter"), {"user_id": "lifter", "exercise_name": "snatch", "barbell_mass": "abc"}, _video()
        )
    assert probed == [] and repo.asked == [("user", "lifter")]


def test_a_malformed_user_id_is_refused_before_anything_is_looked_up(probed):
    repo = Repo()
    with pytest.raises(BadRequest, match="user_id is not a valid user id"):
        Sessions(repo, Store()).create(Caller("lifter"), {"user_id": "../x"}, _video())
    assert repo.asked == []


def test_every_bad_field_is_named_at_once_before_the_video_is_read(probed):
    form = {
        "user_id": "lifter",
        "exercise_name": "deadlift",
        "barbell_mass": "abc",
        "session_name": "x" * 121,
        "body_joint_angles": "knee,wrist",
    }
    with pytest.raises(BadRequest) as refused:
        Sessions(Repo(), Store()).create(Caller("lifter"), form, None)
    fields = refused.value.extra["fields"]
    assert set(fields) == {"exercise_name", "barbell_mass", "session_name", "body_joint_angles", "video"}
    assert "barbell_mass must be a number" in fields["barbell_mass"] and "video is required" in fields["video"]
    assert all(message in refused.value.message for message in fields.values())
    assert probed == []


def test_the_upload_url_names_every_bad_field_at_once(probed):
    form = {
        "user_id": "lifter",
        "exercise_name": "snatch",
        "content_type": "image/png",
        "size_bytes": "lots",
        "barbell_mass": "-1",
    }
    with pytest.raises(BadRequest) as refused:
        Sessions(Repo(), Store()).create_upload_url(Caller("lifter"), form)
    assert set(refused.value.extra["fields"]) == {"content_type", "size_bytes", "barbell_mass"}
