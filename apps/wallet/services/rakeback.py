"""VIP levels and the weekly rakeback (seed 004 Phase 6).

VIP level: by the rake a player paid (their attributed rake shares) in the 30 days up to
the end of the week being paid — a rolling window, so a level is earned by recent play.

    bronze from ₩0 20 % · silver ₩100,000 25 % · gold ₩500,000 30 %
    platinum ₩2,000,000 35 % · diamond ₩5,000,000 40 %

Weekly rakeback, every Monday 04:00 Asia/Seoul for the ISO week that just ended: each
player gets floor(rake they paid that week × their level's percent), paid from the house's
rakeback expense account to the player. One payout per (player, ISO week) under a UNIQUE
constraint, and each transfer keyed by player and week: a re-run, or two workers running
it at once, pays nothing twice. Daily statistics at 03:00 for the day before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from ..models import DailyStats, RakebackPayout, RakeShare, Transfer
from . import core
from .records import money_moved

VIP_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class Level:
    code: str
    minimum: int  # rake paid in the window, won
    percent: int


LEVELS = (
    Level("bronze", 0, 20),
    Level("silver", 100_000, 25),
    Level("gold", 500_000, 30),
    Level("platinum", 2_000_000, 35),
    Level("diamond", 5_000_000, 40),
)


def level_for(rake_paid: int) -> Level:
    return [level for level in LEVELS if rake_paid >= level.minimum][-1]


def rake_paid(user, *, since: datetime, until: datetime) -> int:
    return (
        RakeShare.objects.filter(user=user, created_at__gte=since, created_at__lt=until).aggregate(s=Sum("amount"))["s"]
        or 0
    )


def vip_level(user, *, at: datetime | None = None) -> Level:
    at = at or timezone.now()
    return level_for(rake_paid(user, since=at - VIP_WINDOW, until=at))


def week_bounds(week: str) -> tuple[datetime, datetime]:
    """'2026-W49' -> Monday 00:00 Asia/Seoul to the next Monday, as aware datetimes."""
    year, number = week.split("-W")
    monday = date.fromisocalendar(int(year), int(number), 1)
    start = timezone.make_aware(datetime.combine(monday, time.min), timezone.get_default_timezone())
    return start, start + timedelta(days=7)


def last_week(now: datetime | None = None) -> str:
    local = timezone.localtime(now or timezone.now()).date() - timedelta(days=7)
    year, number, _day = local.isocalendar()
    return f"{year}-W{number:02d}"


def pay_weekly_rakeback(*, week: str | None = None, actor=None) -> list[RakebackPayout]:
    """Pay the rakeback of one ISO week (default: the week before now). Returns the payouts
    made by this run (none on a re-run)."""
    week = week or last_week()
    start, end = week_bounds(week)
    paid_already = set(RakebackPayout.objects.filter(week=week).values_list("user_id", flat=True))
    weekly = (
        RakeShare.objects.filter(created_at__gte=start, created_at__lt=end)
        .exclude(user_id__in=paid_already)
        .values("user_id")
        .annotate(rake=Sum("amount"))
        .order_by("user_id")
    )
    rows = []
    for entry in weekly:
        window = (
            RakeShare.objects.filter(
                user_id=entry["user_id"], created_at__gte=end - VIP_WINDOW, created_at__lt=end
            ).aggregate(s=Sum("amount"))["s"]
            or 0
        )
        level = level_for(window)
        rows.append((entry["user_id"], entry["rake"], window, level, entry["rake"] * level.percent // 100))
    if not rows:
        return []
    expense = core.house_account("rakeback")
    users = get_user_model().objects.in_bulk([row[0] for row in rows])
    accounts = {pk: core.player_account(user) for pk, user in users.items()}
    with transaction.atomic():
        requests = [
            core.make_request(
                key=f"rakeback:{pk}:{week}",
                kind="rakeback",
                legs=[(expense, -amount), (accounts[pk], amount)],
                reference=week,
            )
            for pk, _rake, _window, _level, amount in rows
            if amount
        ]
        results = {r.key: r for r in core.transfer_batch(requests, actor=actor)}
        payouts = [
            RakebackPayout(
                user_id=pk,
                week=week,
                rake=rake,
                window_rake=window,
                level=level.code,
                percent=level.percent,
                amount=amount,
                transfer_id=results[f"rakeback:{pk}:{week}"].transfer_id if amount else None,
            )
            for pk, rake, window, level, amount in rows
        ]
        made = RakebackPayout.objects.bulk_create(payouts, ignore_conflicts=True)
        total = sum(p.amount for p in payouts)
        money_moved(
            "rakeback_paid",
            subject=("rakeback", week),
            actor=actor,
            data={"week": week, "players": len(payouts), "amount": total},
            idempotency_key=f"wallet:rakeback:{week}:{min(p.user_id for p in payouts)}",
        )
    return made


def compute_daily_stats(*, day: date | None = None) -> DailyStats:
    """The figures of one Seoul day (default: yesterday); recomputing overwrites them."""
    day = day or timezone.localdate() - timedelta(days=1)
    start = timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())
    end = start + timedelta(days=1)
    transfers = Transfer.objects.filter(created_at__gte=start, created_at__lt=end)

    def moved(kind: str) -> int:
        return transfers.filter(kind=kind, postings__amount__gt=0).aggregate(s=Sum("postings__amount"))["s"] or 0

    stats, _created = DailyStats.objects.update_or_create(
        day=day,
        defaults={
            "transfers": transfers.count(),
            "hands": transfers.filter(kind="rake").count(),
            "rake": moved("rake"),
            "deposits": moved("deposit"),
            "withdrawals": moved("withdrawal.posted"),
            "rakeback": moved("rakeback"),
            "computed_at": timezone.now(),
        },
    )
    return stats
