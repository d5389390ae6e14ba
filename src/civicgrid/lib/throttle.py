"""A per-source allowance for writes made on behalf of callers who have not
proved who they are (dead letters of unusable device messages): at most
``limit`` a window from one source, in this process. Model-free; bounded
in memory whatever the number of sources."""

import threading
import time


class Allowance:
    def __init__(self, *, window_seconds: float = 60.0, max_sources: int = 10_000, clock=None):
        self.window = window_seconds
        self.max_sources = max_sources
        self.clock = clock or time.monotonic
        self._counts: dict[str, list] = {}  # source: [window start, count]
        self._lock = threading.Lock()

    def allow(self, source: str, limit: int) -> bool:
        """Count one write for ``source``; False once it has had ``limit``
        in the current window (the caller then skips the write)."""
        now = self.clock()
        with self._lock:
            entry = self._counts.get(source)
            if entry is None or now - entry[0] >= self.window:
                if entry is None and len(self._counts) >= self.max_sources:
                    self._forget(now)
                entry = self._counts[source] = [now, 0]
            entry[1] += 1
            return entry[1] <= limit

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()

    def _forget(self, now: float) -> None:
        """Drop the sources whose window has ended; if every one is still
        current (a flood of distinct sources), start afresh."""
        ended = [key for key, (start, _count) in self._counts.items() if now - start >= self.window]
        for key in ended:
            del self._counts[key]
        if len(self._counts) >= self.max_sources:
            self._counts.clear()
