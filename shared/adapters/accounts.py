"""Account administration: roles, disabling and deleting, kept in step in Firebase Auth and in
the user's `users/{uid}` document, which the Firestore rules read.

Firestore rules cannot see a token's revocation, a disabled or deleted account, or a role
taken away: an old ID token keeps its claims for up to an hour. So the rules also require the
caller's own `users/{uid}` document to be live (present, not `disabled`, issued after its
`tokens_valid_after`) and to carry the role the token claims. Every change here writes that
document first, so the rules refuse at once, and then changes Auth. Every change that takes
something away revokes the user's refresh tokens, which the API checks on each call.

    python -m shared.adapters.accounts set-role UID admin|sub_admin|none [--org ORG]
    python -m shared.adapters.accounts disable UID | enable UID | revoke UID | delete UID
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from firebase_admin import auth as firebase_auth

from shared.adapters.auth import app
from shared.adapters.repository import client

ROLES = ("admin", "sub_admin")


def _profile(uid: str):
    return client().collection("users").document(uid)


def revoke(uid: str) -> int:
    """Revoke the user's refresh tokens; the rules then refuse ID tokens issued before now.
    Returns that time (s), as Auth records it."""
    firebase_auth.revoke_refresh_tokens(uid, app=app())
    valid_after = firebase_auth.get_user(uid, app=app()).tokens_valid_after_timestamp // 1000
    _profile(uid).set({"tokens_valid_after": valid_after}, merge=True)
    return valid_after


def set_role(uid: str, role: str | None, org_id: str | None = None) -> None:
    """Give the user a role (`admin`, `sub_admin` of `org_id`) or none. The user's old tokens
    stop working: their next one carries the new claims."""
    if role not in (None, *ROLES):
        raise ValueError(f"role must be one of {', '.join(ROLES)} or none, not {role!r}")
    if role == "sub_admin" and not org_id:
        raise ValueError("a sub_admin needs the org they administer (--org)")
    claims = dict(firebase_auth.get_user(uid, app=app()).custom_claims or {})
    claims.pop("role", None)
    claims.pop("org_id", None)
    if role:
        claims["role"] = role
    if org_id:
        claims["org_id"] = org_id
    update = {"role": role} if org_id is None else {"role": role, "org_id": org_id}
    _profile(uid).set(update, merge=True)
    firebase_auth.set_custom_user_claims(uid, claims or None, app=app())
    revoke(uid)


def disable(uid: str) -> None:
    """Refuse the user everywhere: the rules at once, the API from their next call."""
    _profile(uid).set({"disabled": True}, merge=True)
    firebase_auth.update_user(uid, disabled=True, app=app())
    revoke(uid)


def enable(uid: str) -> None:
    firebase_auth.update_user(uid, disabled=False, app=app())
    _profile(uid).set({"disabled": False}, merge=True)


def delete(uid: str) -> None:
    """Delete the Auth account. The profile stays, marked disabled and deleted, so that the
    user's sessions keep an owner and no old token of theirs reads anything."""
    _profile(uid).set({"disabled": True, "deleted_at": datetime.now(UTC)}, merge=True)
    try:
        revoke(uid)
    except firebase_auth.UserNotFoundError:
        pass  # deleted already: the profile is marked, which is what the rules read
    else:
        firebase_auth.delete_user(uid, app=app())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m shared.adapters.accounts",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = ap.add_subparsers(dest="command", required=True)
    role = sub.add_parser("set-role", help="give a role, or take it away (none)")
    role.add_argument("uid")
    role.add_argument("role", choices=[*ROLES, "none"])
    role.add_argument("--org", help="the org a sub_admin administers (and belongs to)")
    for name in ("disable", "enable", "revoke", "delete"):
        sub.add_parser(name).add_argument("uid")
    args = ap.parse_args(argv)
    try:
        if args.command == "set-role":
            set_role(args.uid, None if args.role == "none" else args.role, args.org)
        else:
            {"disable": disable, "enable": enable, "revoke": revoke, "delete": delete}[args.command](args.uid)
    except (ValueError, firebase_auth.UserNotFoundError) as exc:
        ap.error(str(exc))
    print(f"{args.command} {args.uid}: done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
