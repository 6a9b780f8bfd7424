"""infra/firestore.rules in the Firestore emulator, with real ID tokens from the Auth
emulator (their uid and role/org_id claims), over Firestore's REST API as a client SDK
would call it. The backend's own (admin) access is not governed by the rules."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import requests

from shared.config import settings
from shared.repository import client
from shared.sessions import CONTENT_TYPES

ROOT = Path(__file__).resolve().parents[2]
FIRESTORE_RULES = ROOT / "infra" / "firestore.rules"
STORAGE_RULES = ROOT / "infra" / "storage.rules"


class Firestore:
    """A client of the emulator's REST API with one user's token."""

    def __init__(self, project: str, token: str | None):
        self.base = (f"http://{os.environ['FIRESTORE_EMULATOR_HOST']}/v1/projects/{project}"
                     "/databases/(default)/documents")
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path: str) -> int:
        return requests.get(f"{self.base}/{path}", headers=self.headers, timeout=10).status_code

    def write(self, path: str, fields: dict | None = None) -> int:
        body = {"fields": {k: {"stringValue": v} for k, v in (fields or {"status": "done"}).items()}}
        return requests.patch(f"{self.base}/{path}", json=body, headers=self.headers, timeout=10).status_code

    def delete(self, path: str) -> int:
        return requests.delete(f"{self.base}/{path}", headers=self.headers, timeout=10).status_code

    def query(self, collection: str, user_id: str | None = None) -> int:
        query = {"from": [{"collectionId": collection}]}
        if user_id:
            query["where"] = {"fieldFilter": {"field": {"fieldPath": "user_id"}, "op": "EQUAL",
                                              "value": {"stringValue": user_id}}}
        r = requests.post(f"{self.base}:runQuery", json={"structuredQuery": query}, headers=self.headers, timeout=10)
        return r.status_code


@pytest.fixture
def rules(clean_stack):
    """The rules loaded for the test project, as `firebase deploy` would install them."""
    host = os.environ["FIRESTORE_EMULATOR_HOST"]
    body = {"rules": {"files": [{"name": "firestore.rules", "content": FIRESTORE_RULES.read_text()}]}}
    r = requests.put(f"http://{host}/emulator/v1/projects/{clean_stack.project}:securityRules", json=body, timeout=10)
    assert r.status_code == 200, r.text
    return clean_stack


@pytest.fixture
def as_user(rules, people):
    return lambda uid: Firestore(rules.project, people.token(uid) if uid else None)


@pytest.fixture
def thread(lift) -> str:
    client().collection("genai_threads").document("t1").set(
        {"session_id": lift, "kind": "summary", "key": "overview", "status": "completed", "text": "Good lift."})
    return "t1"


READERS = {"lifter": 200, "admin": 200, "coach": 200, "teammate": 403, "rival-coach": 403, "outsider": 403, None: 403}


@pytest.mark.parametrize("uid, status", READERS.items(), ids=[str(u) for u in READERS])
def test_a_session_its_series_and_threads_are_read_by_the_owner_their_org_admin_and_admins_only(
        as_user, lift, thread, uid, status):
    user = as_user(uid)
    assert user.get(f"sessions/{lift}") == status
    assert user.get(f"sessions/{lift}/series/0000") == status
    assert user.get(f"genai_threads/{thread}") == status


@pytest.mark.parametrize("uid, status", READERS.items(), ids=[str(u) for u in READERS])
def test_a_profile_is_read_by_its_user_their_org_admin_and_admins_only(as_user, uid, status):
    assert as_user(uid).get("users/lifter") == status


def test_a_user_lists_their_own_sessions_but_not_everyones(as_user, lift):
    lifter = as_user("lifter")
    assert lifter.query("sessions", user_id="lifter") == 200
    assert lifter.query("sessions") == 403
    assert as_user("outsider").query("sessions", user_id="lifter") == 403
    assert as_user("admin").query("sessions") == 200
    # a sub_admin lists an org member's sessions, not another club's
    assert as_user("coach").query("sessions", user_id="lifter") == 200
    assert as_user("rival-coach").query("sessions", user_id="lifter") == 403
    assert as_user("coach").query("sessions") == 403


@pytest.mark.parametrize("uid", ["lifter", "admin", "coach"])
def test_no_client_writes_sessions_results_threads_profiles_or_usage(as_user, lift, thread, uid):
    user = as_user(uid)
    for path in (f"sessions/{lift}", "sessions/new-one", f"sessions/{lift}/series/0000", f"genai_threads/{thread}",
                 "genai_threads/new-one", "users/lifter", "users/lifter/usage/2026-11", "processed_events/k"):
        assert user.write(path) == 403, path
    assert user.delete(f"sessions/{lift}") == 403
    assert client().collection("sessions").document(lift).get().get("status") == "done"


def test_dedup_records_and_usage_are_private(as_user, lift):
    client().collection("processed_events").document("k").set({"received_at": "now"})
    client().collection("users").document("lifter").collection("usage").document("2026-11").set({"count": 1})
    for uid in ("lifter", "admin"):
        assert as_user(uid).get("processed_events/k") == 403
        assert as_user(uid).get("users/lifter/usage/2026-11") == 403


def test_a_thread_of_a_missing_session_is_readable_by_nobody(as_user):
    client().collection("genai_threads").document("orphan").set({"session_id": "gone", "kind": "summary"})
    assert as_user("lifter").get("genai_threads/orphan") == 403
    assert as_user("admin").get("genai_threads/orphan") == 403


def test_the_storage_rules_match_what_the_api_accepts():
    """No Storage rules emulator runs offline here (FACTS.md), so this holds the rules to the
    API's own limits: uploads only under the caller's videos/{uid}/, only the content types
    and size the upload-URL endpoint accepts, no reads of other people's videos, and nothing
    else readable or writable."""
    text = STORAGE_RULES.read_text()
    assert "match /videos/{uid}/{sessionId}/{file}" in text
    assert text.count("request.auth.uid == uid") == 2  # create and get, both owner-only
    # only into the caller's own session that awaits exactly this object
    assert "firestore.get(/databases/(default)/documents/sessions/$(sessionId)).data.user_id == uid" in text
    assert ".data.status == 'uploading'" in text and ".data.video.path" in text
    types = re.search(r"contentType\.matches\('video/\(([^)]*)\)'\)", text).group(1).split("|")
    assert sorted(f"video/{t}" for t in types) == sorted(set(CONTENT_TYPES.values()))
    size = re.search(r"request\.resource\.size <= (\d+) \* 1024 \* 1024;", text).group(1)
    assert int(size) * 1024 * 1024 == 50 * settings().max_upload_bytes
    assert "allow list, update, delete: if false;" in text
    assert re.search(r"match /\{path=\*\*\} \{\s*allow read, write: if false;", text)
