"""infra/firestore.rules in the Firestore emulator, with real ID tokens from the Auth
emulator (their uid and role/org_id claims), over Firestore's REST API as a client SDK
would call it. The backend's own (admin) access is not governed by the rules."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
import requests

from infra.local.accounts import id_token
from shared.adapters.repository import client
from shared.config import settings
from shared.domain.commands import CONTENT_TYPES

ROOT = Path(__file__).resolve().parents[2]
FIRESTORE_RULES = ROOT / "infra" / "firestore.rules"
STORAGE_RULES = ROOT / "infra" / "storage.rules"


class Firestore:
    """A client of the emulator's REST API with one user's token."""

    def __init__(self, project: str, token: str | None):
        self.base = (
            f"http://{os.environ['FIRESTORE_EMULATOR_HOST']}/v1/projects/{project}/databases/(default)/documents"
        )
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
            query["where"] = {
                "fieldFilter": {"field": {"fieldPath": "user_id"}, "op": "EQUAL", "value": {"stringValue": user_id}}
            }
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
        {"session_id": lift, "kind": "summary", "key": "overview", "status": "completed", "text": "Good lift."}
    )
    return "t1"


READERS = {"lifter": 200, "admin": 200, "coach": 200, "teammate": 403, "rival-coach": 403, "outsider": 403, None: 403}


@pytest.mark.parametrize("uid, status", READERS.items(), ids=[str(u) for u in READERS])
def test_a_session_its_series_and_threads_are_read_by_the_owner_their_org_admin_and_admins_only(
    as_user, lift, thread, uid, status
):
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
    for path in (
        f"sessions/{lift}",
        "sessions/new-one",
        f"sessions/{lift}/series/0000",
        f"genai_threads/{thread}",
        "genai_threads/new-one",
        "users/lifter",
        "users/lifter/usage/2026-11",
        "processed_events/k",
    ):
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


def _old_tokens(people) -> dict:
    """Tokens issued before a change, a second before it: Firebase revokes with one-second
    granularity (a token of the very second of a revocation still passes the API's check)."""
    tokens = {uid: people.token(uid) for uid in ("admin", "coach", "lifter")}
    time.sleep(1.1)
    return tokens


def _reads(project: str, token: str, lift: str, thread: str) -> dict:
    user = Firestore(project, token)
    return {
        "session": user.get(f"sessions/{lift}"),
        "series": user.get(f"sessions/{lift}/series/0000"),
        "thread": user.get(f"genai_threads/{thread}"),
        "profile": user.get("users/lifter"),
        "query by owner": user.query("sessions", user_id="lifter"),
        "query all": user.query("sessions"),
    }


DENIED = {"session": 403, "series": 403, "thread": 403, "profile": 403, "query by owner": 403, "query all": 403}


@pytest.mark.parametrize("who", ["admin", "coach", "lifter"])
@pytest.mark.parametrize("change", ["disable", "delete", "revoke"])
def test_an_old_token_of_a_disabled_deleted_or_revoked_user_reads_nothing(
    rules, people, api, lift, thread, who, change
):
    from shared.adapters import accounts

    old = _old_tokens(people)[who]
    assert Firestore(rules.project, old).get(f"sessions/{lift}") == 200  # before the change
    getattr(accounts, change)(who)
    reads = {k: v for k, v in _reads(rules.project, old, lift, thread).items() if k in DENIED}
    assert reads == DENIED
    assert api.session(lift, old).status_code == 401  # the API checks revocation itself


def test_a_demoted_sub_admins_and_admins_old_tokens_read_only_their_own(rules, people, api, lift, thread):
    from shared.adapters import accounts

    old = _old_tokens(people)
    accounts.set_role("coach", None)
    accounts.set_role("admin", None)
    for uid in ("coach", "admin"):
        reads = {k: v for k, v in _reads(rules.project, old[uid], lift, thread).items() if k in DENIED}
        assert reads == DENIED, uid
        assert api.session(lift, old[uid]).status_code == 401
    # a new token after the change carries no role: the coach reads their own profile only
    time.sleep(1.1)  # revocation has one-second granularity
    fresh = Firestore(rules.project, id_token("coach"))
    assert fresh.get("users/coach") == 200 and fresh.get(f"sessions/{lift}") == 403


def test_a_role_the_token_claims_but_the_profile_no_longer_holds_reads_nothing_of_others(rules, people, lift):
    """The profile is written first: between that write and the revocation, the old token's
    claim alone is not enough."""
    old = _old_tokens(people)
    client().collection("users").document("coach").set({"role": None}, merge=True)
    client().collection("users").document("admin").set({"role": None}, merge=True)
    for uid in ("coach", "admin"):
        assert Firestore(rules.project, old[uid]).get(f"sessions/{lift}") == 403
        assert Firestore(rules.project, old[uid]).get(f"users/{uid}") == 200  # their own, still live


def test_a_user_without_a_profile_reads_nothing(rules, people, lift):
    from firebase_admin import auth as firebase_auth

    from infra.local.accounts import PASSWORD
    from shared.adapters.auth import app

    firebase_auth.create_user(uid="ghost", email="ghost@liftlab.test", password=PASSWORD, app=app())
    assert Firestore(rules.project, id_token("ghost")).get("users/ghost") == 403


def test_an_enabled_user_signs_in_again_and_reads_as_before(rules, people, lift):
    from shared.adapters import accounts

    accounts.disable("lifter")
    accounts.enable("lifter")
    time.sleep(1.1)  # a sign-in in the second of the revocation is refused, as Firebase's own check does
    assert Firestore(rules.project, id_token("lifter")).get(f"sessions/{lift}") == 200
