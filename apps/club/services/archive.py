"""Older hands into compressed batches (seed 004: msgpack + gzip). A batch holds a table's
hands finished before a cut-off, as the same fields `verify_hands` checks; the rows leave
PostgreSQL in the same transaction as the batch arrives."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from datetime import timedelta

import msgpack
from django.db import transaction
from django.utils import timezone

from apps.core.services import record

from ..models import Hand, HandArchive, Table

FIELDS = [
    "number",
    "button_seat",
    "small_blind",
    "big_blind",
    "seats",
    "starting_stacks",
    "final_stacks",
    "rake",
    "rake_per_pot",
    "deck_hash",
    "deck",
    "salt",
    "events",
    "actions",
]


def pack(hands: list[dict]) -> bytes:
    return gzip.compress(msgpack.packb(hands, use_bin_type=True), compresslevel=6)


def unpack(data: bytes) -> Iterator[dict]:
    yield from msgpack.unpackb(gzip.decompress(data), raw=False)


def archive_hands(*, older_than_days: float = 7, batch: int = 1000, actor=None) -> int:
    """Move hands older than the cut-off into batches; returns how many hands moved.
    Idempotent: a hand leaves PostgreSQL in the transaction that writes its batch, and rows
    another run has locked are skipped (that run archives them), never archived twice."""
    cutoff = timezone.now() - timedelta(days=older_than_days)
    moved = 0
    for table in Table.objects.filter(hands__ended_at__lt=cutoff).distinct():
        while True:
            with transaction.atomic():
                rows = list(
                    Hand.objects.select_for_update(skip_locked=True)
                    .filter(table=table, ended_at__lt=cutoff)
                    .order_by("number")[:batch]
                )
                if not rows:
                    break
                hands = [
                    {
                        **{name: getattr(row, name) for name in FIELDS},
                        "started_at": row.started_at.isoformat(),
                        "ended_at": row.ended_at.isoformat(),
                        "players": [seat["user"] for seat in row.seats],
                    }
                    for row in rows
                ]
                archive = HandArchive.objects.create(
                    table=table,
                    first_number=rows[0].number,
                    last_number=rows[-1].number,
                    count=len(rows),
                    data=pack(hands),
                )
                for row in rows:
                    row.players.clear()
                Hand.objects.filter(pk__in=[row.pk for row in rows]).delete()
                record("club.hands_archived", archive, actor=actor, table=table.pk, count=len(rows))
                moved += len(rows)
    return moved
