"""Idempotency keys: everything that arrives from outside with a key (an API
post with a client id or an ``Idempotency-Key`` header, an Open311 request,
a redemption at a counter) changes the platform once; a replay gets the
first result back. In a service::

    key = scoped_key("redeem", f"u{user.pk}", key=client_key)   # None without a key
    redemption, created = once(Redemption, key=key, create=lambda: _redeem(...))

and in an endpoint ``request_key(request, payload.client_key)``.
"""

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

HEADER = "Idempotency-Key"


def request_key(request, body_key: str = "", *, field: str = "client_key") -> str:
    """The request's key, from the body or the header; both given must agree."""
    header = request.headers.get(HEADER, "").strip()
    body = (body_key or "").strip()
    if header and body and header != body:
        raise ValidationError({field: _("client_key 与 Idempotency-Key 请求头不一致。")})
    return body or header


def scoped_key(*parts: str, key: str) -> str | None:
    """A key made unique per sender (and kind): ``"web:u12:abc"``; None when
    no key was given (then every submission is new)."""
    key = (key or "").strip()
    return ":".join([*parts, key[:100]]) if key else None


def replayed(model, key: str | None, *, field: str = "key"):
    """The row an earlier submission with ``key`` created, if any."""
    return model.objects.filter(**{field: key}).first() if key else None


def once(model, *, key: str | None, create: Callable[[], object], field: str = "key"):
    """``create()`` in a transaction unless ``key`` was seen; returns (row,
    created). Two copies racing in: the unique index on ``field`` lets one
    win, and the other gets the winner's row."""
    if existing := replayed(model, key, field=field):
        return existing, False
    try:
        with transaction.atomic():
            return create(), True
    except IntegrityError:
        if existing := replayed(model, key, field=field):
            return existing, False
        raise
