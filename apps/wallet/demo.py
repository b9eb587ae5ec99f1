"""The demo club's money (called by `manage.py seed_demo`; safe to run again): two regulars
with balances who played a few hands on a table (rake, rake shares), and one large
withdrawal waiting for a cashier. The `player` login (from apps.accounts' demo) starts at
₩0: deposit through the sandbox gateway from /wallet/."""

from __future__ import annotations

from collections.abc import Iterator

from django.contrib.auth import get_user_model

from apps.accounts import services as accounts

from .models import Withdrawal
from .rake import build_pots, rake_hand, rule_for
from .services import core, hands, table

REGULARS = [("regular1", "김철수"), ("regular2", "이영수")]


def seed(tenant) -> Iterator[tuple[str, str]]:
    from apps.tenancy.management.commands.seed_demo import demo_password

    User = get_user_model()
    regulars = []
    for username, name in REGULARS:
        user, created = User.objects.get_or_create(
            username=username, defaults={"display_name": name, "email": f"{username}@demo.invalid"}
        )
        if created:
            user.set_password(demo_password())
            user.save(update_fields=["password"])
        accounts.grant_role(user, "player")
        regulars.append(user)
        core.transfer(
            key=f"demo:opening:{username}",
            kind="adjustment",
            legs=[(core.house_account("equity"), -3_000_000), (core.player_account(user), 3_000_000)],
            reference="demo opening balance",
        )
    one, two = regulars
    for user in regulars:
        table.buy_in(user=user, table_ref="demo-table-1", amount=400_000, key=f"demo:{user.username}")
    for hand in range(1, 6):
        pots, _uncalled = build_pots({one.pk: 20_000 * hand, two.pk: 20_000 * hand})
        rake = rake_hand(rule=rule_for(1_000, 2_000), big_blind=2_000, pots=pots, saw_flop=True, players_dealt=2)
        hands.settle_hand(table_ref="demo-table-1", hand_ref=f"demo-{hand}", rake=rake)
    if not Withdrawal.objects.filter(idempotency_key="demo:big").exists():
        from .services import cashier

        cashier.request_withdrawal(
            user=two, amount=1_200_000, coin="USDT", address="TDemoAddressForUsdtPayout000", key="demo:big"
        )
    yield "player", "/wallet/"
    yield "cashier", "/admin/wallet/withdrawal/?queue=approval"
