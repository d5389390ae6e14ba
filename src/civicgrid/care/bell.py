"""Wake the duty consoles the moment an alarm's timeline grows.

The database stays the one channel between processes: whichever ingest or web
process commits a timeline row, every console must see it. On PostgreSQL the
writer also sends a NOTIFY in the same transaction (delivered at commit), and
each web process keeps one listening connection that wakes every open stream
in that process, so a console fetches at once instead of at its next poll.
Streams still poll (``FALLBACK_SECONDS``) in case a notification is lost with a
dropped connection. On SQLite there is no NOTIFY: streams poll every
``POLL_SECONDS``.
"""

import asyncio
import logging
import threading
import time

import psycopg
from django.db import connection

from civicgrid.lib.database import psycopg_params

logger = logging.getLogger(__name__)

CHANNEL = "civicgrid_alarm"
POLL_SECONDS = 0.3
FALLBACK_SECONDS = 2.0
# How often the listener looks whether anyone still listens.
IDLE_CHECK_SECONDS = 0.5


def ring() -> None:
    """Call in the transaction that writes a timeline row: listeners hear of
    it when (and only if) that transaction commits."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, '')", [CHANNEL])


def poll_seconds() -> float:
    """How long a stream waits before looking again when nothing woke it."""
    return FALLBACK_SECONDS if connection.vendor == "postgresql" else POLL_SECONDS


class Wake:
    """One stream's alarm clock, registered before the stream's first query so
    that a commit between a query and the wait still wakes it."""

    def __init__(self):
        self._loop: asyncio.AbstractEventLoop | None = None
        self._async: asyncio.Event | None = None
        self._sync = threading.Event()

    def bind(self) -> None:
        """For an async stream: wake through the running event loop."""
        self._loop = asyncio.get_running_loop()
        self._async = asyncio.Event()

    def clear(self) -> None:
        (self._async or self._sync).clear()

    def set(self) -> None:
        if self._async is not None:
            self._loop.call_soon_threadsafe(self._async.set)
        else:
            self._sync.set()

    async def wait(self, timeout: float) -> bool:
        """True when rung, False when the timeout passed."""
        try:
            await asyncio.wait_for(self._async.wait(), timeout)
        except TimeoutError:
            return False
        return True

    def wait_sync(self, timeout: float) -> bool:
        return self._sync.wait(timeout)


class Listener:
    """The process's one LISTEN connection: opened by the first subscriber,
    closed soon after the last one leaves."""

    def __init__(self):
        self._lock = threading.Lock()
        self._wakes: set[Wake] = set()
        self._thread: threading.Thread | None = None
        self.ready = threading.Event()

    def subscribe(self) -> Wake:
        wake = Wake()
        with self._lock:
            self._wakes.add(wake)
            if connection.vendor == "postgresql" and self._thread is None:
                self._thread = threading.Thread(
                    target=self._listen, args=(psycopg_params(),), name="alarm-bell", daemon=True
                )
                self._thread.start()
        return wake

    def unsubscribe(self, wake: Wake) -> None:
        with self._lock:
            self._wakes.discard(wake)

    def stop(self, timeout: float = 5.0) -> None:
        """Wait until the listening connection has closed (no subscribers)."""
        with self._lock:
            self._wakes.clear()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _ring_all(self) -> None:
        with self._lock:
            wakes = list(self._wakes)
        for wake in wakes:
            wake.set()

    def _still_wanted(self) -> bool:
        """Decided under the lock, so a new subscriber either is seen here or
        finds no thread and starts one."""
        with self._lock:
            if self._wakes:
                return True
            self._thread = None
            self.ready.clear()
            return False

    def _listen(self, conninfo: dict) -> None:
        while True:
            try:
                with psycopg.connect(**conninfo, autocommit=True) as listening:
                    listening.execute(f"LISTEN {CHANNEL}")
                    self.ready.set()
                    self._ring_all()  # anything committed before we listened
                    while self._still_wanted():
                        for _notice in listening.notifies(timeout=IDLE_CHECK_SECONDS):
                            self._ring_all()
                    return
            except psycopg.Error as error:
                self.ready.clear()
                logger.warning("alarm bell: listening connection lost (%s); retrying", error)
                self._ring_all()
                if not self._still_wanted():
                    return
                time.sleep(1)


listener = Listener()
