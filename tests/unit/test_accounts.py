"""The account CLI refuses what it cannot do before it touches Auth or Firestore."""

from __future__ import annotations

import pytest

from shared.adapters import accounts


@pytest.fixture(autouse=True)
def nothing_is_touched(monkeypatch):
    def touched(*a, **k):
        raise AssertionError("Auth or Firestore was called")

    monkeypatch.setattr(accounts.firebase_auth, "get_user", touched)
    monkeypatch.setattr(accounts, "client", touched)


@pytest.mark.parametrize(
    "role, org, message",
    [
        ("owner", None, "role must be one of admin, sub_admin or none"),
        ("sub_admin", None, "a sub_admin needs the org they administer"),
    ],
)
def test_set_role_refuses_a_role_it_does_not_know_or_a_sub_admin_without_an_org(role, org, message):
    with pytest.raises(ValueError, match=message):
        accounts.set_role("u1", role, org)


@pytest.mark.parametrize(
    "argv", [["set-role", "u1", "owner"], ["set-role", "u1", "sub_admin"], ["wipe", "u1"], ["disable"]]
)
def test_the_cli_answers_a_bad_command_with_usage_and_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as stop:
        accounts.main(argv)
    assert stop.value.code == 2 and "usage: python -m shared.adapters.accounts" in capsys.readouterr().err
