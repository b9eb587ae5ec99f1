"""The real browser for server-rendered pages: Debian's chromium driven by Playwright.

Test modules import the fixtures by name (`from tests.browser import browser, django`).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

SHOTS = Path(__file__).resolve().parents[1] / "var" / "screenshots"


@pytest.fixture
def django():
    """Run Django code (ORM, services, their after-commit broadcasts) in a thread of its own:
    Playwright's sync API keeps an event loop running in the test's thread."""
    from django.db import connection

    with ThreadPoolExecutor(max_workers=1) as pool:
        yield lambda fn, *args: pool.submit(fn, *args).result()
        pool.submit(lambda: connection.close()).result()


@pytest.fixture
def browser(django):
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Debian's chromium is not installed")
    with sync_api.sync_playwright() as playwright:
        launched = launch(playwright)
        yield launched
        launched.close()


def launch(playwright, *more_args: str):
    """Debian's chromium, headless, reaching the test tenants' *.test hosts on loopback."""
    return playwright.chromium.launch(
        executable_path="/usr/bin/chromium",
        args=[
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--host-resolver-rules=MAP *.test 127.0.0.1",
            *more_args,
        ],
    )


def screenshot(page, name: str) -> None:
    """Save a full-page screenshot to var/screenshots/<name>.png."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
