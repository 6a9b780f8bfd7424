"""Local use: a busy port is one line that names the port and the variable that moves it;
`make token` says plainly when there is no stack to ask."""

from __future__ import annotations

import socket

import pytest

from infra.local import stack as stack_module
from infra.local import token


@pytest.fixture
def busy_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    yield s.getsockname()[1]
    s.close()


def test_a_busy_port_is_one_line_naming_it_and_its_variable(busy_port, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("LIFTLAB_PORT_API", str(busy_port))
    monkeypatch.setattr(stack_module, "stop_on_signals", lambda: None)  # leave pytest's own handlers be
    ran = []
    code = stack_module.serve(lambda stack: ran.append(stack) or 0, stay_up=False)
    err = capsys.readouterr().err.strip()
    assert code == 1 and ran == []
    assert err.count("\n") == 0 and "Traceback" not in err
    assert err == f"error: port {busy_port} (api) is in use; set LIFTLAB_PORT_API"


def test_token_without_a_stack_says_to_start_one(monkeypatch, capsys):
    free = socket.socket()
    free.bind(("127.0.0.1", 0))
    port = free.getsockname()[1]
    free.close()  # nothing listens there now
    monkeypatch.delenv("FIREBASE_AUTH_EMULATOR_HOST", raising=False)
    monkeypatch.setenv("LIFTLAB_PORT_AUTH", str(port))
    assert token.main(["lifter"]) == 1
    err = capsys.readouterr().err
    assert f"no Auth emulator at 127.0.0.1:{port}" in err and "make run" in err


def test_token_needs_exactly_one_user(capsys):
    assert token.main([]) == 2 and "usage: make token USER=<uid>" in capsys.readouterr().err
