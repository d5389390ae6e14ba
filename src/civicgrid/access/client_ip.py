"""The client's address, for the login lock-out (django-axes calls
``client_ip`` through AXES_CLIENT_IP_CALLABLE).

X-Forwarded-For is anyone's to write: it is read only when the request comes
from one of TRUSTED_PROXIES, and then from the right, skipping the trusted
proxies, so that what a client put at the left is never taken."""

import ipaddress
from functools import cache

from django.conf import settings


@cache
def _networks(proxies: tuple[str, ...]):
    return tuple(ipaddress.ip_network(item, strict=False) for item in proxies)


def _is_trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _networks(tuple(settings.TRUSTED_PROXIES)))


def client_ip(request) -> str:
    address = request.META.get("REMOTE_ADDR", "")
    if not _is_trusted(address):
        return address
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for hop in reversed([hop for hop in hops if hop]):
        if not _is_trusted(hop):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return address  # a proxy would not write this: keep the proxy's address
    return address
