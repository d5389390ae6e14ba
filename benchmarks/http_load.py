"""Serving an ASGI app under uvicorn for a benchmark, and driving it.

``Server`` starts ``python -m uvicorn APP`` in its own process on a free
port of 127.0.0.1 and stops it afterwards. ``drive`` sends requests from
``clients`` threads, each on its own keep-alive connection (``http.client``),
for a bounded time and count, and returns every request's latency. The same
``drive`` serves the platform and its baseline, so the client costs both
sides alike; it stays far below the servers' cost per request (a few tens
of microseconds against milliseconds).
"""

import http.client
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

# (method, path with query, body, headers)
Request = tuple[str, str, bytes | None, dict]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """uvicorn serving ``app`` ("module:attribute") with ``workers`` processes."""

    def __init__(self, app: str, *, env: dict, workers: int = 1, cwd: str | None = None):
        self.port = _free_port()
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            app,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--no-access-log",
            "--lifespan",
            "off",
        ]
        # The server's log goes to a file: a pipe nobody reads would fill and block it.
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            command, env={**os.environ, **env}, cwd=cwd, stdout=self.log, stderr=self.log
        )

    def log_tail(self, size: int = 3000) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-size:]

    def wait_ready(self, path: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_tail()}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", path)
                conn.getresponse().read()
                conn.close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"server on port {self.port} not ready after {timeout:.0f}s")

    def request(self, request: Request) -> tuple[int, bytes]:
        method, path, body, headers = request
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


@dataclass
class Load:
    """What one burst of requests measured."""

    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)

    def add(self, other: "Load") -> None:
        self.latencies += other.latencies
        self.seconds += other.seconds
        self.errors += other.errors

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0


def drive(
    port: int,
    make: Callable[[int], Request],
    *,
    clients: int,
    seconds: float,
    max_requests: int,
    expect: int = 200,
) -> Load:
    """``clients`` threads send ``make(n)`` (n counts requests across all
    threads) until ``seconds`` have passed or ``max_requests`` were sent."""
    lock = threading.Lock()
    counter = {"n": 0}
    load = Load()
    start_gate = threading.Barrier(clients + 1)
    deadline = [0.0]

    def take() -> int | None:
        with lock:
            if counter["n"] >= max_requests or time.perf_counter() > deadline[0]:
                return None
            counter["n"] += 1
            return counter["n"]

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        mine, errors = [], []
        start_gate.wait()
        while (n := take()) is not None:
            method, path, body, headers = make(n)
            started = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                payload = response.read()
            except (OSError, http.client.HTTPException) as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                continue
            elapsed = time.perf_counter() - started
            if response.status != expect:
                errors.append(f"{response.status}: {payload[:200]!r}")
            else:
                mine.append(elapsed)
        conn.close()
        with lock:
            load.latencies.extend(mine)
            load.errors.extend(errors)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    deadline[0] = began + seconds
    start_gate.wait()
    for thread in threads:
        thread.join()
    load.seconds = time.perf_counter() - began
    return load
