"""How uvicorn's application (civicgrid.asgi) serves: pages and API calls on
Django's WSGI handler in a thread pool, the duty console's event stream on the
ASGI handler; a request id on both."""

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from django.test import Client

from civicgrid import asgi


async def _get(path: str, headers: list[tuple[bytes, bytes]], *, first_chunk_only=False):
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    sent = []
    done = asyncio.Event()
    disconnect = asyncio.Event()

    requested = []

    async def receive():
        if not requested:
            requested.append(True)
            return {"type": "http.request", "body": b"", "more_body": False}
        await disconnect.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)
        body = message.get("body", b"")
        if message["type"] == "http.response.body" and (
            not message.get("more_body") or (first_chunk_only and body)
        ):
            done.set()

    serving = asyncio.ensure_future(asgi.application(scope, receive, send))
    await asyncio.wait_for(done.wait(), 20)
    # The browser goes away: both handlers finish the request (and close
    # their database connections) as they would in production.
    disconnect.set()
    await asyncio.wait_for(serving, 10)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], {k.lower(): v for k, v in start["headers"]}, body


def _run(coroutine):
    """On a thread of its own: the browser tests leave an event loop running
    on the main thread."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


@pytest.fixture
def handlers(monkeypatch):
    """Which handler answered each path."""
    seen = []

    def spy(name, app):
        async def recording(scope, receive, send):
            seen.append((name, scope["path"]))
            await app(scope, receive, send)

        return recording

    monkeypatch.setattr(asgi, "pooled", spy("threads", asgi.pooled))
    monkeypatch.setattr(asgi, "streaming", spy("async", asgi.streaming))
    # The pool's threads connect on their own: close after each request so the
    # test database can be dropped at the end.
    monkeypatch.setitem(connections["default"].settings_dict, "CONN_MAX_AGE", 0)
    return seen


@pytest.mark.django_db(transaction=True)
def test_pages_on_threads_and_the_stream_asynchronously(handlers, personas):
    status, headers, body = _run(_get("/login/", [(b"x-request-id", b"abc-123")]))
    assert status == 200 and "登录".encode() in body
    assert headers[b"x-request-id"] == b"abc-123"

    browser = Client()
    browser.force_login(personas["doctor_a"])
    cookie = f"sessionid={browser.cookies['sessionid'].value}".encode()
    status, headers, body = _run(
        _get("/care/stream/", [(b"cookie", cookie)], first_chunk_only=True)
    )
    assert status == 200 and body.startswith(b"retry:")
    assert len(headers[b"x-request-id"]) == 32  # made up here: none was sent

    assert handlers == [("threads", "/login/"), ("async", "/care/stream/")]


@pytest.mark.django_db
def test_an_unsafe_request_id_is_replaced(client):
    response = client.get("/login/", headers={"X-Request-ID": "<script>"})
    assert response["X-Request-ID"] != "<script>" and len(response["X-Request-ID"]) == 32
