"""Every query the session list can make has its composite index in the file `make deploy`
deploys (the emulator runs any query; production refuses one without its index)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from shared.adapters.repository import LIST_FILTERS, list_index_fields

INDEXES = Path(__file__).resolve().parents[2] / "infra" / "firestore.indexes.json"


def deployed() -> set[tuple]:
    doc = json.loads(INDEXES.read_text())
    return {
        tuple((f["fieldPath"], f["order"]) for f in index["fields"])
        for index in doc["indexes"]
        if index["collectionGroup"] == "sessions"
    }


SCOPES = [{}, {"user_id": "u"}, {"org_id": "o"}]  # an admin's, one user's, a sub_admin's org
COMBINATIONS = [
    {"activity": "Weightlifting", **scope, **dict(extra)}
    for scope in SCOPES
    for n in range(3)
    for extra in itertools.combinations((("exercise", "snatch"), ("status", "done")), n)
]


@pytest.mark.parametrize("equal", COMBINATIONS, ids=lambda e: "+".join(e))
def test_each_list_query_has_its_index(equal):
    fields = tuple((name, "ASCENDING") for name in list_index_fields(equal)) + (("created_at", "DESCENDING"),)
    assert fields in deployed()


def test_a_list_query_filters_on_known_fields_only():
    with pytest.raises(ValueError):
        list_index_fields({"activity": "Weightlifting", "title": "x"})
    with pytest.raises(ValueError):
        list_index_fields({"user_id": "u"})
    assert list_index_fields({"status": "done", "activity": "W", "user_id": "u"}) == ["activity", "user_id", "status"]
    assert LIST_FILTERS[0] == "activity"
