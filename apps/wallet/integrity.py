"""Proof that the club's money adds up (`manage.py verify_wallet`, and after every wallet
test): the chain of transfers is unbroken and every hash recomputes; every transfer's legs
sum to zero; every cached balance equals the sum of its account's postings; all balances
together sum to zero; no player or table balance is negative; every pending hold is still
on its player's pending account."""

from __future__ import annotations

from django.db import connection, transaction

from .services.core import GENESIS, Request, chain_hash


def problems(*, limit: int = 50) -> list[str]:
    found: list[str] = []

    def note(message: str) -> bool:
        found.append(message)
        return len(found) >= limit

    outermost = not connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        if outermost:  # one consistent snapshot for every check below
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        cursor.execute(
            "SELECT t.seq, t.idempotency_key, t.kind, t.reference, t.digest, t.actor_id, t.created_at,"
            " t.prev_hash, t.hash, array_agg(p.account_id ORDER BY p.account_id),"
            " array_agg(p.amount ORDER BY p.account_id)"
            " FROM wallet_transfer t LEFT JOIN wallet_posting p ON p.transfer_id = t.id"
            " GROUP BY t.id ORDER BY t.seq"
        )
        expected_seq, prev = 1, GENESIS
        while rows := cursor.fetchmany(5000):
            for seq, key, kind, reference, digest, actor_id, created_at, prev_hash, hash_, accounts, amounts in rows:
                legs = tuple(zip(accounts, amounts, strict=True)) if accounts[0] is not None else ()
                if seq != expected_seq and note(f"transfer seq {seq}: expected {expected_seq} (a gap or a reorder)"):
                    return found
                if prev_hash != prev and note(f"transfer #{seq}: prev_hash does not match the hash of #{seq - 1}"):
                    return found
                total = sum(amount for _a, amount in legs)
                if (total != 0 or len(legs) < 2) and note(
                    f"transfer #{seq} ({key}): {len(legs)} legs summing to {total}"
                ):
                    return found
                content = Request(key=key, kind=kind, legs=legs, reference=reference).digest
                if content != digest and note(f"transfer #{seq} ({key}): its content does not match its digest"):
                    return found
                recomputed = chain_hash(
                    seq=seq,
                    key=key,
                    kind=kind,
                    reference=reference,
                    digest=digest,
                    legs=legs,
                    actor_id=actor_id,
                    created_at=created_at,
                    prev_hash=prev_hash,
                )
                if recomputed != hash_ and note(f"transfer #{seq} ({key}): hash does not recompute"):
                    return found
                expected_seq, prev = seq + 1, hash_
        cursor.execute(
            "SELECT a.code, a.balance, coalesce(p.total, 0) FROM wallet_account a"
            " LEFT JOIN (SELECT account_id, sum(amount) AS total FROM wallet_posting GROUP BY account_id) p"
            " ON p.account_id = a.id WHERE a.balance <> coalesce(p.total, 0) ORDER BY a.id"
        )
        for code, cached, total in cursor.fetchall():
            if note(f"account {code}: cached balance {cached} but postings sum to {total}"):
                return found
        cursor.execute("SELECT coalesce(sum(balance), 0) FROM wallet_account")
        (total,) = cursor.fetchone()
        if total != 0 and note(f"all balances sum to {total}, not zero"):
            return found
        cursor.execute("SELECT code, balance FROM wallet_account WHERE balance < 0 AND NOT allow_negative")
        for code, value in cursor.fetchall():
            if note(f"account {code} is negative: {value}"):
                return found
        cursor.execute(
            "SELECT a.code, a.balance, coalesce(h.total, 0) FROM wallet_account a"
            " LEFT JOIN (SELECT pa.id, sum(h.amount) AS total FROM wallet_hold h"
            "   JOIN wallet_account av ON av.id = h.account_id"
            "   JOIN wallet_account pa ON pa.user_id = av.user_id AND pa.kind = 'pending'"
            "   WHERE h.state = 'pending' GROUP BY pa.id) h ON h.id = a.id"
            " WHERE a.kind = 'pending' AND a.balance <> coalesce(h.total, 0)"
        )
        for code, value, held in cursor.fetchall():
            if note(f"account {code} holds {value} but its pending holds total {held}"):
                return found
    return found
