"""The lobby digest: every open table with its stakes and how full it is. Sent to the
`lobby` group by the driver holding the club's lobby lease, at most twice a second and only
after a change (never once per action)."""

from __future__ import annotations

from django.db.models import Count, Q

from .models import Table


def digest() -> list[dict]:
    tables = Table.objects.select_related("room").annotate(
        seated=Count("seats", filter=Q(seats__user__isnull=False), distinct=True),
        waiting_count=Count("waiting", distinct=True),
    )
    return [
        {
            "id": table.pk,
            "room": table.room.name,
            "name": table.name,
            "blinds": [table.small_blind, table.big_blind],
            "max_seats": table.max_seats,
            "seated": table.seated,
            "waiting": table.waiting_count,
            "hands": table.hands_played,
            "status": table.status,
        }
        for table in tables
    ]


def publish_digest() -> None:
    """To the lobby's sockets, encoded once (apps.club.protocol) and published from this
    thread straight to Redis (apps.club.live._send), not through the event loop."""
    from .live import _send
    from .protocol import frames

    _send("lobby", {"type": "club.lobby", "frames": frames({"t": "lobby", "tables": digest()})})
