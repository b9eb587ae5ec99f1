import pytest

from apps.wallet.models import Withdrawal
from apps.wallet.services import core


def fund(club, user, amount, key="fund"):
    with club.context():
        core.transfer(
            key=f"{key}:{user.pk}",
            kind="adjustment",
            legs=[(core.house_account("equity"), -amount), (core.player_account(user), amount)],
        )


def test_balance_and_cursor_history_of_ones_own_wallet(club, member):
    alice, client = member("club", "player")
    bob, _other = member("club", "player")
    fund(club, alice, 100_000)
    fund(club, bob, 7_777)
    with club.context():
        a, b = core.player_account(alice), core.player_account(bob)
        for i in range(60):
            core.transfer(key=f"t{i}", kind="transfer", legs=[(a, -100), (b, 100)])
    body = client.get("/api/v1/wallet/").json()
    assert body == {"balance": 94_000, "pending_withdrawal": 0, "vip_level": "bronze", "rakeback_percent": 20}
    first = client.get("/api/v1/wallet/history/").json()
    assert len(first["results"]) == 50 and first["next"]
    assert {row["amount"] for row in first["results"]} == {-100}
    with club.context():  # money moving between the pages shifts nothing
        core.transfer(key="late", kind="transfer", legs=[(b, -1), (a, 1)])
    second = client.get(first["next"]).json()
    ids = [row["id"] for row in first["results"] + second["results"]]
    assert len(ids) == len(set(ids)) == 61  # 60 transfers + the funding, none twice
    assert second["results"][-1]["kind"] == "adjustment"


def test_withdrawal_over_the_api_needs_a_key_and_a_retry_has_one_effect(club, member):
    alice, client = member("club", "player")
    fund(club, alice, 100_000)
    body = {"amount": 20_000, "coin": "BTC", "address": "bc1qexampleaddress00"}
    missing = client.post("/api/v1/wallet/withdrawals/", body, content_type="application/json")
    assert (
        missing.status_code == 400 and "idempotency_key" in missing.json()["errors"]
        if "errors" in missing.json()
        else "idempotency_key" in str(missing.json())
    )
    first = client.post("/api/v1/wallet/withdrawals/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k1")
    again = client.post("/api/v1/wallet/withdrawals/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    small = client.post(
        "/api/v1/wallet/withdrawals/",
        {**body, "amount": 5_000},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k2",
    )
    assert small.status_code == 400 and "amount" in str(small.json())
    with club.context():
        assert Withdrawal.objects.filter(user=alice).count() == 1
        assert core.balance(core.player_account(alice)) == 80_000
    listed = client.get("/api/v1/wallet/withdrawals/").json()
    assert [w["status"] for w in listed] == ["held"]


def test_the_wallet_is_not_there_for_other_tenants_or_strangers(club, member, tenants):
    alice, _client = member("club", "player")
    fund(club, alice, 1_000)
    _teacher, academy_client = member("academy", "owner")
    assert academy_client.get("/api/v1/wallet/").status_code == 404  # no wallet on an academy
    # an academy session means nothing on the club's host
    stranger = tenants["club"].client()
    stranger.cookies = academy_client.cookies
    assert stranger.get("/api/v1/wallet/").status_code in (401, 403)
    assert tenants["club"].client().get("/api/v1/wallet/history/").status_code in (401, 403)


def test_player_page_shows_the_balance_and_takes_a_withdrawal(club, member):
    alice, client = member("club", "player")
    fund(club, alice, 250_000)
    page = client.get("/wallet/")
    assert page.status_code == 200
    assert 'data-balance="250000"' in page.content.decode()
    posted = client.post(
        "/wallet/",
        {"action": "withdraw", "amount": "50,000", "coin": "ETH", "address": "0xexampleaddress000", "nonce": "n1"},
    )
    assert posted.status_code == 302
    with club.context():
        assert Withdrawal.objects.get(user=alice).amount == 50_000
    refused = client.post(
        "/wallet/",
        {"action": "withdraw", "amount": "500", "coin": "ETH", "address": "0xexampleaddress000", "nonce": "n2"},
    )
    assert refused.status_code == 200 and "10,000" in refused.content.decode()


@pytest.mark.parametrize("queue", ["approval", "waiting", "sending", ""])
def test_cashier_queues_and_reject_in_the_admin(club, member, queue):
    from apps.wallet.services import cashier

    alice, _client = member("club", "player")
    _cashier, desk = member("club", "cashier")
    fund(club, alice, 2_000_000)
    with club.context():
        w = cashier.request_withdrawal(
            user=alice, amount=1_500_000, coin="BTC", address="bc1qexampleaddress00", key="a"
        )
    listing = desk.get(f"/admin/wallet/withdrawal/?queue={queue}")
    assert listing.status_code == 200
    if queue == "approval":
        assert f"/admin/wallet/withdrawal/{w.pk}/reject/" in listing.content.decode()
        assert desk.post(f"/admin/wallet/withdrawal/{w.pk}/reject/", {"reason": "documents missing"}).status_code == 302
        with club.context():
            assert Withdrawal.objects.get(pk=w.pk).status == "rejected"
            assert core.balance(core.player_account(alice)) == 2_000_000


def test_only_a_floor_manager_resumes_a_halted_cashier_and_only_on_clean_books(club, member):
    from apps.wallet.models import CashierState
    from apps.wallet.services import cashier

    _cashier, desk = member("club", "cashier")
    _manager, floor = member("club", "floor_manager")
    with club.context():
        cashier.halt("test")
        state = CashierState.objects.get()
    action = {"action": "resume_cashier", "_selected_action": [state.pk]}
    desk.post("/admin/wallet/cashierstate/", action)
    with club.context():
        assert CashierState.objects.get().halted
    assert floor.post("/admin/wallet/cashierstate/", action).status_code == 302
    with club.context():
        assert not CashierState.objects.get().halted
