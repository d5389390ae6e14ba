"""Encryption of personal data at rest, and blind indexes for exact lookups.

Each configured data key yields two sub-keys through HKDF: one for Fernet
(AES-128-CBC + HMAC, authenticated) and one for the HMAC blind index that lets
us find a resident by ID number without storing it in clear.
"""

import base64
import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


def _derive(secret: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
        secret.encode()
    )


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet(
        [Fernet(base64.urlsafe_b64encode(_derive(k, b"civicgrid-field-encryption"))) for k in keys]
    )


@cache
def _index_key(primary: str) -> bytes:
    return _derive(primary, b"civicgrid-blind-index")


def encrypt(plaintext: str) -> str:
    return _fernet(tuple(settings.DATA_KEYS)).encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet(tuple(settings.DATA_KEYS)).decrypt(token.encode()).decode()
    except InvalidToken:
        raise ValueError("cannot decrypt a field: wrong CIVICGRID_DATA_KEY?") from None


def blind_index(value: str) -> str:
    """A keyed hash of a normalised value: equal inputs give equal indexes."""
    normalised = value.strip().upper()
    key = _index_key(settings.DATA_KEYS[0])
    return hmac.new(key, normalised.encode(), hashlib.sha256).hexdigest()


def mask(value: str, *, keep_start: int = 4, keep_end: int = 4) -> str:
    """5401021990... -> 5401**********1234; short values keep less."""
    if not value:
        return ""
    if len(value) <= keep_start + keep_end:
        keep_start, keep_end = min(1, len(value) - 1), min(1, len(value) - 1)
    hidden = len(value) - keep_start - keep_end
    return value[:keep_start] + "*" * hidden + (value[-keep_end:] if keep_end else "")
