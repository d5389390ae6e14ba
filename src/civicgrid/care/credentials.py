"""Device credentials: one unguessable secret per device. It is the
identifier an OsmAnd phone app sends (``id=``) and the device's MQTT
password (its user name is the device number, and the broker's ACL lets it
publish only to its own topic). Like API tokens, only digests are stored:
a SHA-256 to find the device by its OsmAnd identifier, and the broker's own
salted PBKDF2 hash for Mosquitto's password file. The clear secret is shown
once, when staff issue it (``services.device_credential_issue``)."""

import base64
import hashlib
import re
import secrets

from civicgrid.access.models import key_digest
from civicgrid.care.models import Device

# 160 random bits in 32 characters of a-z and 2-7: typed into a phone
# without confusing 0/O or 1/l, and the same whatever the case.
SECRET_BYTES = 20
SECRET_LENGTH = 32
_SECRET = re.compile(r"[a-z2-7]{32}")
# Mosquitto's sha512-pbkdf2 (``$7$``), as mosquitto_passwd writes it.
BROKER_ITERATIONS = 101
BROKER_SALT_BYTES = 12


def new_secret() -> str:
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode().lower()


def normalise(text) -> str | None:
    """The secret a caller sent, or None when it cannot be one (wrong
    length or letters, NUL, not text): then no lookup is made at all."""
    if not isinstance(text, str):
        return None
    text = text.strip().lower()
    return text if _SECRET.fullmatch(text) else None


def digest(secret: str) -> str:
    """What finds a device by its secret. The secret has 160 random bits:
    a plain SHA-256 is as safe as the API tokens'."""
    return key_digest(secret)


def hint(secret: str) -> str:
    """The first characters, for staff to tell which secret a device holds."""
    return secret[:4]


def shown(text) -> str:
    """What a dead letter keeps of a refused identifier: its first
    characters, enough to tell a device number or an old secret."""
    return (text[:4] + "…") if isinstance(text, str) and text else ""


def broker_hash(secret: str, *, salt: bytes | None = None) -> str:
    """The secret as a line of Mosquitto's password file expects it."""
    salt = salt if salt is not None else secrets.token_bytes(BROKER_SALT_BYTES)
    hashed = hashlib.pbkdf2_hmac("sha512", secret.encode(), salt, BROKER_ITERATIONS, 64)
    encode = base64.b64encode
    return f"$7${BROKER_ITERATIONS}${encode(salt).decode()}${encode(hashed).decode()}"


def stored_forms(secret: str) -> dict:
    """The Device fields that keep a secret (never the secret itself)."""
    return {
        "credential_digest": digest(secret),
        "credential_broker_hash": broker_hash(secret),
        "credential_hint": hint(secret),
    }


def device_ident_for(text) -> str | None:
    """The number of the active device whose secret ``text`` is; None for
    an unknown, revoked or malformed one alike."""
    secret = normalise(text)
    if secret is None:
        return None
    devices = Device.objects.filter(credential_digest=digest(secret), active=True)
    return devices.values_list("ident", flat=True).first()
