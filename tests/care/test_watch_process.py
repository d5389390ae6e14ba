"""`civicgrid ingest-watch` as its own process, as an operator runs it: a
watch's SOS over a real socket becomes an alarm in the database before
the watch is answered, and SIGTERM stops the listener cleanly."""

import shutil
import signal
import socket
import sqlite3
import subprocess
import sys

from django.utils import timezone

from civicgrid.care.protocols import watch
from tests.processes import free_port, kill_group, sqlite_env, wait_until

WATCH = "8800000042"
MAKE_WATCH = (
    "from civicgrid.care.models import Device; "
    f"Device.objects.create(ident='{WATCH}', kind='child_tracker', protocol='watch')"
)


def test_the_listener_process_answers_after_the_commit_and_stops_on_sigterm(
    migrated_sqlite, tmp_path
):
    shutil.copy(migrated_sqlite, tmp_path / "db.sqlite3")
    env = sqlite_env(tmp_path)
    subprocess.run(  # noqa: S603 (our own interpreter and command)
        [sys.executable, "-m", "civicgrid", "shell", "-c", MAKE_WATCH],
        env=env, check=True, capture_output=True,
    )  # fmt: skip
    port = free_port()
    log = tmp_path / "watch.log"
    with log.open("w") as out:
        listener = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "civicgrid", "ingest-watch", "--port", str(port)],
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        assert wait_until(lambda: "listening" in log.read_text(), 60), log.read_text()
        frame = watch.position_frame(
            WATCH, at=timezone.now(), lat=29.65, lon=91.15, kind="AL", status=1 << 16
        )
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            sock.sendall(frame)
            answer = b""
            while not answer.endswith(b"]"):
                chunk = sock.recv(64)
                assert chunk, log.read_text()
                answer += chunk
        assert answer == f"[SG*{WATCH}*0002*AL]".encode()
        with sqlite3.connect(tmp_path / "db.sqlite3") as db:
            assert db.execute("SELECT kind, stage FROM care_alarm").fetchall() == [
                ("sos", "raised")
            ]
        listener.send_signal(signal.SIGTERM)
        assert listener.wait(30) == 0, log.read_text()
        assert "stopped after 1 frames on 1 connections" in log.read_text()
    finally:
        kill_group(listener.pid)
        listener.wait(10)
