"""Playwright's sync API driving Debian's chromium against pytest-django's
live_server. Missing chromium fails the run in CI and skips it elsewhere."""

import os
from pathlib import Path

import pytest

from tests.conftest import restore_seeded_configuration

# Playwright's sync API runs an event loop in this thread; Django's ORM would
# otherwise refuse to run in it (SynchronousOnlyOperation).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def _unavailable(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"browser tests need chromium in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def phone(browser, live_server):
    """A new browser context the size of a phone (390×844, or ``width`` wide:
    360 is the narrowest phone the pages are made for), at the live server."""
    contexts = []

    def make(width: int = 390, **options):
        context = browser.new_context(
            viewport={"width": width, "height": 844},
            base_url=live_server.url,
            locale="zh-CN",
            **options,
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


def log_in(context, username: str):
    page = context.new_page()
    page.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pw")
    page.click("button[type=submit]")
    # "**/" would match /login/ itself: wait until the login has gone through.
    page.wait_for_url(lambda url: "/login/" not in url)
    return page


@pytest.fixture(autouse=True)
def seeded_configuration(transactional_db):
    """Each browser test starts with the rows a fresh database has."""
    restore_seeded_configuration()


def scroll_width(page) -> int:
    """How wide the page is: more than the screen means it scrolls sideways."""
    return page.evaluate("document.documentElement.scrollWidth")
