"""Who may act for whom: the access and plan rules, pure functions on the caller and the
user's profile.

Roles come from custom claims: `role` is `admin` or `sub_admin`, and `org_id` scopes a
sub_admin. The rules:
- act for a user (create a session): the user themself, an admin, or a sub_admin of the
  user's org;
- read a session: the same three, about the session's owner;
- analysis, summary and coaching need an active plan, unless the caller is an admin.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from shared.domain.errors import Forbidden, PlanRequired
from shared.domain.model import User


@dataclass(frozen=True)
class Caller:
    uid: str
    role: str | None = None
    org_id: str | None = None
    claims: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def may_act_for(caller: Caller, user_id: str, user: User | None) -> bool:
    if caller.uid == user_id or caller.is_admin:
        return True
    return (
        caller.role == "sub_admin" and caller.org_id is not None and user is not None and user.org_id == caller.org_id
    )


def require_act_for(caller: Caller, user_id: str, user: User | None) -> None:
    if not may_act_for(caller, user_id, user):
        raise Forbidden("you may not act for this user")


def require_plan(caller: Caller, user: User | None, now: datetime | None = None) -> None:
    """Analysis, summary and coaching need the owner's active plan (admins are exempt)."""
    if caller.is_admin:
        return
    until = user.plan.active_until if user else None
    now = now or datetime.now(UTC)
    if until is None or until < now:
        raise PlanRequired("an active plan is required")
