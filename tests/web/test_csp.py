"""Every page carries a strict Content-Security-Policy, and no template holds
an inline script or an inline event handler for it to block (the browser
walk in tests/browser/test_no_script_from_user_data.py proves it in chromium)."""

import re

from civicgrid.lib.maps import tile_sources
from tests.test_no_external_assets import template_lines_matching

# A <script> that is not a JSON data block and has no src.
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.I)
JAVASCRIPT_URL = re.compile(r"""(?:href|src|action)\s*=\s*["']?\s*javascript:""", re.I)


def test_templates_hold_no_inline_script_or_handler():
    assert template_lines_matching(INLINE_SCRIPT, INLINE_HANDLER, JAVASCRIPT_URL) == []


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in header.split(";") if part.strip())
    }


def test_pages_carry_a_strict_policy(personas, client_for, client):
    for response in (
        client.get("/login/"),
        client_for(personas["staff_a"]).get("/"),
        client_for(personas["grid_a"]).get("/risks/map/"),
        client.get("/api/v1/openapi.json"),
    ):
        policy = _policy(response)
        assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
        assert policy["default-src"] == ["'self'"] and policy["object-src"] == ["'none'"]
        assert policy["base-uri"] == ["'self'"] and policy["frame-ancestors"] == ["'none'"]
        assert policy["form-action"] == ["'self'"]


def test_map_tiles_may_come_from_the_configured_host():
    assert tile_sources("https://{s}.tile.example.org/{z}/{x}/{y}.png") == [
        "https://*.tile.example.org"
    ]
    assert tile_sources("http://tiles.local:8080/{z}/{x}/{y}.png") == ["http://tiles.local:8080"]
    assert tile_sources("") == [] and tile_sources("/tiles/{z}/{x}/{y}.png") == []
