"""The tenant's event ledger: every business step appends an event here, in the same
transaction as the change it records.

    from apps.ledger.services import append
    append("attendance.checked_in", subject=student, actor=request.user, data={...})

Appends in one schema are serialised by a transaction-scoped advisory lock, so the chain
is a single gapless sequence; the lock is held until the caller's transaction ends, which
is the price of a chain that proves nothing was inserted, altered or removed.

A hot path whose writers must not wait for each other (a CAT answer) appends with
`deferred=True` instead: the event is written *unsealed* (no seq, prev_hash or hash) in the
caller's transaction, without the lock, and sealed into the chain after commit (`seal()`,
run on commit, by the next sealed append, and by the `seal_pending` task for events whose
process died between its commit and its seal). Sealing takes the lock for one short
transaction: it chains every committed unsealed event in id order, sets their seq and
hashes (the only UPDATE the table's trigger allows: NULL to sealed, content unchanged) and
moves the anchor. The chain's guarantees hold for every sealed event; an unsealed one is
pending, counted by `verify`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from json.encoder import encode_basestring
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, transaction
from django.db.models import Model
from django.utils import timezone

from apps.core import afterwork
from apps.core.bulk import copy_insert, timestamp

from .models import Event

GENESIS = "0" * 64
SEAL_BATCH = 2000


def canonical(data: Any) -> Any:
    """The JSON form the data is stored and hashed in (dates, decimals and UUIDs as strings)."""
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def _timestamp(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def compute_hash(
    *,
    seq: int,
    kind: str,
    subject_type: str,
    subject_id: str,
    actor_id: int | None,
    actor: str,
    data: Any,
    occurred_at: datetime,
    idempotency_key: str | None,
    prev_hash: str,
) -> str:
    body = json.dumps(
        [
            seq,
            kind,
            subject_type,
            subject_id,
            actor_id,
            actor,
            data,
            _timestamp(occurred_at),
            idempotency_key,
            prev_hash,
        ],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(body.encode()).hexdigest()


def event_hash(event: Event) -> str:
    return compute_hash(
        seq=event.seq,
        kind=event.kind,
        subject_type=event.subject_type,
        subject_id=event.subject_id,
        actor_id=event.actor_id,
        actor=event.actor,
        data=event.data,
        occurred_at=event.occurred_at,
        idempotency_key=event.idempotency_key,
        prev_hash=event.prev_hash,
    )


def _anchor(seq: int, hash_: str) -> None:
    """Move this schema's head anchor (public.ledger_anchor_head) to (seq, hash), in the
    caller's transaction: the events and their anchor commit or roll back together."""
    from .anchor.models import TABLE, sign

    schema = connection.schema_name
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO "public".{TABLE} (schema_name, seq, hash, signature, updated_at) '
            "VALUES (%s, %s, %s, %s, now()) ON CONFLICT (schema_name) DO UPDATE SET "
            "seq = EXCLUDED.seq, hash = EXCLUDED.hash, signature = EXCLUDED.signature, updated_at = now()",
            [schema, seq, hash_, sign(schema, seq, hash_)],
        )


def _lock_chain() -> int:
    """Take the schema's chain lock until the transaction ends, and seal the unsealed
    events first (whoever extends the chain extends it after them); returns how many it
    sealed. One round trip when there are none, as before deferred appends: the look for
    them rides on the lock's statement (its snapshot may predate the lock; an event it
    misses is sealed by its own sealer, which waits for this lock)."""
    table = connection.ops.quote_name(Event._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT pg_advisory_xact_lock(hashtext(%s)), EXISTS (SELECT 1 FROM {table} WHERE seq IS NULL)",
            [f"{connection.schema_name}.ledger"],
        )
        pending = cursor.fetchone()[1]
    return _seal_locked() if pending else 0


def _pending() -> bool:
    """Whether unsealed events are committed (the partial index ledger_unsealed_idx keeps
    this a look at an almost empty index)."""
    table = connection.ops.quote_name(Event._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {table} WHERE seq IS NULL)")
        return cursor.fetchone()[0]


def _try_lock_sealer() -> bool:
    """The sealers' own lock (one sealer per schema at a time), without waiting."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(hashtext(%s))", [f"{connection.schema_name}.ledger.sealer"])
        return cursor.fetchone()[0]


def _head() -> tuple[int, str]:
    """(seq, hash) of the newest sealed event; (0, GENESIS) for an empty chain."""
    last = Event.objects.filter(seq__isnull=False).order_by("-seq").values_list("seq", "hash").first()
    return last if last else (0, GENESIS)


def _seal_locked() -> int:
    """Chain the unsealed events this transaction sees (the lock held): in id order, from
    the head on, in batches; returns how many were sealed."""
    table = connection.ops.quote_name(Event._meta.db_table)
    sealed = 0
    seq, prev = _head()
    while True:
        batch = list(Event.objects.filter(seq__isnull=True).order_by("id")[:SEAL_BATCH])
        if not batch:
            break
        ids, seqs, prevs, hashes = [], [], [], []
        for event in batch:
            seq += 1
            event.seq, event.prev_hash = seq, prev
            prev = event_hash(event)
            ids.append(event.pk)
            seqs.append(seq)
            prevs.append(event.prev_hash)
            hashes.append(prev)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} AS e SET seq = v.seq, prev_hash = v.prev_hash, hash = v.hash "
                "FROM unnest(%s::bigint[], %s::bigint[], %s::varchar[], %s::varchar[]) AS v(id, seq, prev_hash, hash) "
                "WHERE e.id = v.id",
                [ids, seqs, prevs, hashes],
            )
        sealed += len(batch)
        if len(batch) < SEAL_BATCH:
            break
    if sealed:
        _anchor(seq, prev)
    return sealed


def seal(*, rounds: int = 10) -> int:
    """Seal the committed unsealed events of the current schema; returns how many.

    Two locks: the sealers' (tried, never waited for) and the chain's (waited for: a sealed
    append holds it until its commit). When another sealer holds the first, this returns at
    once: that sealer, after each round it commits, looks again with a fresh snapshot —
    taken after this call's events committed — and seals another round if any are left, so
    none is left behind. After `rounds` rounds of a tenant that keeps committing this stops;
    the sealers of later commits (or the `seal_pending` task) go on."""
    if connection.in_atomic_block:
        # Inside a caller's transaction (a test's): one round, the locks held until it ends.
        with transaction.atomic():
            return _lock_chain() if _try_lock_sealer() else 0
    total = 0
    for _round in range(rounds):
        with transaction.atomic():
            if not _try_lock_sealer():
                return total
            total += _lock_chain()
        if not _pending():
            return total
    return total


def _seal_after_commit() -> None:
    """Seal after the caller commits, on the process's background thread
    (apps.core.afterwork: the response does not wait, and the seals of answers committed
    meanwhile are one seal): once per transaction and schema, however many deferred
    events it wrote. Should the process die first, `seal_pending` seals them."""
    schema = connection.schema_name
    for _sids, func, _robust in connection.run_on_commit:
        if getattr(func, "ledger_seal_schema", None) == schema:
            return

    def post() -> None:
        afterwork.post(schema, "ledger.seal", _seal_batch)

    post.ledger_seal_schema = schema  # type: ignore[attr-defined]
    transaction.on_commit(post)


def _seal_batch(_items: list) -> None:
    seal()


def _subject(subject: Model | tuple[str, Any] | None) -> tuple[str, str]:
    if subject is None:
        return "", ""
    if isinstance(subject, tuple):
        return subject[0], str(subject[1])
    return subject._meta.model_name, str(subject.pk)


def _fields(kind: str, subject, actor, data: dict | None, occurred_at: datetime | None = None) -> dict[str, Any]:
    subject_type, subject_id = _subject(subject)
    actor_id = getattr(actor, "pk", None) if actor is not None and getattr(actor, "is_authenticated", False) else None
    return {
        "kind": kind,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "actor_id": actor_id,
        "actor": actor.get_username() if actor_id else (str(actor) if isinstance(actor, str) else ""),
        "data": canonical(data or {}),
        "occurred_at": occurred_at or timezone.now(),
    }


def append(
    kind: str,
    *,
    subject: Model | tuple[str, Any] | None = None,
    actor=None,
    data: dict | None = None,
    idempotency_key: str | None = None,
    occurred_at: datetime | None = None,
    deferred: bool = False,
) -> Event:
    """Append an event to the current tenant's chain and return it.

    With an idempotency key, appending the same key again returns the first event
    instead of a second one. Runs inside the caller's transaction (or its own).

    `deferred=True`: written unsealed, without the chain lock, and sealed into the chain
    once the caller commits (module docstring); the event returned has no seq or hash yet.
    For hot paths whose writers must not queue behind each other; the event is in the
    ledger (and rolls back with the caller) all the same.
    """
    fields = _fields(kind, subject, actor, data, occurred_at)
    fields["idempotency_key"] = idempotency_key
    if deferred:
        # No savepoint of its own (two round trips on a hot path): an error here ends the
        # caller's transaction as it would have anyway; the idempotent create below keeps
        # its savepoint, for the clash it recovers from.
        with transaction.atomic(savepoint=False):
            if idempotency_key:
                existing = Event.objects.filter(idempotency_key=idempotency_key).first()
                if existing is not None:
                    return existing
                try:
                    with transaction.atomic():
                        event = Event.objects.create(**fields)
                except IntegrityError:
                    # The same key committed by a concurrent writer meanwhile: the first one stands.
                    return Event.objects.get(idempotency_key=idempotency_key)
            else:
                event = Event.objects.create(**fields)
            _seal_after_commit()
            return event
    with transaction.atomic():
        _lock_chain()
        if idempotency_key:
            existing = Event.objects.filter(idempotency_key=idempotency_key).first()
            if existing is not None:
                return existing
        seq, prev = _head()
        fields.update(seq=seq + 1, prev_hash=prev)
        event = Event.objects.create(**fields, hash=compute_hash(**fields))
        _anchor(event.seq, event.hash)
        return event


def deferred_event(kind: str, *, subject: Model | tuple[str, Any] | None = None, actor=None, data=None) -> Event:
    """The event `append(..., deferred=True)` writes (no idempotency key), unsaved, for a
    hot path that inserts it together with its own rows in one statement
    (apps.core.bulk.write_together). Only inside the caller's transaction: its seal is
    registered for that commit, so the caller must insert it before the transaction ends
    (a rollback drops both)."""
    if not connection.in_atomic_block:
        raise RuntimeError("deferred_event() belongs inside the transaction that inserts it")
    event = Event(**_fields(kind, subject, actor, data))
    _seal_after_commit()
    return event


@dataclass
class NewEvent:
    kind: str
    subject: Model | tuple[str, Any] | None = None
    data: dict | None = None
    idempotency_key: str | None = None


_compact = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode
_django_json = DjangoJSONEncoder().encode  # what canonical() dumps with


def _is_canonical(value: Any) -> bool:
    """Already what canonical() returns: str keys, and str, int, bool, None, lists."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return True
    if kind is dict:
        return all(type(k) is str and _is_canonical(v) for k, v in value.items())
    if kind is list or kind is tuple:
        return all(_is_canonical(v) for v in value)
    return False  # dates, decimals, floats, str enums: the round trip decides


def _data_json(data: dict | None) -> str:
    """canonical(data) as compute_hash dumps it, with prebuilt encoders (json.dumps builds
    a new encoder on every call that passes options); data already in canonical form (an
    import's events) is dumped once instead of dumped, parsed and dumped again."""
    if _is_canonical(data or {}):
        return _compact(data or {})
    return _compact(json.loads(_django_json(data or {})))


def append_many(events: list[NewEvent], *, actor=None) -> int:
    """Append many events in one go: one lock, hashes chained in memory, one COPY. Events
    whose idempotency key is already in the ledger are skipped; returns how many were
    appended."""
    if not events:
        return 0
    with transaction.atomic():
        return Appender(actor=actor).append(events)


class Appender:
    """Many appends in the caller's transaction (imports): the chain is locked and its head
    read once, then each `append` chains its events in memory and writes them with COPY.

    `append(..., fresh=True)` is for events whose idempotency keys name subjects created in
    this transaction (a new student's id): no earlier event can hold them, so they skip the
    lookup, and an import streaming its rows (apps.core.bulk.pipeline) never waits for it.
    """

    def __init__(self, *, actor=None) -> None:
        if not connection.in_atomic_block:
            raise RuntimeError("Appender needs a transaction: the chain lock lasts until it ends")
        _lock_chain()
        self.seq, self.prev = _head()
        self.actor_id = (
            getattr(actor, "pk", None) if actor is not None and getattr(actor, "is_authenticated", False) else None
        )
        self.actor_label = actor.get_username() if self.actor_id else (actor if isinstance(actor, str) else "")
        self.now = timezone.now()
        self.seen: set[str] = set()

    def _known(self, keys: list[str]) -> set[str]:
        # One array parameter rather than an IN list of thousands of literals.
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT idempotency_key FROM {connection.ops.quote_name(Event._meta.db_table)} "
                "WHERE idempotency_key = ANY(%s)",
                [keys],
            )
            return {row[0] for row in cursor.fetchall()}

    def append(self, events: list[NewEvent], *, fresh: bool = False, canonical: bool = False) -> int:
        """`canonical=True` is the caller's word that every event's data is already in
        canonical form (str keys; str, int, bool, None, lists and dicts of them): it is
        dumped as it is, without the walk that checks it (a sixth of an import's events)."""
        if not events:
            return 0
        seen = self.seen
        if not fresh:
            keys = [e.idempotency_key for e in events if e.idempotency_key and e.idempotency_key not in seen]
            if keys:
                seen |= self._known(keys)
        # The hash body is compute_hash's JSON list, built here from its parts: the timestamp
        # and the actor once per call, the data dumped once (sorted, as the list's dump would)
        # and reused for the row. tests/ledger checks the result against verify().
        dumps, text = _compact, encode_basestring  # text: what dumps does with a str, without its dispatch
        data_json = _compact if canonical else _data_json
        ts, actor_part = dumps(_timestamp(self.now)), f"{dumps(self.actor_id)},{dumps(self.actor_label)}"
        seq, prev = self.seq, self.prev
        occurred_at = timestamp(self.now)
        rows = []
        for event in events:
            key = event.idempotency_key
            if key:
                if key in seen:
                    continue
                seen.add(key)
            subject_type, subject_id = _subject(event.subject)
            seq += 1
            data = data_json(event.data or {})
            body = (
                f"[{seq},{text(event.kind)},{text(subject_type)},{text(subject_id)},{actor_part},"
                f"{data},{ts},{text(key) if key is not None else 'null'},{text(prev)}]"
            )
            prev_hash, prev = prev, hashlib.sha256(body.encode()).hexdigest()
            rows.append(
                {
                    "seq": seq,
                    "kind": event.kind,
                    "subject_type": subject_type,
                    "subject_id": subject_id,
                    "actor_id": self.actor_id,
                    "actor": self.actor_label,
                    "data": data,
                    "occurred_at": occurred_at,
                    "idempotency_key": key,
                    "prev_hash": prev_hash,
                    "hash": prev,
                }
            )
        # COPY, not bulk_create: an import of 100,000 rows appends several hundred thousand events.
        copy_insert(Event, rows, with_pk=False)
        if rows:
            _anchor(seq, prev)
        self.seq, self.prev = seq, prev
        return len(rows)


def last_hash() -> str:
    """The hash at the head of the current tenant's chain (GENESIS when empty)."""
    return _head()[1]


@dataclass
class Verification:
    ok: bool
    events: int
    head: str
    problem: str = ""
    at_seq: int | None = None
    unsealed: int = 0  # events written with deferred=True and not sealed yet (not checked)


def verify(batch_size: int = 5000) -> Verification:
    """Walk the whole chain: sequence without gaps, each prev_hash the hash before, each
    hash recomputed from the stored content; then compare its end with the head anchor
    (apps.ledger.anchor), which catches the newest events removed. Unsealed events
    (deferred appends not sealed yet) are counted, not checked: they are not in the chain."""
    expected_prev, expected_seq, count = GENESIS, 1, 0
    unsealed = Event.objects.filter(seq__isnull=True).count()
    for event in Event.objects.filter(seq__isnull=False).order_by("seq").iterator(chunk_size=batch_size):
        if event.seq != expected_seq:
            return Verification(False, count, expected_prev, f"sequence gap: expected {expected_seq}", event.seq)
        if event.prev_hash != expected_prev:
            return Verification(False, count, expected_prev, "previous hash does not match", event.seq)
        if event_hash(event) != event.hash:
            return Verification(False, count, expected_prev, "content does not match its hash", event.seq)
        expected_prev, expected_seq, count = event.hash, expected_seq + 1, count + 1
    problem, at_seq = check_anchor(count, expected_prev)
    if problem:
        return Verification(False, count, expected_prev, problem, at_seq, unsealed)
    return Verification(True, count, expected_prev, unsealed=unsealed)


def head_anchor():
    """This schema's head anchor (None when it has none)."""
    from .anchor.models import Head

    return Head.objects.filter(schema_name=connection.schema_name).first()


def check_anchor(seq: int, hash_: str, anchor=...) -> tuple[str, int | None]:
    """What is wrong with a chain ending at (seq, hash) against the anchor ('' if nothing)."""
    if anchor is ...:
        anchor = head_anchor()
    if anchor is None:
        if seq == 0:
            return "", None
        return f"no head anchor for a chain of {seq} events", seq
    if not anchor.signed:
        return "the head anchor's signature does not match (rewritten outside the ledger)", anchor.seq
    if anchor.seq > seq:
        return f"the newest events are missing: the chain ends at #{seq}, its anchor is at #{anchor.seq}", seq + 1
    if anchor.seq < seq:
        return f"events after the anchor (#{anchor.seq}) were written outside the ledger service", anchor.seq + 1
    if anchor.hash != hash_:
        return "the newest event does not match its anchor", seq
    return "", None


def checkpoint_problem(schema: str, checkpoint: dict) -> str:
    """A signed head exported earlier (a backup manifest's "anchor"): its signature must hold
    and the chain must still hold that event with that hash ('' when it does)."""
    import hmac

    from .anchor.models import sign

    seq, hash_ = checkpoint["seq"], checkpoint["hash"]
    if not hmac.compare_digest(str(checkpoint.get("signature", "")), sign(schema, seq, hash_)):
        return "the checkpoint's signature does not match"
    stored = Event.objects.filter(seq=seq).values_list("hash", flat=True).first()
    if stored is None:
        return f"event #{seq} of the checkpoint is missing"
    if stored != hash_:
        return f"event #{seq} does not match the checkpoint"
    return ""


def events_for(subject: Model | tuple[str, Any]):
    subject_type, subject_id = _subject(subject)
    return Event.objects.filter(subject_type=subject_type, subject_id=subject_id)
