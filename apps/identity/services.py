"""The universal identity registry: find or create the identity of a person from a blind
index, one at a time or thousands in two queries (imports).

Keys are HMACs of normalised values with the server's blind-index key:
- a guardian (or anyone reached by phone) by their phone number;
- a student by name, birth date and the family's contact phone, since children often
  have no phone of their own and siblings share their parent's.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db import connection

from apps.core.normalise import text
from apps.core.pii import blind_index

from .models import Identity


def phone_key(digits: str) -> str:
    return blind_index("phone", digits)


def student_key(name: str, birth_date: date | None, contact: str | None) -> str:
    return blind_index("student", f"{text(name)}|{birth_date.isoformat() if birth_date else ''}|{contact or ''}")


def resolve(pairs: Iterable[tuple[str, str]], chunk: int = 20000) -> dict[str, int]:
    """{key: identity id} for (kind, key) pairs, creating the missing identities.

    INSERT … ON CONFLICT DO NOTHING, so concurrent imports in two tenants that meet the
    same person end up with one identity. Runs in the caller's transaction.
    """
    wanted = {key: kind for kind, key in pairs}
    found: dict[str, int] = {}
    table = f"public.{connection.ops.quote_name(Identity._meta.db_table)}"
    items = list(wanted.items())
    with connection.cursor() as cursor:
        for start in range(0, len(items), chunk):
            part = items[start : start + chunk]
            keys = [key for key, _kind in part]
            cursor.execute(
                f"INSERT INTO {table} (key, kind, created_at) "
                "SELECT k, t, now() FROM unnest(%s::text[], %s::text[]) AS u(k, t) "
                "ON CONFLICT (key) DO NOTHING",
                [keys, [kind for _key, kind in part]],
            )
            cursor.execute(f"SELECT key, id FROM {table} WHERE key = ANY(%s)", [keys])
            found.update(cursor.fetchall())
    return found


def resolve_one(kind: str, key: str) -> int:
    return resolve([(kind, key)])[key]
