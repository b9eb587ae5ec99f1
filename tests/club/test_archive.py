"""The hand-history archive on its schedule: the beat entry runs nightly in every club (and
only clubs); the task, on a real Celery worker, moves hands older than the cut-off into
msgpack + gzip batches, keeps the recent ones in PostgreSQL, does nothing the second time,
and `verify_hands` still replays the archived hands."""

from __future__ import annotations

import gzip
import time

import msgpack
from channels.db import database_sync_to_async
from django.conf import settings
from django.core.management import call_command

from apps.club import tasks
from apps.club.models import Hand, HandArchive
from apps.club.services.verify import archived_hands, check_hand

from .conftest import scripted_deck
from .test_live import table_socks
from .test_play import act, booked, deal, sit


def test_the_archive_runs_nightly_in_every_club_and_only_clubs(tenants, db):
    from django_celery_beat.schedulers import ModelEntry

    from apps.tenancy.beat import TenantTypeAwareScheduler

    entry = settings.CELERY_BEAT_SCHEDULE["club-archive-hands"]
    assert entry["task"] == tasks.archive_hands.name
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({5}, {0})
    model_entry = ModelEntry.__new__(ModelEntry)
    model_entry.options = {"headers": dict(entry["options"]["headers"])}
    schemas = TenantTypeAwareScheduler.schemas_for(
        TenantTypeAwareScheduler.__new__(TenantTypeAwareScheduler), model_entry
    )
    assert tenants["club"].schema in schemas
    assert tenants["academy"].schema not in schemas and tenants["store"].schema not in schemas


async def _play(t, socks, n_hands: int) -> None:
    for _ in range(n_hands):
        hand = await deal(t, scripted_deck(["AhKd", "7c2s"]))
        n = hand["setup"]["number"]
        button = hand["setup"]["users"][1]  # heads-up: the button acts first and folds
        sock = socks["p0"] if button == t.users[0].pk else socks["p1"]
        assert (await act(sock, n, "preflop", f"f{n}", "fold"))["ok"]
        await sock.until("hand_end", hand=n)
    await booked()


async def test_the_task_archives_older_hands_once_and_verify_hands_replays_them(club_table, celery_worker):
    t = club_table
    p0, p1, _, _ = t.users
    socks = await table_socks(t, "p0", "p1")
    await sit(t, p0, 1)
    await sit(t, p1, 3)
    await _play(t, socks, 3)
    time.sleep(1.0)
    between = time.time()
    time.sleep(1.0)
    await _play(t, socks, 2)

    def run_task() -> dict:
        with t.context():
            # the cut-off between the two groups of hands: the first three are "older"
            days = (time.time() - between) / 86400
            return tasks.archive_hands.delay(older_than_days=days).get(timeout=60)

    assert await database_sync_to_async(run_task)() == {"archived": 3}
    assert await database_sync_to_async(run_task)() == {"archived": 0}  # idempotent

    def stored():
        with t.context():
            archives = list(HandArchive.objects.filter(table=t.table))
            recent = list(Hand.objects.filter(table=t.table).order_by("number").values_list("number", flat=True))
            problems = [
                p
                for archive in archives
                for hand in archived_hands(archive)
                for p in check_hand(hand, escrow_ref=t.table.escrow_ref)
            ]
            call_command("verify_hands", schema=t.schema)  # the whole club, archives included
            return archives, recent, problems

    archives, recent, problems = await database_sync_to_async(stored)()
    assert recent == [4, 5]  # the recent days stay in PostgreSQL
    assert [(a.first_number, a.last_number, a.count) for a in archives] == [(1, 3, 3)]
    packed = msgpack.unpackb(gzip.decompress(bytes(archives[0].data)))
    assert [hand["number"] for hand in packed] == [1, 2, 3]  # msgpack inside gzip
    assert problems == []
