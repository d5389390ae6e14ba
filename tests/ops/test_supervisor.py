"""The supervisor (ops.supervisor) with small Python children: a dead child
comes back after its delay, with a log line; stop ends them all, killing one
that ignores SIGTERM; and children stop by themselves when their supervisor
is killed outright."""

import logging
import os
import signal
import subprocess
import sys
import textwrap
import threading

import pytest

from civicgrid.ops.supervisor import Supervisor, backoff
from tests.processes import alive, kill_group, wait_until

SLEEPER = [sys.executable, "-c", "import time; time.sleep(120)"]


@pytest.fixture
def supervised():
    """A supervisor watched by a thread, stopped at the end whatever happens."""
    started: list[Supervisor] = []
    until = threading.Event()

    def start(children, **options) -> Supervisor:
        supervisor = Supervisor(children, **options)
        supervisor.start()
        threading.Thread(target=supervisor.supervise, args=(until,), daemon=True).start()
        started.append(supervisor)
        return supervisor

    yield start
    until.set()
    for supervisor in started:
        supervisor.stop(timeout=5)


def test_the_delay_doubles_while_a_child_keeps_dying_young():
    assert [backoff(n, 1.0, 30.0) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]


def test_a_killed_child_comes_back_and_it_is_logged(supervised, caplog):
    caplog.set_level(logging.INFO, logger="civicgrid.ops.supervisor")
    supervisor = supervised({"sleeper": SLEEPER}, first_delay=0.1)
    first = supervisor.pids()["sleeper"]
    os.kill(first, signal.SIGKILL)

    def replaced():
        pid = supervisor.pids().get("sleeper")
        return pid if pid not in (None, first) else None

    second = wait_until(replaced, 30)
    assert second and alive(second) and not alive(first)
    assert f"sleeper (pid {first}) killed by SIGKILL" in caplog.text
    assert "restarting in 0.1 s" in caplog.text
    assert f"sleeper started (pid {second})" in caplog.text


def test_stop_ends_every_child_and_kills_one_that_ignores_sigterm(tmp_path):
    ready = tmp_path / "ready"
    stubborn = textwrap.dedent(
        f"""
        import pathlib, signal, time
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        pathlib.Path({str(ready)!r}).touch()
        time.sleep(120)
        """
    )
    supervisor = Supervisor({"polite": SLEEPER, "stubborn": [sys.executable, "-c", stubborn]})
    supervisor.start()
    pids = supervisor.pids()
    try:
        assert wait_until(ready.exists, 30)
        codes = supervisor.stop(timeout=0.5)
    finally:
        for pid in pids.values():  # in this test's own process group: one by one
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
    assert codes == {"polite": -signal.SIGTERM, "stubborn": -signal.SIGKILL}
    assert not any(alive(pid) for pid in pids.values())


def test_children_stop_when_their_supervisor_is_killed_outright(tmp_path):
    pids = tmp_path / "pids"
    child = textwrap.dedent(
        f"""
        import os, time
        from civicgrid.ops.supervisor import watch_parent
        watch_parent()
        with open({str(pids)!r}, "a") as out:
            print(os.getpid(), file=out)
        time.sleep(120)
        """
    )
    parent = textwrap.dedent(
        f"""
        import sys, time
        from civicgrid.ops.supervisor import Supervisor
        child = [sys.executable, "-c", {child!r}]
        Supervisor({{"a": child, "b": child}}).start()
        time.sleep(120)
        """
    )
    supervisor = subprocess.Popen([sys.executable, "-c", parent], start_new_session=True)  # noqa: S603
    try:
        assert wait_until(lambda: pids.exists() and len(pids.read_text().split()) == 2, 60)
        children = [int(pid) for pid in pids.read_text().split()]
        supervisor.kill()
        supervisor.wait(10)
        assert wait_until(lambda: not any(alive(pid) for pid in children), 30)
    finally:
        kill_group(supervisor.pid)
