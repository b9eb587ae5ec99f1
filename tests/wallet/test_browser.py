"""The issue's walk in a real browser (Debian's chromium, Playwright) against the real ASGI
server and the gateway sandbox: a newcomer signs in, shows a BTC deposit address, sends coins
on the sandbox chain (1 confirmation: waits; 3: credited), sees the balance, asks to withdraw
₩1,500,000 and watches it wait; a cashier approves it in the admin."""

from __future__ import annotations

import re

import pytest

from apps.wallet.models import Approval, Deposit, Withdrawal
from apps.wallet.services import core
from tests.utils import PASSWORD, grant, make_user

pytestmark = pytest.mark.browser


def sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state()


def test_newcomer_deposits_sees_the_balance_withdraws_and_a_cashier_approves(cashier_club, django, browser):
    club = cashier_club

    def people():
        with club.context():
            newcomer, desk = make_user("newcomer"), make_user("desk")
            grant(newcomer, "player")
            grant(desk, "cashier")
            return newcomer

    newcomer = django(people)
    base = f"http://{club.domain}:{club.base.rsplit(':', 1)[1]}"
    page = browser.new_page(locale="ko-KR")
    sign_in(page, base, "newcomer")
    page.goto(f"{base}/wallet/")
    page.select_option("select[name=coin] >> nth=0", "BTC")
    page.get_by_role("button", name="내 입금 주소 보기").click()
    address = page.locator("#deposit-address").inner_text()
    assert address.startswith("sbxbtc1")
    with page.expect_popup() as popup:
        page.get_by_role("link", name="테스트 코인 보내기 (샌드박스)").click()
    chain = popup.value
    chain.fill("input[name=amount]", "0.02")
    chain.fill("input[name=confirmations]", "1")
    chain.get_by_role("button", name="Send").click()
    assert "HTTP 200" in chain.locator("#result").inner_text()
    page.reload()
    assert page.locator("[data-balance]").get_attribute("data-balance") == "0"  # waiting for 3
    chain.fill("input[name=confirmations]", "3")
    chain.get_by_role("button", name="Send").click()
    page.goto(f"{base}/wallet/")
    assert page.locator("[data-balance]").get_attribute("data-balance") == "2800000"  # 0.02 × ₩140,000,000

    form = page.locator("form", has=page.locator("input[name=amount]"))
    form.locator("input[name=amount]").fill("1,500,000")
    form.locator("select[name=coin]").select_option("BTC")
    form.locator("input[name=address]").fill("bc1qnewcomerpayout0001")
    form.get_by_role("button", name="출금 요청").click()
    page.wait_for_load_state()
    assert re.search(r"보류", page.locator("tr.withdrawal").first.inner_text())
    assert page.locator("[data-balance]").get_attribute("data-balance") == "1300000"

    desk = browser.new_page(locale="ko-KR")
    sign_in(desk, base, "desk")
    desk.goto(f"{base}/admin/wallet/withdrawal/?queue=approval")
    desk.locator("input[name=_selected_action]").first.check()
    desk.select_option("select[name=action]", "approve_selected")
    desk.locator("button[name=index]").click()
    desk.wait_for_load_state()

    def check():
        with club.context():
            withdrawal = Withdrawal.objects.get(user=newcomer)
            return (
                Deposit.objects.get(user=newcomer).status,
                withdrawal.status,
                Approval.objects.filter(withdrawal=withdrawal).count(),
                core.balance(core.pending_account(newcomer)),
            )

    assert django(check) == ("credited", "held", 1, 1_500_000)
