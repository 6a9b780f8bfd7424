"""The stack script: up on loopback only, and nothing left running after Ctrl-C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import asdict

import pytest

from infra.local.stack import Ports
from tests.cloud.fixtures import ROOT


def listening(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def other_address() -> str | None:
    """An address of this machine that is not loopback, if it has one."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))  # TEST-NET: no packet is sent for a UDP connect
            address = s.getsockname()[0]
    except OSError:
        return None
    return None if address.startswith("127.") else address


@pytest.mark.slow
def test_ctrl_c_stops_every_part_of_the_stack():
    ports = Ports.free()
    env = {**os.environ, **{f"LIFTLAB_PORT_{k.upper()}": str(v) for k, v in asdict(ports).items()}}
    proc = subprocess.Popen(
        [sys.executable, "-m", "infra.local.stack"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    seen = []  # what the stack said, for the failure message
    try:
        for line in proc.stdout:
            seen.append(line)
            if "local stack up" in line:
                break
        else:
            said = "".join(seen[-20:])
            pytest.fail(f"the stack did not come up (exit {proc.wait()}); its last lines:\n{said}")
        assert all(listening(p) for p in asdict(ports).values())
        address = other_address()
        if address:
            assert not any(listening(p, address) for p in asdict(ports).values())
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.terminate()  # SIGTERM also stops the emulators; SIGKILL would orphan them
            proc.wait(timeout=60)
    deadline = time.monotonic() + 10
    while any(listening(p) for p in asdict(ports).values()) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [p for p in asdict(ports).values() if listening(p)] == []
