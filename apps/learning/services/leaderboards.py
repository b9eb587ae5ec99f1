"""Leaderboards (issue 14, item 6) in Redis sorted sets (seed 003): per exam and for the
whole zone, all-time and per ISO week. A student's score on a board is their best scaled
score (ZADD GT keeps the maximum); the zone's board takes the best over all exams. Names
are each student's chosen nickname (`Student.shown_name`), read from the database when a
board is shown, so a nickname change shows at once.

The sets are a cache of the database: `manage.py rebuild_leaderboards` recomputes them from
the finished attempts (tests compare the two). Keys carry the schema:
`<prefix>:<schema>:learning:lb:<board>:<period>`.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django_redis import get_redis_connection

from ..models import Attempt, Student

TOP = 20
WEEKLY_TTL = 35 * 24 * 3600  # a week's board is kept five weeks


def _redis():
    return get_redis_connection("default")


def week_of(moment: datetime) -> str:
    year, week, _day = timezone.localtime(moment).isocalendar()
    return f"{year}-W{week:02d}"


def key(board: str, period: str, schema: str | None = None) -> str:
    """board: "zone" or "exam.<id>"; period: "all" or an ISO week "2026-W49"."""
    return f"{settings.REDIS_KEY_PREFIX}:{schema or connection.schema_name}:learning:lb:{board}:{period}"


def _entries(attempt: Attempt) -> list[tuple[str, str]]:
    week = week_of(attempt.finished_at or timezone.now())
    boards = ("zone", f"exam.{attempt.exam_id}")
    return [(board, period) for board in boards for period in ("all", week)]


def record_attempt(attempt: Attempt) -> None:
    """After a finished attempt commits: raise the student's scores where it beats them."""
    if attempt.scaled_score is None:
        return
    schema = connection.schema_name
    entries = _entries(attempt)
    member, score = str(attempt.student_id), float(attempt.scaled_score)

    def write() -> None:
        pipe = _redis().pipeline(transaction=False)
        for board, period in entries:
            name = key(board, period, schema)
            pipe.zadd(name, {member: score}, gt=True)
            if period != "all":
                pipe.expire(name, WEEKLY_TTL)
        pipe.execute()

    transaction.on_commit(write)


def top(board: str, period: str = "all", limit: int = TOP) -> list[dict]:
    rows = _redis().zrevrange(key(board, period), 0, limit - 1, withscores=True)
    ids = [int(member) for member, _score in rows]
    names = {s.pk: s.shown_name for s in Student.objects.filter(pk__in=ids)}
    return [
        {"rank": n, "student": pk, "name": names.get(pk, "?"), "score": score}
        for n, (pk, (_member, score)) in enumerate(zip(ids, rows, strict=True), start=1)
    ]


def rebuild(schema: str | None = None) -> int:
    """Recompute every board of the current schema from the finished attempts; returns how
    many boards were written."""
    schema = schema or connection.schema_name
    boards: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)
    finished = Attempt.objects.exclude(status=Attempt.Status.ACTIVE).exclude(scaled_score=None)
    for attempt in finished.only("student_id", "exam_id", "scaled_score", "finished_at").iterator():
        for entry in _entries(attempt):
            members = boards[entry]
            member = str(attempt.student_id)
            members[member] = max(members.get(member, float("-inf")), float(attempt.scaled_score))
    redis = _redis()
    old = list(redis.scan_iter(match=key("*", "*", schema), count=1000))
    pipe = redis.pipeline(transaction=True)
    if old:
        pipe.delete(*old)
    for (board, period), members in boards.items():
        name = key(board, period, schema)
        pipe.zadd(name, members)
        if period != "all":
            pipe.expire(name, WEEKLY_TTL)
    pipe.execute()
    return len(boards)
