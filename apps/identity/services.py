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

from django.db import connection

from apps.core.pii import blind_index

from .models import Identity, IdentityKey, IdentityLink

Key = tuple[str, str]  # (kind, digest)


def phone_key(digits: str | None) -> Key | None:
    return ("phone", blind_index("phone", digits)) if digits else None


def email_key(email: str | None) -> Key | None:
    email = (email or "").strip().lower()
    return ("email", blind_index("email", email)) if email else None


def person_key(name: str, birth_date: date | None, guardian_digits: str | None) -> Key | None:
    """A child known only by name, birth date and a guardian's phone."""
    if not (name and birth_date and guardian_digits):
        return None
    return ("person", blind_index("person", f"{name}|{birth_date.isoformat()}|{guardian_digits}"))


def resolve(keys: Sequence[Key | None]) -> int | None:
    """The identity id of the person with these keys, created when none is known."""
    return resolve_many([keys])[0]


def resolve_many(people: Sequence[Sequence[Key | None]]) -> list[int | None]:
    """Identity ids for many people at once (None for a person with no key)."""
    wanted = [[k for k in keys if k] for keys in people]
    known = _lookup({k for keys in wanted for k in keys})
    missing = [i for i, keys in enumerate(wanted) if keys and not any(k in known for k in keys)]
    # One new identity per person no key of theirs is known for; keys shared by two new
    # people in the same batch (siblings' guardian phone is never a student key) map to one.
    fresh: dict[Key, int] = {}
    need_new = [i for i in missing if not any(k in fresh for k in wanted[i])]
    created = Identity.objects.bulk_create([Identity() for _ in need_new])
    for i, identity in zip(need_new, created, strict=True):
        for key in wanted[i]:
            fresh.setdefault(key, identity.pk)
    result: list[int | None] = []
    new_keys: list[IdentityKey] = []
    for keys in wanted:
        identity_id = next((known.get(k) or fresh.get(k) for k in keys if known.get(k) or fresh.get(k)), None)
        result.append(identity_id)
        new_keys += [IdentityKey(identity_id=identity_id, kind=k[0], digest=k[1]) for k in keys if k not in known]
    if new_keys:
        IdentityKey.objects.bulk_create(new_keys, ignore_conflicts=True)
        # Another transaction may have claimed a key first: its identity is the person's.
        winners = _lookup({(k.kind, k.digest) for k in new_keys})
        result = [
            next((winners[k] for k in keys if k in winners and k not in known), rid) if rid else rid
            for keys, rid in zip(wanted, result, strict=True)
        ]
    return result


def _lookup(keys: set[Key]) -> dict[Key, int]:
    if not keys:
        return {}
    found: dict[Key, int] = {}
    by_kind: dict[str, list[str]] = {}
    for kind, digest in keys:
        by_kind.setdefault(kind, []).append(digest)
    for kind, digests in by_kind.items():
        for digest, identity_id in IdentityKey.objects.filter(kind=kind, digest__in=digests).values_list(
            "digest", "identity_id"
        ):
            found[(kind, digest)] = identity_id
    return found


def link_many(profile: str, pairs: Iterable[tuple[int, int | None]]) -> None:
    """Record that profiles (object id, identity id) of the current tenant belong to people."""
    schema = connection.schema_name
    rows = [
        IdentityLink(identity_id=identity_id, schema_name=schema, profile=profile, object_id=object_id)
        for object_id, identity_id in pairs
        if identity_id
    ]
    IdentityLink.objects.bulk_create(rows, ignore_conflicts=True)


def link(profile: str, object_id: int, identity_id: int | None) -> None:
    link_many(profile, [(object_id, identity_id)])


def tenants_of(identity_id: int) -> list[str]:
    """The schemas that know this person (for platform operators, never for tenants)."""
    return sorted(set(IdentityLink.objects.filter(identity_id=identity_id).values_list("schema_name", flat=True)))
