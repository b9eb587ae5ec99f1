"""The desk presses 이번 달 청구서 발행 in chromium: the request returns at once to the run's
page, whose progress bar follows the Celery worker over the websocket until the page
reloads finished (issue 12, defect 10). Real ASGI server, worker and browser."""

from __future__ import annotations

import re
from datetime import date

import pytest
import time_machine

from apps.academy import models as m
from apps.academy.services import enrollment
from tests.conftest import BILLING_CLOCK
from tests.utils import PASSWORD, grant, make_user

from .conftest import build_academy, student

pytestmark = pytest.mark.browser
FAMILIES = 40


def test_the_desk_issues_the_month_and_watches_the_progress_bar(
    live_tenant,
    asgi_server,
    celery_worker,
    django,
    browser,
):
    t = django(live_tenant, "academy")

    def setup():
        academy = build_academy(t)
        with t.context(), time_machine.travel(BILLING_CLOCK, tick=True):
            academy.other.capacity = FAMILIES
            academy.other.save()
            for n in range(FAMILIES):
                kid = student(f"학생{n}", date(2015, 1, 1), f"010-3000-{n:04d}")
                enrollment.enroll(kid, academy.other, starts_on=date(2026, 12, 1))
            grant(make_user("desk"), "staff")

    django(setup)
    base = f"http://{t.domain}:{asgi_server.port}"
    page = browser.new_context(locale="ko-KR").new_page()
    page.set_default_timeout(30_000)
    page.goto(f"{base}/accounts/login/?next=/admin/academy/invoice/")
    page.fill("input[name=login]", "desk")
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(f"{base}/admin/academy/invoice/")

    page.locator('form[action$="/issue-monthly/"] button').click()
    page.wait_for_url(re.compile(r"/admin/academy/invoice/issue-monthly/\d+/$"))
    assert page.locator("progress#run-progress").count() == 1
    # the worker finishes, the socket says so, the page reloads without the bar's script
    page.locator("a", has_text="청구서 보기").wait_for()
    assert page.locator("#run-counts").inner_text() == f"{FAMILIES} / {FAMILIES} 가정, 청구서 {FAMILIES}건 발행"
    assert page.locator("#run-status").inner_text() == "완료"

    def issued():
        with t.context():
            return m.Invoice.objects.filter(period=date(2026, 12, 1)).count(), m.InvoiceRun.objects.get().status

    assert django(issued) == (FAMILIES, "done")
