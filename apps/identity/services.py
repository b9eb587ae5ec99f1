"""Resolving people to universal identities, one at a time or in bulk.

A person is found by any of their keys (phone, e-mail, or — for a child without either —
name + birth date + guardian phone). Keys are the same HMAC blind indexes the tenants
store, so a tenant never sends a phone number to the registry, and bulk imports resolve
thousands of people in a handful of queries. Two keys that already point to different
identities are not merged automatically: the first key (by the order given) wins, because
a wrong merge is worse than a missed one.

Writes happen on the caller's connection and transaction: the tenant's change and its
identity rows commit or roll back together.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from apps.core.bulk import copy_insert, copy_now, drop_temp, reserve_ids, temp_table, timestamp
from apps.core.pii import blind_index

from .models import Identity, IdentityLink

Key = tuple[str, str]  # (kind, digest)


def phone_key(digits: str | None) -> Key | None:
    return ("phone", blind_index("phone", digits)) if digits else None


def email_key(email: str | None) -> Key | None:
    email = (email or "").strip().lower()
    return ("email", blind_index("email", email)) if email else None


def person_key(name: str, birth_date: date | None, guardian_digits: str | None) -> Key | None:
    """A child known by name (and birth date, when known) under a guardian's phone."""
    if not (name and guardian_digits):
        return None
    born = birth_date.isoformat() if birth_date else ""
    return ("person", blind_index("person", f"{name}|{born}|{guardian_digits}"))


def resolve(keys: Sequence[Key | None]) -> int:
    """The identity id of the person with these keys, created when none is known."""
    return resolve_many([keys])[0]


CHUNK = 20_000
BULK = 500  # from this many values on, statements join a COPY-filled temporary table


def resolve_many(people: Sequence[Sequence[Key | None]]) -> list[int]:
    """Identity ids for many people at once, in a few statements per 20,000 people.

    A person none of whose keys is known gets a new identity; one with no key at all (a
    child with no phone, birth date or guardian) gets one too, which nothing can find again
    but which still links their profiles. Concurrent callers meeting the same new key agree:
    keys are inserted ON CONFLICT DO NOTHING and read back.
    """
    result: list[int] = []
    for start in range(0, len(people), CHUNK):
        result += _resolve_chunk([[k for k in keys if k] for keys in people[start : start + CHUNK]])
    return result


def _resolve_chunk(wanted: list[list[Key]]) -> list[int]:
    known = _lookup({k for keys in wanted for k in keys})
    fresh: dict[Key, int] = {}
    need_new: list[int] = []
    pending: set[Key] = set()
    for i, keys in enumerate(wanted):
        # Two new people of one batch sharing a key are one person.
        if not any(k in known or k in pending for k in keys):
            need_new.append(i)
            pending.update(keys)
    new_ids = _new_identities(len(need_new))
    new_for = dict(zip(need_new, new_ids, strict=True))
    for i, identity_id in new_for.items():
        for key in wanted[i]:
            fresh.setdefault(key, identity_id)
    first: list[int] = []
    for i, keys in enumerate(wanted):
        found = next((known.get(k) or fresh.get(k) for k in keys if known.get(k) or fresh.get(k)), None)
        first.append(found if found is not None else new_for[i])
    new_keys = {k: identity_id for keys, identity_id in zip(wanted, first, strict=True) for k in keys if k not in known}
    if not new_keys:
        return first
    if _insert_keys(new_keys) == len(new_keys):
        return first
    # Another transaction claimed some key first: its identity is the person's.
    winners = _lookup(set(new_keys))
    return [
        next((winners[k] for k in keys if k in winners and winners[k] != identity_id), identity_id)
        for keys, identity_id in zip(wanted, first, strict=True)
    ]


def _insert_keys(new_keys: dict[Key, int]) -> int:
    """Insert the keys no other transaction holds yet; returns how many were inserted."""
    with connection.cursor() as cursor:
        if len(new_keys) < BULK:
            kinds, digests, ids = zip(*((k[0], k[1], v) for k, v in new_keys.items()), strict=True)
            cursor.execute(
                "INSERT INTO public.identity_identitykey (kind, digest, identity_id) "
                "SELECT * FROM unnest(%s::text[], %s::text[], %s::bigint[]) ON CONFLICT DO NOTHING",
                [list(kinds), list(digests), list(ids)],
            )
            return cursor.rowcount
    # The keys were looked up a moment ago, so a plain COPY nearly always succeeds: no
    # temporary table, and no ON CONFLICT (its speculative insertion writes one more WAL
    # record per row). Should another transaction have claimed a key since, the savepoint
    # is undone and the keys go in the careful way.
    rows = [(kind, digest, identity_id) for (kind, digest), identity_id in new_keys.items()]
    copy_sql = "COPY public.identity_identitykey (kind, digest, identity_id) FROM STDIN"
    try:
        with transaction.atomic(), connection.cursor() as cursor, connection.wrap_database_errors:
            copy_now(cursor, copy_sql, rows)
        return len(rows)
    except IntegrityError:
        pass
    table = temp_table({"kind": "text", "digest": "text", "identity_id": "bigint"}, rows)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO public.identity_identitykey (kind, digest, identity_id) "
            f"SELECT * FROM {table} ON CONFLICT DO NOTHING"
        )
        inserted = cursor.rowcount
    drop_temp(table)
    return inserted


def _new_identities(count: int) -> list[int]:
    if not count:
        return []
    if count < BULK:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO public.identity_identity (created_at) SELECT now() FROM generate_series(1, %s) "
                "RETURNING id",
                [count],
            )
            return sorted(row[0] for row in cursor.fetchall())
    ids = reserve_ids(Identity, count)
    copy_insert(Identity, ({"id": identity_id} for identity_id in ids))
    return ids


def _lookup(keys: set[Key]) -> dict[Key, int]:
    if not keys:
        return {}
    sql = "SELECT k.kind, k.digest, k.identity_id FROM public.identity_identitykey k "
    with connection.cursor() as cursor:
        if len(keys) < BULK:
            cursor.execute(
                sql + "JOIN unnest(%s::text[], %s::text[]) AS u(kind, digest) USING (kind, digest)",
                [[k[0] for k in keys], [k[1] for k in keys]],
            )
            return {(kind, digest): identity_id for kind, digest, identity_id in cursor.fetchall()}
        table = temp_table({"kind": "text", "digest": "text"}, keys)
        cursor.execute(sql + f"JOIN {table} u USING (kind, digest)")
        found = {(kind, digest): identity_id for kind, digest, identity_id in cursor.fetchall()}
    drop_temp(table)
    return found


def link_many(profile: str, pairs: Iterable[tuple[int, int | None]]) -> None:
    """Record that profiles (object id, identity id) of the current tenant belong to people."""
    rows = [(object_id, identity_id) for object_id, identity_id in pairs if identity_id]
    if not rows:
        return
    insert = (
        "INSERT INTO public.identity_identitylink (identity_id, schema_name, profile, object_id, linked_at) "
        "SELECT u.identity_id, %s, %s, u.object_id, now() "
    )
    with connection.cursor() as cursor:
        if len(rows) < BULK:
            cursor.execute(
                insert + "FROM unnest(%s::bigint[], %s::bigint[]) AS u(object_id, identity_id) ON CONFLICT DO NOTHING",
                [connection.schema_name, profile, [r[0] for r in rows], [r[1] for r in rows]],
            )
            return
        table = temp_table({"object_id": "bigint", "identity_id": "bigint"}, rows)
        cursor.execute(insert + f"FROM {table} u ON CONFLICT DO NOTHING", [connection.schema_name, profile])
    drop_temp(table)


def copy_new_links(profile: str, pairs: Iterable[tuple[int, int | None]]) -> None:
    """`link_many` for profiles created in this transaction, whose links cannot exist yet:
    plain COPY, which `apps.core.bulk.pipeline` streams alongside the profiles' own rows."""
    schema, now = connection.schema_name, timestamp(timezone.now())
    rows = [
        {"identity_id": i, "object_id": o, "schema_name": schema, "profile": profile, "linked_at": now}
        for o, i in pairs
        if i
    ]
    for start in range(0, len(rows), CHUNK):
        copy_insert(IdentityLink, rows[start : start + CHUNK], with_pk=False)


def link(profile: str, object_id: int, identity_id: int | None) -> None:
    link_many(profile, [(object_id, identity_id)])


def tenants_of(identity_id: int) -> list[str]:
    """The schemas that know this person (for platform operators, never for tenants)."""
    return sorted(set(IdentityLink.objects.filter(identity_id=identity_id).values_list("schema_name", flat=True)))
