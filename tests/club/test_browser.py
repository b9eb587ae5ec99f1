"""Two browser contexts (Debian's chromium, Playwright) sit at one table of a real uvicorn
server whose table driver deals by itself, and play a hand against each other from the
server-rendered page; then one reads the hand in their history and its PHH."""

from __future__ import annotations

import sys
import time

import pytest

from apps.club.models import Hand
from apps.club.services import seating
from apps.wallet.services import core
from tests.utils import grant, make_user

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def dealing_server(django_db_setup):
    from tests.processes import free_port, port_open, running

    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "config.asgi:application", "--port", str(port), "--lifespan", "off"]
    env = {"CLUB_DRIVER_IN_PROCESS": "true", "CLUB_NEXT_HAND_DELAY": "0.5", "CLUB_DRIVER_INTERVAL": "0.1"}
    with running("uvicorn-club", command, ready=lambda: port_open(port), **env) as process:
        process.port = port
        yield process


def sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", "Pw-1234-abcd!")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state()


@pytest.fixture
def browser_club(live_tenant):
    return live_tenant("club")  # made before the browser's event loop runs in this thread


def test_two_browsers_sit_down_and_play_a_hand_then_read_its_history(
    browser_club,
    dealing_server,
    django,
    browser,
):
    club = browser_club

    def build():
        with club.context():
            room = seating.create_room(name="브라우저")
            table = seating.open_table(room=room, name="B1", small_blind=1_000, big_blind=2_000, max_seats=6)
            for name in ("alice", "bob"):
                user = make_user(name)
                grant(user, "player")
                core.transfer(
                    key=f"fund:{name}",
                    kind="adjustment",
                    legs=[(core.house_account("equity"), -1_000_000), (core.player_account(user), 1_000_000)],
                )
            return table

    table = django(build)
    base = f"http://{club.domain}:{dealing_server.port}"
    pages = {}
    for seat, name in enumerate(("alice", "bob"), start=1):
        page = browser.new_context(locale="ko-KR").new_page()
        sign_in(page, base, name)
        page.goto(f"{base}/club/table/{table.pk}/")
        page.wait_for_selector("body[data-connected=yes]")
        page.select_option("#seat-no", str(seat))
        page.fill("#buy-in", "200000")
        page.locator("#sit").click()
        pages[name] = page
    # The driver deals; each page acts when it is its turn (call, else check) until the hand ends.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if all(p.evaluate("document.body.dataset.handsEnded") for p in pages.values()):
            break
        for page in pages.values():
            if page.evaluate("document.body.dataset.turn") == "yes":
                hole = page.locator("#hole").inner_text()
                assert len(hole.split()) == 2  # their own two cards, on their own page
                to_call = int(page.evaluate("document.body.dataset.toCall") or 0)
                page.locator(f"button.act[data-action={'call' if to_call else 'check'}]").click()
                time.sleep(0.3)
        time.sleep(0.2)
    assert all(p.evaluate("document.body.dataset.handsEnded") for p in pages.values()), "no hand finished"
    # (what the page showed when the hand ended: the next hand may already have cleared it)
    assert "#1" in pages["alice"].evaluate("document.body.dataset.firstResult")

    def booked():
        with club.context():
            return Hand.objects.filter(table=table).order_by("number").first()

    hand = django(booked)
    assert hand is not None and sum(hand.final_stacks) + hand.rake == 400_000
    page = pages["bob"]
    page.goto(f"{base}/club/hands/")
    assert page.locator("tr.hand").count() >= 1
    page.locator("tr.hand a").last.click()
    page.wait_for_load_state()
    assert "currency = 'KRW'" in page.content()
