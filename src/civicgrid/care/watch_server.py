"""``civicgrid ingest-watch``: the kids' watches' TCP listener (asyncio).

Each connection is read by its own coroutine: bytes are cut into frames
(``protocols.watch.Framer``; partial frames wait, garbage is skipped), each
frame goes through the one pipeline (``pipeline.handle_message``, the same
validation, dead letters and exactly-once key as MQTT and OsmAnd), and only
after the pipeline has committed does the watch get the answer it expects
(``[SG*id*0002*AL]`` for an alarm, which it repeats until answered, so an
alarm is never lost to a crash or an outage: it comes again and the key
makes the second one a duplicate).

Who may speak for a device: a watch is registered with protocol "watch"
and its own number as the device number. The protocol carries no secret, so
that number is the credential; a connection is bound to the first number
it speaks for, and frames for a device that is not an active watch are
refused as dead letters (a call button's number does not open an alarm over
this port). Database writes run on one worker thread (Django's ORM is
synchronous), connection by connection in arrival order; while the
database is away a frame is tried again with backoff and left unanswered
if it cannot be written, and the watch resends.
"""

import asyncio
import contextlib
import logging
import signal
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from civicgrid.care import pipeline
from civicgrid.care.models import Device
from civicgrid.care.protocols import watch
from civicgrid.care.protocols.mqtt import keep_connection

logger = logging.getLogger(__name__)

SOURCE = "watch"
READ_BYTES = 4096
# A watch says LK every few minutes; a connection silent for longer is dead.
IDLE_SECONDS = 15 * 60
RETRIES, FIRST_DELAY = 4, 0.5


def is_watch(ident: str) -> bool:
    return Device.objects.filter(ident=ident, protocol=Device.Protocol.WATCH, active=True).exists()


def write(frame: watch.Frame, *, origin: str) -> pipeline.Outcome | None:
    """In the worker thread: the frame through the pipeline (None when it
    carries nothing to keep). Raises only when the database is away."""
    keep_connection()
    received_at = timezone.now()
    try:
        payload = watch.to_payload(frame, received_at=received_at)
    except watch.BadFrame as error:
        raw = frame.content[: pipeline.PAYLOAD_KEPT]
        pipeline.refuse(
            source=SOURCE, ident=frame.ident, payload=raw, reason="bad_frame",
            received_at=received_at, origin=origin,
        )  # fmt: skip
        logger.info("watch %s: bad frame (%s)", frame.ident, error)
        return pipeline.Outcome(status="dead", reason="bad_frame")
    if payload is None:
        return None
    if not is_watch(frame.ident):
        pipeline.refuse(
            source=SOURCE, ident=frame.ident, payload=payload, reason="unknown_device",
            received_at=received_at, origin=origin,
        )  # fmt: skip
        return pipeline.Outcome(status="dead", reason="unknown_device")
    return pipeline.handle_message(
        frame.ident, payload, received_at=received_at, source=SOURCE, origin=origin
    )


@dataclass
class WatchServer:
    host: str
    port: int
    say: object = print
    executor: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="watch-db")
    )
    connections: int = 0
    frames: int = 0
    server: asyncio.base_events.Server | None = None
    stopping: asyncio.Event | None = None
    tasks: set = field(default_factory=set)

    async def serve(self, ready=None) -> None:
        self.stopping = asyncio.Event()
        self.server = await asyncio.start_server(self.handle, self.host, self.port)
        self.port = self.server.sockets[0].getsockname()[1]
        self.say(f"ingest-watch: listening on {self.host}:{self.port}")
        if ready is not None:
            ready(self)
        async with self.server:
            await self.stopping.wait()
        # Open connections end with the listener (a watch reconnects).
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        self.executor.submit(close_old_connections).result()
        self.executor.shutdown(wait=True)

    def stop(self) -> None:
        if self.stopping is not None:
            self.stopping.set()

    async def _write(self, frame: watch.Frame, origin: str):
        loop = asyncio.get_running_loop()
        delay = FIRST_DELAY
        for attempt in range(RETRIES):
            try:
                return await loop.run_in_executor(
                    self.executor, lambda: write(frame, origin=origin)
                )
            except Exception as error:  # the database is away: the watch will resend
                logger.warning(
                    "watch %s: write failed (%s), try %d", frame.ident, type(error).__name__,
                    attempt + 1,
                )  # fmt: skip
                if attempt + 1 == RETRIES:
                    raise
                await asyncio.sleep(delay)
                delay *= 2
        return None

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        task = asyncio.current_task()
        self.tasks.add(task)
        peer = writer.get_extra_info("peername")
        origin = f"watch:{peer[0]}" if peer else "watch"
        framer = watch.Framer(max_content=settings.INGEST_MAX_MESSAGE_BYTES)
        bound: str | None = None
        try:
            while True:
                data = await asyncio.wait_for(reader.read(READ_BYTES), IDLE_SECONDS)
                if not data:
                    return  # the watch hung up (a partial frame is dropped with it)
                for frame in framer.feed(data):
                    if bound is None:
                        bound = frame.ident
                    elif frame.ident != bound:
                        logger.warning("watch %s spoke for %s: hung up", bound, frame.ident)
                        return
                    try:
                        outcome = await self._write(frame, origin)
                    except Exception:
                        return  # unanswered: the watch reconnects and resends
                    self.frames += 1
                    answer = watch.answer(frame)
                    if answer is not None and (outcome is None or outcome.ok):
                        writer.write(answer)
                        await writer.drain()
        except (TimeoutError, ConnectionError):
            return
        finally:
            self.tasks.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()


def run(host: str, port: int, say=print) -> WatchServer:
    """Serve until SIGTERM or SIGINT."""
    server = WatchServer(host=host, port=port, say=say)

    async def main():
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, server.stop)
        await server.serve()

    asyncio.run(main())
    return server
