"""The login lock-out counts failures per client address, and X-Forwarded-For
names that address only when the request comes from a trusted proxy."""

from django.test import Client, RequestFactory

from civicgrid.access.client_ip import client_ip

TOKEN_URL = "/api/v1/auth/token"


def _ip(settings, remote, forwarded=None, proxies=()):
    settings.TRUSTED_PROXIES = list(proxies)
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return client_ip(RequestFactory().get("/", REMOTE_ADDR=remote, headers=headers))


def test_forwarded_for_is_read_only_from_trusted_proxies(settings):
    assert _ip(settings, "203.0.113.9", "198.51.100.1") == "203.0.113.9"
    trusted = ["10.0.0.0/24", "10.1.0.7"]
    assert _ip(settings, "203.0.113.9", "198.51.100.1", trusted) == "203.0.113.9"
    assert _ip(settings, "10.0.0.5", "198.51.100.1", trusted) == "198.51.100.1"
    # A client's own entry (at the left) is skipped; proxies are read from the right.
    chain = "1.2.3.4, 198.51.100.1, 10.1.0.7"
    assert _ip(settings, "10.0.0.5", chain, trusted) == "198.51.100.1"
    assert _ip(settings, "10.0.0.5", "not-an-address", trusted) == "10.0.0.5"
    assert _ip(settings, "10.0.0.5", None, trusted) == "10.0.0.5"


def _fail(client, forwarded, password="nope", remote="203.0.113.9"):  # noqa: S107
    return client.post(
        TOKEN_URL,
        {"username": "staff_a", "password": password},
        content_type="application/json",
        headers={"X-Forwarded-For": forwarded},
        REMOTE_ADDR=remote,
    )


def test_a_forged_forwarded_for_does_not_escape_the_lockout(personas, settings):
    """Without trusted proxies a new X-Forwarded-For on every try changes
    nothing: the failures count against the caller's own address."""
    settings.TRUSTED_PROXIES = []
    client = Client()
    for n in range(5):
        _fail(client, f"198.51.100.{n}")
    assert _fail(client, "198.51.100.99", password="pw").status_code == 429


def test_behind_a_trusted_proxy_each_client_is_counted_apart(personas, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.5"]
    client = Client()
    for _attempt in range(5):
        _fail(client, "198.51.100.1", remote="10.0.0.5")
    assert _fail(client, "198.51.100.1", password="pw", remote="10.0.0.5").status_code == 429
    # Another client behind the same proxy is not locked out by the first.
    assert _fail(client, "198.51.100.2", password="pw", remote="10.0.0.5").status_code == 200
