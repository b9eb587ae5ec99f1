"""The parent portal in a real browser: Debian's chromium driven by Playwright, against the
real ASGI server, the Celery worker and the local payment sandbox, on a phone-sized screen.

A parent logs in, opens a child, sees the attendance (with the absence), pays a bill on the
sandbox gateway's checkout page (→ signed webhook → invoice paid), sees the receipt, and
sees a check-in made meanwhile appear on reload. Screenshots of the main pages go to
var/screenshots/portal-*.png.
"""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest

from apps.academy import models as m
from apps.academy.services import attendance
from tests.browser import screenshot
from tests.payments.conftest import configure_gateways
from tests.utils import PASSWORD

from .conftest import build_families, monday

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def shot(page, name: str) -> None:
    screenshot(page, f"portal-{name}")


def eventually(check, timeout: float = 20) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.3)
    return check()


def test_a_parent_logs_in_follows_a_child_and_pays_a_bill(live_tenant, asgi_server, celery_worker, django, browser):
    t = django(live_tenant, "academy")
    families = django(build_families, t)

    def gateways():
        with t.context():
            configure_gateways(asgi_server)
            return m.Invoice.objects.get(pk=families.mom_invoice.pk)

    invoice = django(gateways)
    due = invoice.due
    assert due > 0
    base = f"http://{t.domain}:{asgi_server.port}"
    context = browser.new_context(viewport=PHONE, locale="ko-KR", device_scale_factor=1, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(20_000)

    # Log in: the portal sends a visitor to allauth's login page and back.
    page.goto(f"{base}/portal/")
    assert "/accounts/login/" in page.url and "next=/portal/" in page.url
    shot(page, "login")
    page.fill("input[name=login]", "mom")
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(f"{base}/portal/")
    assert page.locator("html").get_attribute("lang") == "ko"
    assert page.locator("section.child h2").all_inner_texts() == ["김민준", "김서연"]
    assert "이하준" not in page.content()
    shot(page, "home")

    # Keyboard: the first Tab reaches the skip link.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"

    # A child's page: this week, and attendance with the absence highlighted.
    page.locator("section.child h2 a", has_text="김민준").click()
    page.wait_for_url(re.compile(rf"/portal/children/{families.minjun.pk}/$"))
    rows = page.locator("table.attendance tbody tr")
    assert rows.count() == 2
    absent = page.locator("table.attendance tr.mark-absent")
    assert absent.count() == 1 and "결석" in absent.inner_text()
    background = absent.locator("td").first.evaluate("e => getComputedStyle(e).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "rgb(255, 255, 255)")  # the stylesheet was served and applied
    shot(page, "child")

    page.locator("nav.tabs a", has_text="피드백").click()
    assert "패스가 좋아졌어요" in page.content()
    shot(page, "feedback")

    # A check-in made meanwhile (through the attendance service) shows on reload.
    page.go_back()

    def check_in():
        with t.context():
            session = (
                m.Session.objects.filter(klass=families.academy.klass, date__gte=monday(), attendance__isnull=True)
                .order_by("date")
                .first()
                or m.Session.objects.filter(
                    klass=families.academy.klass,
                    date__gte=monday() - timedelta(days=14),
                    attendance__isnull=True,
                )
                .order_by("-date")
                .first()
            )
            attendance.mark(session, families.minjun, "late", method="kiosk")

    django(check_in)
    page.reload()
    assert page.locator("table.attendance tbody tr").count() == 3
    assert page.locator("table.attendance tr.mark-late").count() == 1
    shot(page, "child-after-check-in")

    # Bills: the breakdown, then pay on the sandbox gateway.
    page.locator("nav.sections a", has_text="청구서").click()
    page.locator(f"a[href='/portal/invoices/{invoice.pk}/']").click()
    assert page.locator("table.lines tbody tr").count() >= 1
    assert f"{due:,}원" in page.locator("#invoice-due").inner_text()
    shot(page, "invoice")
    page.locator("form[action$='/pay/'] button").click()
    page.wait_for_url(re.compile(r"/_sandbox/payments/local/pay/"))
    assert page.url.startswith(f"http://localhost:{asgi_server.port}/")  # the gateway's own host
    shot(page, "sandbox-checkout")
    page.locator("button[value=pay]").click()
    page.wait_for_url(re.compile(r"/payments/return/"))
    page.locator("main a.button").click()  # back to the bill
    page.wait_for_url(re.compile(rf"/portal/invoices/{invoice.pk}/$"))

    def paid() -> bool:
        page.reload()
        return page.locator("#invoice-status").inner_text().strip() == "납부 완료"

    assert eventually(paid), "the webhook did not mark the invoice paid"
    assert "0원" in page.locator("#invoice-due").inner_text()
    assert page.locator("form[action$='/pay/']").count() == 0

    def status() -> str:
        with t.context():
            return m.Invoice.objects.get(pk=invoice.pk).status

    assert django(status) == "paid"

    # The receipt.
    page.locator("a", has_text="영수증").last.click()
    page.wait_for_url(re.compile(r"/portal/receipts/\d+/$"))
    assert f"{due:,}원" in page.locator("#receipt-amount").inner_text()
    assert "온라인" in page.content()  # paid through the gateway
    shot(page, "receipt")
    page.locator("nav.sections a", has_text="영수증").click()
    assert page.locator("ul.rows li").count() >= 1
    shot(page, "receipts")

    page.locator("nav.sections a", has_text="알림").click()
    shot(page, "preferences")
    context.close()
