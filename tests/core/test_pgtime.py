"""timestamptz values are parsed by psycopg's C loader (apps/core/pgtime.py) and come out as
Django's own loader gives them: the same instants, the connection's time zone on them, the
same refusals."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import DataError, connection
from django.db.backends.postgresql.psycopg_any import register_tzloader
from psycopg import adapt
from psycopg.pq import Format

from apps.core.pgtime import TIMESTAMPTZ_OID, CTimestamptzLoader
from tests.utils import make_user

pytestmark = pytest.mark.django_db

TEXTS = [
    "2026-12-06 10:12:08.490673+00",
    "2026-12-06 19:12:08+09",
    "1900-01-01 00:00:00+00",
    "2100-12-31 23:59:59.999999+00",
    "0001-01-01 00:00:00+00",
    "2026-03-08 02:30:00-05:30",
    "1895-01-01 00:00:00+08:27:52",
    "infinity",
    "10000-01-01 00:00:00+00",
    "2026-01-01 00:00:00+00 BC",
]


def _load(loader, text: str):
    try:
        return loader.load(text.encode())
    except Exception as error:
        return type(error)


def test_the_connection_reads_timestamptz_with_the_c_loader(tenants):
    with tenants["academy"].context():
        connection.ensure_connection()
        loader = connection.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
        assert issubclass(loader, CTimestamptzLoader) and loader.timezone == connection.timezone
        user = make_user("pgtime_user")
        joined = get_user_model().objects.get(pk=user.pk).date_joined
        assert joined == user.date_joined and joined.tzinfo is datetime.UTC
        with connection.cursor() as cursor:
            cursor.execute("SELECT %s::timestamptz, NULL::timestamptz", ["2026-12-06 19:12:08+09"])
            assert cursor.fetchone() == (datetime.datetime(2026, 12, 6, 10, 12, 8, tzinfo=datetime.UTC), None)
            with pytest.raises(DataError):
                cursor.execute("SELECT 'infinity'::timestamptz")
                cursor.fetchone()


@pytest.mark.parametrize("zone", [datetime.UTC, None])
def test_the_same_values_and_refusals_as_djangos_loader(tenants, zone):
    with tenants["academy"].context():
        connection.ensure_connection()
        context = adapt.AdaptersMap(connection.connection.adapters)
        register_tzloader(zone, context)
        django_loader = context.get_loader(TIMESTAMPTZ_OID, Format.TEXT)(TIMESTAMPTZ_OID, connection.connection)
        ours = type("Ours", (CTimestamptzLoader,), {"timezone": zone})(TIMESTAMPTZ_OID, connection.connection)
        for text in TEXTS:
            theirs, mine = _load(django_loader, text), _load(ours, text)
            assert mine == theirs, text
            if isinstance(mine, datetime.datetime):
                assert mine.tzinfo is theirs.tzinfo and mine.utcoffset() == theirs.utcoffset(), text
