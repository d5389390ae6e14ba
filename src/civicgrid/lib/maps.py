"""Helpers for the maps' tile layer."""

from urllib.parse import urlsplit


def tile_sources(template: str) -> list[str]:
    """The origin a tile URL template loads from, for the CSP's img-src:
    https://{s}.tile.example/{z}/{x}/{y}.png -> https://*.tile.example. None
    for an empty or relative template (tiles served by the platform itself)."""
    parts = urlsplit(template.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return []
    host = parts.netloc.rsplit("@", 1)[-1]
    if "{" in host:
        # A subdomain placeholder ({s}, {switch:a,b,c}) stands for any subdomain.
        host = "*." + host.split("}", 1)[-1].lstrip(".")
    return [f"{parts.scheme}://{host}"]
