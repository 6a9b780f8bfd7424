"""`make token USER=...` against the running stack: a fresh, working token for a seeded user."""

from __future__ import annotations

from infra.local import token


def test_make_token_prints_a_fresh_token_that_the_api_accepts(api, people, lift, capsys):
    people.token("lifter")  # the user exists
    assert token.main(["lifter"]) == 0
    fresh = capsys.readouterr().out.strip()
    assert fresh.count(".") == 2 and "\n" not in fresh
    assert api.session(lift, fresh).status_code == 200


def test_make_token_for_an_unknown_user_is_one_line(api, people, capsys):
    assert token.main(["nobody"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: no user 'nobody' on the local stack") and err.count("\n") == 1
