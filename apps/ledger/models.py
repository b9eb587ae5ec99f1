import pgtrigger
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.core.triggers import append_only

# The one UPDATE the ledger allows: sealing an event written unsealed (deferred=True),
# NULL seq/prev_hash/hash to values, its content unchanged. A sealed event stays as it is.
SEALING = (
    "OLD.seq IS NULL AND OLD.prev_hash IS NULL AND OLD.hash IS NULL "
    "AND NEW.seq IS NOT NULL AND NEW.prev_hash IS NOT NULL AND NEW.hash IS NOT NULL "
    "AND NEW.id = OLD.id AND NEW.kind = OLD.kind AND NEW.subject_type = OLD.subject_type "
    "AND NEW.subject_id = OLD.subject_id AND NEW.actor_id IS NOT DISTINCT FROM OLD.actor_id "
    "AND NEW.actor = OLD.actor AND NEW.data = OLD.data AND NEW.occurred_at = OLD.occurred_at "
    "AND NEW.idempotency_key IS NOT DISTINCT FROM OLD.idempotency_key"
)


def _ledger_triggers() -> list[pgtrigger.Trigger]:
    """append_only's, except that UPDATE is refused unless it is a sealing (SEALING); the
    trigger keeps the name append_only (pgtrigger.ignore("ledger.Event:append_only"))."""
    rest = [trigger for trigger in append_only("ledger") if trigger.name != "append_only"]
    return [
        pgtrigger.Trigger(
            name="append_only",
            when=pgtrigger.Before,
            operation=pgtrigger.Update | pgtrigger.Delete,
            func=(
                f"IF TG_OP = 'UPDATE' AND {SEALING} THEN RETURN NEW; END IF; "
                "RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;"
            ),
        ),
        *rest,
    ]


class Event(models.Model):
    """One business event in a tenant's immutable, hash-chained ledger.

    `seq` is gapless (appends are serialised per schema), `prev_hash` is the hash of the
    event before, and `hash` covers this event's content and `prev_hash`: changing or
    removing any past event breaks every hash after it. The database itself refuses
    UPDATE, DELETE and TRUNCATE on this table, except the one update that seals an event
    appended with deferred=True (seq, prev_hash and hash NULL until then).
    """

    seq = models.BigIntegerField(_("sequence"), unique=True, null=True, editable=False)
    kind = models.CharField(_("kind"), max_length=80)
    subject_type = models.CharField(_("subject type"), max_length=60, blank=True)
    subject_id = models.CharField(_("subject id"), max_length=64, blank=True)
    actor_id = models.BigIntegerField(_("actor id"), null=True, blank=True)
    actor = models.CharField(_("actor"), max_length=150, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    occurred_at = models.DateTimeField(_("occurred at"), default=timezone.now, db_index=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, null=True, blank=True)  # noqa: DJ001  NULLs never collide
    prev_hash = models.CharField(_("previous hash"), max_length=64, null=True)  # noqa: DJ001  NULL: unsealed
    hash = models.CharField(_("hash"), max_length=64, null=True)  # noqa: DJ001  NULL: unsealed

    class Meta:
        verbose_name = _("ledger event")
        verbose_name_plural = _("ledger events")
        ordering = ["seq"]
        # Constraints and plain indexes, not unique=True/db_index=True: those add a second
        # varchar_pattern_ops index per column, which no query uses and every append pays for.
        # No index on `hash`: `seq` is unique and each hash covers the one before, so the
        # chain cannot hold a hash twice short of a SHA-256 collision, and no query looks a
        # hash up. It was the ledger's dearest index (64 random hex characters: each insert
        # lands on a random page), paid by every append and 160,000 times by a large import.
        constraints = [
            models.UniqueConstraint(fields=["idempotency_key"], name="ledger_event_idempotency_once"),
        ]
        indexes = [
            models.Index(fields=["subject_type", "subject_id", "seq"], name="ledger_subject_idx"),
            models.Index(fields=["kind"], name="ledger_kind_idx"),
            # The sealers' look for unsealed events: an index of the few not sealed yet.
            models.Index(fields=["id"], condition=models.Q(seq__isnull=True), name="ledger_unsealed_idx"),
        ]
        triggers = _ledger_triggers()

    def __str__(self) -> str:
        return f"#{self.seq if self.seq is not None else '-'} {self.kind} {self.subject_type}:{self.subject_id}"
