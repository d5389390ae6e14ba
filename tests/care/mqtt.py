"""Helpers for tests against the real Mosquitto on 127.0.0.1:1883. A missing
broker fails the run in CI and skips elsewhere."""

import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

HOST, PORT = "127.0.0.1", 1883
URL = f"mqtt://{HOST}:{PORT}"


def require_broker() -> None:
    try:
        socket.create_connection((HOST, PORT), timeout=1).close()
    except OSError as error:
        if os.environ.get("CI"):
            pytest.fail(f"MQTT tests need Mosquitto on {HOST}:{PORT} in CI: {error}")
        pytest.skip(f"no MQTT broker on {HOST}:{PORT}")


def unique(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:10]}"


class Publisher:
    def __init__(self, port: int = PORT, auth: tuple = ()):
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=unique("pub"))
        if auth:
            self.client.username_pw_set(*auth)
        self.client.connect(HOST, port)
        self.client.loop_start()

    def send(self, topic: str, payload: dict | bytes):
        body = payload if isinstance(payload, bytes) else json.dumps(payload)
        return self.client.publish(topic, body, qos=1)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def start_ingest(prefix: str, client_id: str = ""):
    """An ingest subscribed to ``prefix`` whose network thread runs here; the
    test drains its batches on its own database connection. The same
    ``client_id`` again resumes that persistent session."""
    from civicgrid.care.protocols.mqtt import Ingest

    require_broker()
    ready = []
    client_id = client_id or unique("ingest")
    running = Ingest(url=URL, client_id=client_id, prefix=prefix, say=ready.append)
    running.client.connect(HOST, PORT)
    running.client.loop_start()
    deadline = time.monotonic() + 5
    while not ready and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ready, "ingest did not subscribe"
    return running


def stop_ingest(running) -> None:
    running.stop()
    running.client.disconnect()
    running.client.loop_stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


SHIPPED_CONF = Path(__file__).resolve().parents[2] / "deploy" / "mosquitto" / "civicgrid.conf"
# The shipped file's lines that name this machine's places, moved into the test's folder.
_MOVED = ("listener", "password_file", "acl_file", "pid_file", "persistence_location")


class OwnBroker:
    """A Mosquitto of the test's own on a free port, started from the shipped
    deploy/mosquitto/civicgrid.conf (only its listener and file locations
    moved into ``folder``) with the password and ACL files that civicgrid
    writes. Use as a context manager: stopped (its process group killed)
    also when the test fails. A missing mosquitto fails in CI."""

    def __init__(self, folder: Path, *, service_url_user=("civicgrid", "service-pw")):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.user, self.password = service_url_user
        self.passwd, self.acl = self.folder / "passwd", self.folder / "acl"
        self.proc: subprocess.Popen | None = None
        self.binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not Path(self.binary).exists():
            if os.environ.get("CI"):
                pytest.fail("the broker tests need mosquitto (apt-get install mosquitto)")
            pytest.skip("no mosquitto")

    @property
    def service_url(self) -> str:
        return f"mqtt://{self.user}:{self.password}@127.0.0.1:{self.port}"

    def write_files(self) -> None:
        """Mosquitto's files as civicgrid writes them (from the test's database)."""
        from civicgrid.care import broker

        broker.write_files(password_path=self.passwd, acl_path=self.acl, url=self.service_url)

    def conf(self) -> Path:
        values = {
            "listener": f"{self.port} 127.0.0.1",
            "password_file": str(self.passwd),
            "acl_file": str(self.acl),
            "pid_file": str(self.folder / "mosquitto.pid"),
            "persistence_location": f"{self.folder}/",
        }
        lines = []
        for line in SHIPPED_CONF.read_text().splitlines():
            key = line.split(" ", 1)[0]
            lines.append(f"{key} {values[key]}" if key in _MOVED else line)
        # As root, Mosquitto would switch to its own user, who cannot read the
        # test's folder.
        lines += ["user root" if os.geteuid() == 0 else "", "log_dest stderr"]
        path = self.folder / "mosquitto.conf"
        path.write_text("\n".join(lines) + "\n")
        return path

    def start(self) -> "OwnBroker":
        if not self.passwd.exists():
            self.write_files()
        log = (self.folder / "mosquitto.log").open("a")
        self.proc = subprocess.Popen(  # noqa: S603
            [self.binary, "-c", str(self.conf())],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.02)
        self.stop()
        raise AssertionError(f"mosquitto did not start: {self.log()}")

    def reload(self) -> None:
        self.proc.send_signal(signal.SIGHUP)

    def log(self) -> str:
        path = self.folder / "mosquitto.log"
        return path.read_text()[-3000:] if path.exists() else ""

    def stop(self, *, kill: bool = False) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL if kill else signal.SIGTERM)
            self.proc.wait(10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)

    def __enter__(self) -> "OwnBroker":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop(kill=True)


def connect_as(port: int, username: str | None, password: str | None, **callbacks):
    """A paho client signed in to the broker on ``port``; the CONNACK's reason."""
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=unique("c"))
    if username is not None:
        client.username_pw_set(username, password)
    answered = threading.Event()
    result = {}

    def on_connect(client, userdata, flags, reason_code, properties):
        result["reason"] = reason_code
        answered.set()

    client.on_connect = on_connect
    for name, callback in callbacks.items():
        setattr(client, name, callback)
    client.connect(HOST, port)
    # The CONNACK on this thread: a refused client then has no network
    # thread waiting to reconnect.
    deadline = time.monotonic() + 5
    while not answered.is_set() and time.monotonic() < deadline:
        client.loop(timeout=0.05)
    assert answered.is_set(), "no CONNACK"
    if not result["reason"].is_failure:
        client.loop_start()
    return client, result["reason"]
