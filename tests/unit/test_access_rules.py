"""Who may read what, in milliseconds: the access and plan rules (shared.domain.access) and the read
services (shared.domain.reports) over an in-memory repository, for every payload, the list,
progress and compare. The emulator tests (tests/cloud) check the same through HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.demo import DEMO_DIR
from shared.domain import access
from shared.domain.errors import Forbidden, NotFound, NotReady, PlanRequired, SessionNotFound
from shared.domain.model import User
from shared.domain.reports import Reports
from shared.formatters import documents, results
from tests.cloud.fixtures import RESULT

NOW = datetime.now(UTC)
PLAN = {"active_until": NOW + timedelta(days=30)}
USERS = {
    "admin": {"role": "admin"},
    "coach": {"role": "sub_admin", "org_id": "club-a"},
    "rival": {"role": "sub_admin", "org_id": "club-b"},
    "lifter": {"org_id": "club-a", "plan": PLAN},
    "teammate": {"org_id": "club-a", "plan": PLAN},
    "outsider": {"plan": PLAN},
}
CALLERS = {
    uid: access.Caller(uid, doc.get("role"), doc.get("org_id") if doc.get("role") else None)
    for uid, doc in USERS.items()
}


def profile(uid: str) -> User:
    return documents.user(uid, USERS[uid])


# Who may read the lifter's things: the lifter, their org's sub_admin, an admin.
MAY_READ_LIFTER = {"lifter": True, "teammate": False, "coach": True, "rival": False, "admin": True, "outsider": False}


class Repo:
    """The repository's reads, in memory: one finished session of the lifter's, stored as
    documents and read through the same conversion as the Firestore adapter."""

    def __init__(self):
        fields, series = results.stored(RESULT)
        self.sessions = {
            "s1": {
                "id": "s1",
                **fields,
                "user_id": "lifter",
                "org_id": "club-a",
                "activity": "Weightlifting",
                "exercise": "snatch",
                "title": "T",
                "status": "done",
                "created_at": NOW,
                "barbell_mass_kg": 100.0,
                "phase_images": {},
            }
        }
        self.chunks = results.series_chunks(series)
        self.sessions["s1"]["series_chunks"] = [
            {k: c[k] for k in ("index", "start_frame", "end_frame")} for c in self.chunks
        ]
        self.listed = []

    def user(self, uid):
        return profile(uid) if uid in USERS else None

    def users(self, uids):
        return {u: profile(u) for u in uids if u in USERS}

    def session(self, sid):
        doc = self.sessions.get(sid)
        return documents.session(sid, doc) if doc else None

    def series_chunks(self, sid, indices=None, fields=None):
        return [c for c in self.chunks if indices is None or c["index"] in indices]

    def list_sessions(self, equal, start, end, cursor, limit):
        self.listed.append(equal)
        found = [(sid, s) for sid, s in self.sessions.items() if all(s.get(k) == v for k, v in equal.items())]
        return [documents.session(sid, s) for sid, s in found][:limit]

    def lift_summaries(self, user_id, exercise):
        return []


class Store:
    def signed_url(self, path):
        return f"https://signed/{path}" if path else None


@pytest.fixture
def reports() -> Reports:
    return Reports(Repo(), Store())


@pytest.mark.parametrize("caller", CALLERS)
def test_may_act_for_the_lifter(caller):
    assert access.may_act_for(CALLERS[caller], "lifter", profile("lifter")) is MAY_READ_LIFTER[caller]


def test_a_sub_admin_needs_an_org_on_both_sides():
    assert not access.may_act_for(access.Caller("c", "sub_admin", None), "x", User("x"))
    assert not access.may_act_for(CALLERS["coach"], "ghost", None)
    assert access.may_act_for(CALLERS["lifter"], "lifter", None)  # oneself, profile or not


def test_the_plan_rule():
    access.require_plan(CALLERS["admin"], User("admin"))  # admins need none
    access.require_plan(CALLERS["lifter"], profile("lifter"))
    lapsed = documents.user("lifter", {"plan": {"active_until": NOW - timedelta(seconds=1)}})
    for owner in (User("lifter"), lapsed, None):
        with pytest.raises(PlanRequired):
            access.require_plan(CALLERS["lifter"], owner, now=NOW)


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("kind", ["details", "export", "analysis", "summary"])
def test_who_may_read_each_payload(reports, caller, kind):
    read = getattr(reports, kind)
    if MAY_READ_LIFTER[caller]:
        assert read(CALLERS[caller], "s1")
    else:
        with pytest.raises(Forbidden):
            read(CALLERS[caller], "s1")


def test_unknown_sessions_other_activities_and_unfinished_ones(reports):
    with pytest.raises(SessionNotFound):
        reports.analysis(CALLERS["admin"], "nope")
    reports.repo.sessions["run"] = {**reports.repo.sessions["s1"], "id": "run", "activity": "Running"}
    with pytest.raises(SessionNotFound):
        reports.export(CALLERS["admin"], "run")
    reports.repo.sessions["p"] = {**reports.repo.sessions["s1"], "id": "p", "status": "processing", "progress": 40}
    with pytest.raises(NotReady) as caught:
        reports.summary(CALLERS["lifter"], "p")
    assert caught.value.body() == {"error": "the session is not analysed yet", "status": "processing", "progress": 40}
    assert reports.details(CALLERS["lifter"], "p")["status"] == "processing"


def test_analysis_and_summary_need_the_owners_plan_export_does_not(reports):
    USERS["lifter"]["plan"] = {"active_until": NOW - timedelta(days=1)}
    try:
        for kind in ("analysis", "summary"):
            with pytest.raises(PlanRequired):
                getattr(reports, kind)(CALLERS["coach"], "s1")
            assert getattr(reports, kind)(CALLERS["admin"], "s1")
        assert reports.export(CALLERS["lifter"], "s1")
    finally:
        USERS["lifter"]["plan"] = PLAN


@pytest.mark.parametrize("caller", CALLERS)
def test_who_may_list_progress_and_compare_the_lifters(reports, caller):
    c = CALLERS[caller]
    calls = [
        lambda: reports.list_sessions(c, {"user_id": "lifter"}),
        lambda: reports.progress(c, "lifter", {"exercise": "snatch"}),
        lambda: reports.compare(c, {"a": "s1", "b": "s1"}),
    ]
    for call in calls:
        if MAY_READ_LIFTER[caller]:
            assert call()
        else:
            with pytest.raises(Forbidden):
                call()


@pytest.mark.parametrize(
    "caller, scope",
    [
        ("lifter", {"user_id": "lifter"}),
        ("coach", {"org_id": "club-a"}),
        ("rival", {"org_id": "club-b"}),
        ("admin", {}),
    ],
)
def test_a_list_without_user_id_is_scoped_by_role(reports, caller, scope):
    reports.list_sessions(CALLERS[caller], {})
    assert reports.repo.listed[-1] == {"activity": "Weightlifting", **scope}


def test_naming_no_such_user_is_404_to_an_admin_and_403_to_others(reports):
    with pytest.raises(NotFound, match="user ghost not found"):
        reports.list_sessions(CALLERS["admin"], {"user_id": "ghost"})
    with pytest.raises(Forbidden):
        reports.progress(CALLERS["coach"], "ghost", {"exercise": "snatch"})


def test_the_demo_is_everyones(reports):
    reports.repo.sessions["demo-snatch"] = {**reports.repo.sessions["s1"], "id": "demo-snatch", "user_id": "demo"}
    assert reports.analysis(CALLERS["outsider"], "whatever", demo=True)
    assert (DEMO_DIR / "result.json").exists()
