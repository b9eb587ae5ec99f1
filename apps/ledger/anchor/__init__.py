"""The ledger's head anchor: each schema's latest event (seq, hash), kept in the public
schema and signed, so deleting the newest events of a chain cannot go unnoticed.

A hash chain proves its past, not its end: remove the last event (triggers disabled) and
what is left is still a valid chain. Every append therefore also moves this schema's row in
`public.ledger_anchor_head` forward, in the same transaction; the row is signed with
LEDGER_ANCHOR_KEY (a server secret, not in the database) and PostgreSQL refuses to move it
backwards. `verify()` compares the chain's end with it; backups carry it in their manifest.
"""
