"""Users for the local stack: Auth emulator accounts with role claims, their Firestore
profiles, and real ID tokens signed in through the emulator's REST API."""

from __future__ import annotations

import json
import os
import urllib.request
from datetime import UTC, datetime, timedelta

from firebase_admin import auth as firebase_auth

from shared.adapters.auth import app
from shared.adapters.repository import client

PASSWORD = "liftlab-local-only"


def create_user(
    uid: str,
    role: str | None = None,
    org_id: str | None = None,
    profile: dict | None = None,
    plan_days: int | None = 30,
) -> dict:
    """An Auth account with custom claims and its `users/{uid}` document."""
    firebase_auth.create_user(uid=uid, email=f"{uid}@liftlab.test", password=PASSWORD, app=app())
    claims = {k: v for k, v in {"role": role, "org_id": org_id}.items() if v}
    if claims:
        firebase_auth.set_custom_user_claims(uid, claims, app=app())
    doc = {
        "display_name": uid.replace("-", " ").title(),
        "org_id": org_id,
        "role": role,
        "units": "metric",
        "timezone": "UTC",
        **(profile or {}),
    }  # role: the Firestore rules check it (shared.adapters.accounts)
    if plan_days is not None:
        doc["plan"] = {
            "name": "pro",
            "active_until": datetime.now(UTC) + timedelta(days=plan_days),
            "max_sessions_per_month": doc.pop("max_sessions_per_month", 100),
        }
    client().collection("users").document(uid).set(doc)
    return doc


def id_token(uid: str) -> str:
    """A real ID token from the Auth emulator (password sign-in), carrying the claims."""
    host = os.environ["FIREBASE_AUTH_EMULATOR_HOST"]
    url = f"http://{host}/identitytoolkit.googleapis.com/v1/accounts:signInWithPassword?key=local"
    body = json.dumps({"email": f"{uid}@liftlab.test", "password": PASSWORD, "returnSecureToken": True}).encode()
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())["idToken"]
