def test_demo_seeds_balances_hands_and_a_withdrawal_to_approve_and_runs_again(club):
    from apps.accounts import demo as accounts_demo
    from apps.wallet import demo
    from apps.wallet.models import RakeShare, Withdrawal
    from apps.wallet.services import core

    with club.context():
        list(accounts_demo.seed(club.tenant))
        links = list(demo.seed(club.tenant))
        list(demo.seed(club.tenant))  # again: nothing twice
        assert ("player", "/wallet/") in links
        assert Withdrawal.objects.filter(status="held", approvals_required=1).count() == 1
        assert RakeShare.objects.count() == 10
        assert core.balance(core.house_account("rake")) == sum(RakeShare.objects.values_list("amount", flat=True))
