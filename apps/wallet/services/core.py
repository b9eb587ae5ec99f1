"""The double-entry core: transfers between accounts, holds, and the hash chain.

    from apps.wallet.services import core
    core.transfer(key="buyin:table-7:hand-0:42", kind="buy_in",
                  legs=[(player_account, -50_000), (escrow, 50_000)], actor=user)

What holds, and where:

- A transfer's legs sum to zero: checked here, and by PostgreSQL at COMMIT (a deferred
  constraint trigger on both tables), so no code path can commit money out of nothing.
- A player's (and a table's) balance never goes below zero: refused here with a clear
  error, and by a CHECK on the account row.
- Every transfer carries a caller-chosen idempotency key (UNIQUE). Sending it again returns
  the first transfer; the same key with other legs, kind or reference is refused.
- Locks, always in this order: the club's books (a transaction-scoped advisory lock), then
  the accounts in one fixed order (players by id, then hot accounts — house, escrows — by
  id). Two writers can never wait on each other in a cycle. Taking the books lock first
  also means writers queue asleep on one lock instead of in a convoy of row locks on the
  hot accounts; code that locks wallet rows itself calls `lock_books()` first.
- Transfers form one hash chain per club (seq gapless; each hash covers the transfer, its
  legs and the hash before), written under the books lock; a batch of many transfers pays
  for it once, in four round trips whatever its size (TigerBeetle's lesson: batch).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Account, Hold, Transfer

GENESIS = "0" * 64
MAX_AMOUNT = 10**15  # a quadrillion won: anything larger is a bug, not a bet


class WalletError(ValidationError):
    """A refused money movement; `code` says why, the message names the field."""


class InsufficientFunds(WalletError):
    pass


class IdempotencyConflict(WalletError):
    pass


def invalid(code: str = "invalid", **errors: str) -> WalletError:
    return WalletError({name: [ValidationError(message, code=code)] for name, message in errors.items()})


# ---------------------------------------------------------------------------- accounts


def _account(code: str, kind: str, *, user=None, reference: str = "", hot: bool = False) -> Account:
    account = Account.objects.filter(code=code).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            return Account.objects.create(
                code=code,
                kind=kind,
                user=user,
                reference=reference,
                hot=hot,
                allow_negative=kind in Account.MAY_GO_NEGATIVE,
            )
    except IntegrityError:  # created meanwhile by another transaction
        return Account.objects.get(code=code)


def player_account(user) -> Account:
    """The player's available balance."""
    return _account(f"player:{user.pk}", Account.Kind.PLAYER, user=user)


def pending_account(user) -> Account:
    """What the player has asked to withdraw and is not paid out yet."""
    return _account(f"pending:{user.pk}", Account.Kind.PENDING, user=user)


def escrow_account(table_ref: str) -> Account:
    """The chips on one table."""
    return _account(f"escrow:{table_ref}", Account.Kind.ESCROW, reference=str(table_ref), hot=True)


def house_account(kind: str) -> Account:
    """`rake` (revenue), `rakeback` (expense) or `equity` (the house's own money)."""
    if kind not in (Account.Kind.RAKE, Account.Kind.RAKEBACK, Account.Kind.EQUITY):
        raise invalid(kind=_("Not a house account: %(kind)s") % {"kind": kind})
    return _account(f"house:{kind}", kind, hot=True)


def gateway_account(coin: str) -> Account:
    """Money that came in (or went out) through the payment gateway in one coin."""
    return _account(f"gateway:{coin.upper()}", Account.Kind.GATEWAY, reference=coin.upper(), hot=True)


# ---------------------------------------------------------------------------- requests


@dataclass(frozen=True)
class Request:
    key: str
    kind: str
    legs: tuple[tuple[int, int], ...]  # (account id, signed amount), sorted by account id
    reference: str = ""

    @property
    def digest(self) -> str:
        body = json.dumps([self.kind, [list(leg) for leg in self.legs], self.reference], separators=(",", ":"))
        return hashlib.sha256(body.encode()).hexdigest()


@dataclass
class Result:
    key: str
    status: str  # created | replayed | refused
    transfer_id: int | None = None
    seq: int | None = None
    error: WalletError | None = None

    @property
    def ok(self) -> bool:
        return self.status != "refused"


def _account_id(account) -> int:
    return account if isinstance(account, int) else account.pk


def make_request(*, key: str, kind: str, legs: Iterable, reference: str = "", row: int | None = None) -> Request:
    """Check one transfer's shape (not balances) and return it normalised.
    Errors name the field (and the row of a batch)."""
    where = "" if row is None else f"[{row}]"
    if not isinstance(key, str) or not key.strip() or len(key) > 200:
        raise invalid(**{f"idempotency_key{where}": _("Give an idempotency key of 1 to 200 characters.")})
    if not isinstance(kind, str) or not kind or len(kind) > 40:
        raise invalid(**{f"kind{where}": _("Give a kind of 1 to 40 characters.")})
    if len(reference) > 200:
        raise invalid(**{f"reference{where}": _("The reference is longer than 200 characters.")})
    merged: dict[int, int] = {}
    for index, leg in enumerate(legs):
        account, amount = leg
        if isinstance(amount, bool) or not isinstance(amount, int) or amount == 0 or abs(amount) > MAX_AMOUNT:
            raise invalid(
                **{
                    f"legs{where}[{index}].amount": _("An amount is a whole number of won, not zero: %(v)r")
                    % {"v": amount}
                }
            )
        account_id = _account_id(account)
        if account_id in merged:
            raise invalid(**{f"legs{where}[{index}].account": _("Account %(id)s appears twice.") % {"id": account_id}})
        merged[account_id] = amount
    if len(merged) < 2:
        raise invalid(**{f"legs{where}": _("A transfer needs at least two legs.")})
    total = sum(merged.values())
    if total != 0:
        raise invalid(**{f"legs{where}": _("The legs sum to %(total)s won, not zero.") % {"total": total}})
    return Request(key=key, kind=kind, legs=tuple(sorted(merged.items())), reference=reference)


# ---------------------------------------------------------------------------- the chain


def _ts(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def chain_hash(
    *,
    seq: int,
    key: str,
    kind: str,
    reference: str,
    digest: str,
    legs: Sequence[tuple[int, int]],
    actor_id: int | None,
    created_at: datetime,
    prev_hash: str,
) -> str:
    body = json.dumps(
        [seq, key, kind, reference, digest, [list(leg) for leg in legs], actor_id, _ts(created_at), prev_hash],
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(body.encode()).hexdigest()


def _lock_chain(cursor) -> None:
    cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"{connection.schema_name}.wallet"])


def lock_books() -> None:
    """Take the club's books lock (held until the transaction ends) before locking any
    wallet row yourself: the one order every writer follows is books, then accounts."""
    if not connection.in_atomic_block:
        raise RuntimeError("lock_books() holds until the transaction ends: call it inside transaction.atomic()")
    with connection.cursor() as cursor:
        _lock_chain(cursor)


# ---------------------------------------------------------------------------- transfers


def transfer_batch(requests: Sequence[Request], *, actor=None) -> list[Result]:
    """Apply many transfers in one database transaction: one result per request, in order.

    Each transfer is all-or-nothing on its own (a refused one writes nothing, the others
    go through); the batch commits or rolls back as one. Requests are checked in order, so
    a later transfer sees the balances the earlier ones left.
    """
    if not requests:
        return []
    actor_id = getattr(actor, "pk", None) if getattr(actor, "is_authenticated", False) else None
    account_ids = sorted({account_id for request in requests for account_id, _amount in request.legs})
    keys = list({request.key for request in requests})
    # Whatever does not need the books is done before taking them: the lock is the
    # bottleneck of every writer in the club.
    digests = [request.digest for request in requests]
    with transaction.atomic(), connection.cursor() as cursor:
        # 1. The club's books, first: every writer queues here, asleep, and the holder then
        # takes its row locks without meeting anyone (no convoy on hot accounts). Under it,
        # the keys seen are final: every writer inserts under it.
        _lock_chain(cursor)
        # 2. Row locks on every account touched, in the one global order.
        cursor.execute(
            "SELECT id, balance, allow_negative, code FROM wallet_account WHERE id = ANY(%s)"
            " ORDER BY hot, id FOR UPDATE",
            [account_ids],
        )
        accounts = {row[0]: row for row in cursor.fetchall()}
        missing = [account_id for account_id in account_ids if account_id not in accounts]
        if missing:
            raise invalid(account=_("No such wallet account: %(ids)s") % {"ids": ", ".join(map(str, missing))})
        balances = {account_id: row[1] for account_id, row in accounts.items()}
        # The keys already used and the chain's head, in one round trip (the head row has no key).
        cursor.execute(
            "SELECT idempotency_key, id, seq, digest FROM wallet_transfer WHERE idempotency_key = ANY(%s)"
            " UNION ALL (SELECT NULL, NULL, seq, hash FROM wallet_transfer ORDER BY seq DESC LIMIT 1)",
            [keys],
        )
        seen: dict[str, tuple[int | None, int | None, str]] = {}
        head = None
        for key, id_, seq_, digest_ in cursor.fetchall():
            if key is None:
                head = (seq_, digest_)
            else:
                seen[key] = (id_, seq_, digest_)
        seq, prev_hash = head if head else (0, GENESIS)
        head_hash = prev_hash

        results: list[Result] = []
        new: list[tuple[Request, int, str, str]] = []  # request, seq, hash, digest
        now = timezone.now()
        for request, digest in zip(requests, digests, strict=True):
            if request.key in seen:
                _id, first_seq, first_digest = seen[request.key]
                if first_digest != digest:
                    results.append(
                        Result(
                            request.key,
                            "refused",
                            error=IdempotencyConflict(
                                {
                                    "idempotency_key": [
                                        ValidationError(
                                            _(
                                                "Idempotency key %(key)s was used for another transfer"
                                                " (other kind, legs or reference)."
                                            )
                                            % {"key": request.key},
                                            code="idempotency_conflict",
                                        )
                                    ]
                                }
                            ),
                        )
                    )
                else:
                    results.append(Result(request.key, "replayed", transfer_id=_id, seq=first_seq))
                continue
            short = [
                account_id
                for account_id, amount in request.legs
                if not accounts[account_id][2] and balances[account_id] + amount < 0
            ]
            if short:
                row = accounts[short[0]]
                results.append(
                    Result(
                        request.key,
                        "refused",
                        error=InsufficientFunds(
                            {
                                "amount": [
                                    ValidationError(
                                        _("Account %(code)s holds %(balance)s won, not enough for this transfer.")
                                        % {"code": row[3], "balance": f"{balances[short[0]]:,}"},
                                        code="insufficient_funds",
                                    )
                                ]
                            }
                        ),
                    )
                )
                continue
            for account_id, amount in request.legs:
                balances[account_id] += amount
            seq += 1
            prev_hash = chain_hash(
                seq=seq,
                key=request.key,
                kind=request.kind,
                reference=request.reference,
                digest=digest,
                legs=request.legs,
                actor_id=actor_id,
                created_at=now,
                prev_hash=prev_hash,
            )
            new.append((request, seq, prev_hash, digest))
            seen[request.key] = (None, seq, digest)  # a repeat later in this batch replays it
            results.append(Result(request.key, "created", seq=seq))

        if new:
            ids_by_seq = _write(
                cursor,
                new,
                head_hash=head_hash,
                actor_id=actor_id,
                created_at=now,
                old=accounts,
                balances=balances,
            )
            for result in results:
                if result.transfer_id is None and result.seq in ids_by_seq:
                    result.transfer_id = ids_by_seq[result.seq]
    return results


def _write(cursor, new, *, head_hash, actor_id, created_at, old, balances) -> dict[int, int]:
    """The batch's rows: transfers, postings, balances; one statement whatever its size.
    Returns {seq: transfer id}."""
    seqs, keys, kinds, refs, digests, hashes = [], [], [], [], [], []
    for request, seq, hash_, digest in new:
        seqs.append(seq)
        keys.append(request.key)
        kinds.append(request.kind)
        refs.append(request.reference)
        digests.append(digest)
        hashes.append(hash_)
    prevs = [head_hash, *hashes[:-1]]  # each row's prev_hash is the hash of the row before
    leg_seqs, account_ids, amounts = [], [], []
    for request, seq, _hash, _digest in new:
        for account_id, amount in request.legs:
            leg_seqs.append(seq)
            account_ids.append(account_id)
            amounts.append(amount)
    changed = [account_id for account_id in balances if balances[account_id] != old[account_id][1]]
    # One statement, one round trip under the chain lock: transfers, their postings (joined
    # on seq to the ids just made) and the new cached balances.
    cursor.execute(
        "WITH t AS ("
        "  INSERT INTO wallet_transfer"
        "  (seq, idempotency_key, kind, reference, digest, actor_id, created_at, prev_hash, hash)"
        "  SELECT s, k, kd, r, d, %s, %s, p, h"
        "  FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[])"
        "  AS v(s, k, kd, r, d, p, h) RETURNING seq, id"
        "), p AS ("
        "  INSERT INTO wallet_posting (transfer_id, account_id, amount)"
        "  SELECT t.id, v.a, v.m FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[]) AS v(s, a, m)"
        "  JOIN t ON t.seq = v.s"
        "), u AS ("
        "  UPDATE wallet_account AS a SET balance = v.balance"
        "  FROM unnest(%s::bigint[], %s::bigint[]) AS v(id, balance) WHERE a.id = v.id"
        ") SELECT seq, id FROM t",
        [
            actor_id,
            created_at,
            seqs,
            keys,
            kinds,
            refs,
            digests,
            prevs,
            hashes,
            leg_seqs,
            account_ids,
            amounts,
            changed,
            [balances[account_id] for account_id in changed],
        ],
    )
    ids_by_seq = dict(cursor.fetchall())
    return ids_by_seq


def transfer(*, key: str, kind: str, legs: Iterable, actor=None, reference: str = "") -> Transfer:
    """One transfer; returns it (the first one, with `.replayed` set, for a repeated key). Raises WalletError
    (InsufficientFunds, IdempotencyConflict, or a field error) and writes nothing."""
    request = make_request(key=key, kind=kind, legs=legs, reference=reference)
    (result,) = transfer_batch([request], actor=actor)
    if result.error is not None:
        raise result.error
    moved = Transfer.objects.get(pk=result.transfer_id)
    moved.replayed = result.status == "replayed"  # callers record a movement once
    return moved


def balance(account: Account) -> int:
    return Account.objects.values_list("balance", flat=True).get(pk=account.pk)


# ---------------------------------------------------------------------------- holds


def place_hold(*, user, amount: int, key: str, kind: str, actor=None) -> Hold:
    """Set `amount` aside from the player's available balance (moved to their pending
    account). The same key again returns the first hold."""
    existing = Hold.objects.filter(idempotency_key=key).first()
    if existing is not None:
        if existing.amount != amount or existing.account.user_id != user.pk or existing.kind != kind:
            raise IdempotencyConflict(
                {
                    "idempotency_key": [
                        ValidationError(
                            _("Idempotency key %(key)s was used for another hold.") % {"key": key},
                            code="idempotency_conflict",
                        )
                    ]
                }
            )
        return existing
    available, pending = player_account(user), pending_account(user)
    with transaction.atomic():
        placed = transfer(
            key=f"hold:{key}", kind=f"{kind}.hold", legs=[(available, -amount), (pending, amount)], actor=actor
        )
        hold, _created = Hold.objects.get_or_create(
            idempotency_key=key, defaults={"kind": kind, "account": available, "amount": amount, "placed": placed}
        )
    return hold


def _resolve(hold: Hold, *, state: str, to_account: Account, actor=None) -> Hold:
    with transaction.atomic():
        locked = Hold.objects.select_for_update().get(pk=hold.pk)
        if locked.state == state:
            return locked  # a repeat of the same resolution
        if locked.state != Hold.State.PENDING:
            raise invalid(
                "hold_resolved", state=_("This hold is already %(state)s.") % {"state": locked.get_state_display()}
            )
        pending = pending_account(locked.account.user)
        moved = transfer(
            key=f"hold:{locked.idempotency_key}:{state}",
            kind=f"{locked.kind}.{state}",
            legs=[(pending, -locked.amount), (to_account, locked.amount)],
            actor=actor,
        )
        updated = Hold.objects.filter(pk=locked.pk, state=Hold.State.PENDING).update(
            state=state, resolved=moved, resolved_at=timezone.now()
        )
        assert updated == 1
        locked.refresh_from_db()
    return locked


def post_hold(hold: Hold, *, to_account: Account, actor=None) -> Hold:
    """The held money leaves the player for good (paid out): pending → `to_account`."""
    return _resolve(hold, state=Hold.State.POSTED, to_account=to_account, actor=actor)


def void_hold(hold: Hold, *, actor=None) -> Hold:
    """The held money goes back to the player's available balance."""
    return _resolve(hold, state=Hold.State.VOIDED, to_account=hold.account, actor=actor)
