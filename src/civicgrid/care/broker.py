"""Mosquitto's password and ACL files, written from the device registry.

Every active device with a credential signs in with its number as user name
and its secret as password, and may publish only to its own topic
(``{prefix}/{number}/up``, the ACL's ``%u`` pattern). The platform's own
clients (ingest, the simulator, the benchmarks) sign in as the service
account named in ``MQTT_URL`` (``mqtt://user:password@host``), which may read
and write every device topic. Anyone else is refused by the broker
(``allow_anonymous false`` in deploy/mosquitto/civicgrid.conf).

Files are replaced atomically and only when their content changed; the
broker rereads them on SIGHUP (``MOSQUITTO_PID_PATH``)."""

import hashlib
import logging
import os
import re
import signal
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from civicgrid.care import credentials
from civicgrid.care.models import Device
from civicgrid.care.protocols.mqtt import Broker, broker

logger = logging.getLogger(__name__)

# What a device number may be, so that it is one topic level and one user
# name (no MQTT wildcard, no level separator, no ':' of the password file).
IDENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


@dataclass(frozen=True)
class Written:
    devices: int
    changed: bool


def service_account(url: str | None = None) -> Broker | None:
    """The platform's own broker account, from ``MQTT_URL``; None without one."""
    url = settings.MQTT_URL if url is None else url
    if not url:
        return None
    target = broker(url)
    return target if target.username and target.password else None


def _service_hash(account: Broker) -> str:
    # A salt derived from the account: the same settings give the same file,
    # so an unchanged registry rewrites nothing and wakes no broker.
    seed = f"civicgrid-broker:{account.username}:{account.password}".encode()
    salt = hashlib.sha256(seed).digest()[: credentials.BROKER_SALT_BYTES]
    return credentials.broker_hash(account.password, salt=salt)


def password_text(account: Broker | None) -> tuple[str, int]:
    """The password file and the number of devices in it."""
    lines = []
    if account is not None:
        lines.append(f"{account.username}:{_service_hash(account)}")
    rows = (
        Device.objects.filter(active=True, credential_digest__isnull=False)
        .exclude(credential_broker_hash="")
        .order_by("ident")
        .values_list("ident", "credential_broker_hash")
    )
    devices = 0
    for ident, hashed in rows.iterator(chunk_size=2000):
        if not IDENT.fullmatch(ident) or (account and ident == account.username):
            logger.warning("device %r left out of the broker's password file", ident)
            continue
        lines.append(f"{ident}:{hashed}")
        devices += 1
    return "".join(line + "\n" for line in lines), devices


def acl_text(account: Broker | None, prefix: str) -> str:
    lines = ["# Written by civicgrid (civicgrid broker-config); changes here are overwritten."]
    if account is not None:
        lines += [
            "",
            "# The platform's own clients: ingest reads, the simulator writes.",
            f"user {account.username}",
            f"topic readwrite {prefix}/#",
        ]
    lines += ["", "# Each device publishes to its own topic only.", f"pattern write {prefix}/%u/up"]
    return "\n".join(lines) + "\n"


def _replace(path: Path, text: str, mode: int) -> bool:
    """Write ``text`` to ``path`` atomically; False when it already held it."""
    try:
        if path.read_text(encoding="utf-8") == text:
            return False
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return True


def write_files(
    *, password_path, acl_path, prefix: str | None = None, url: str | None = None
) -> Written:
    account = service_account(url)
    text, devices = password_text(account)
    changed = _replace(Path(password_path), text, 0o640)
    acl = acl_text(account, prefix or settings.MQTT_TOPIC_PREFIX)
    changed = _replace(Path(acl_path), acl, 0o644) or changed
    return Written(devices=devices, changed=changed)


def reload_broker(pid_path) -> bool:
    """SIGHUP to the broker whose pid file is given: it rereads both files."""
    try:
        pid = int(Path(pid_path).read_text().strip())
        os.kill(pid, signal.SIGHUP)
    except (OSError, ValueError) as error:
        logger.error("could not signal the broker (%s): %s", pid_path, error)
        return False
    return True


def configured() -> bool:
    return bool(settings.MOSQUITTO_PASSWORD_PATH and settings.MOSQUITTO_ACL_PATH)


def refresh() -> Written | None:
    """Rewrite the configured files if the registry changed them, and tell
    the broker. None when no files are configured."""
    if not configured():
        return None
    written = write_files(
        password_path=settings.MOSQUITTO_PASSWORD_PATH, acl_path=settings.MOSQUITTO_ACL_PATH
    )
    if written.changed and settings.MOSQUITTO_PID_PATH:
        reload_broker(settings.MOSQUITTO_PID_PATH)
    return written
