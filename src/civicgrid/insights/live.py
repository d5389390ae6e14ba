"""The command screen's server push: a stream of server-sent events that
says "changed" whenever today's live figures (``screen.fingerprint``) move,
so the screen redraws its tiles and panels at once; the browser's
EventSource reconnects after each stream ends.

The figures are the channel (whatever process committed the SOS, the count
moves), looked at every ``POLL_SECONDS``: a new alarm shows within about
that, plus the redraw. Served on ASGI like the duty console's stream
(ADR 0006, ``civicgrid.asgi.STREAMING_PATHS``), where a waiting stream holds
no thread; a plain generator under WSGI and in tests.
"""

import asyncio
import json
import time

from asgiref.sync import sync_to_async
from django.db import close_old_connections

from civicgrid.insights import screen

POLL_SECONDS = 0.5
STREAM_SECONDS = 55


def _event(values: dict) -> str:
    return f"event: changed\ndata: {json.dumps(values, sort_keys=True)}\n\n"


def sync_stream(*, user, place, clock=time.monotonic, pause=time.sleep):
    deadline = clock() + STREAM_SECONDS
    last = None
    try:
        yield "retry: 1000\n\n"
        while clock() < deadline:
            values = screen.fingerprint(user=user, place=place)
            if values != last:
                last = values
                yield _event(values)
            else:
                yield ": keep-alive\n\n"
            pause(POLL_SECONDS)
    finally:
        close_old_connections()


async def async_stream(*, user, place):
    look = sync_to_async(screen.fingerprint)
    deadline = time.monotonic() + STREAM_SECONDS
    last = None
    yield "retry: 1000\n\n"
    while time.monotonic() < deadline:
        values = await look(user=user, place=place)
        if values != last:
            last = values
            yield _event(values)
        else:
            yield ": keep-alive\n\n"
        await asyncio.sleep(POLL_SECONDS)
