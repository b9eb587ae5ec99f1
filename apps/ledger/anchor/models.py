import hmac

import pgtrigger
from django.conf import settings
from django.db import models
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

TABLE = "ledger_anchor_head"


def sign(schema: str, seq: int, hash_: str) -> str:
    """HMAC-SHA256 of the head with LEDGER_ANCHOR_KEY (SECRET_KEY when unset)."""
    secret = getattr(settings, "LEDGER_ANCHOR_KEY", "") or settings.SECRET_KEY
    return salted_hmac(
        "megacity.ledger.anchor", f"{schema}:{seq}:{hash_}", secret=secret, algorithm="sha256"
    ).hexdigest()


class Head(models.Model):
    """The newest event of one schema's ledger, as the appends left it."""

    schema_name = models.CharField(_("schema"), max_length=63, primary_key=True)
    seq = models.BigIntegerField(_("sequence"))
    hash = models.CharField(_("hash"), max_length=64)
    signature = models.CharField(_("signature"), max_length=64)
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        db_table = TABLE
        verbose_name = _("ledger head anchor")
        verbose_name_plural = _("ledger head anchors")
        triggers = [
            # A head only moves forward: rewinding it to hide deleted events is refused.
            pgtrigger.Trigger(
                name="head_only_forward",
                level=pgtrigger.Row,
                when=pgtrigger.Before,
                operation=pgtrigger.Update,
                condition=pgtrigger.Q(new__seq__lt=pgtrigger.F("old__seq")),
                func="RAISE EXCEPTION 'ledger head anchor only moves forward'; RETURN NULL;",
            ),
            pgtrigger.Trigger(
                name="no_truncate",
                level=pgtrigger.Statement,
                when=pgtrigger.Before,
                operation=pgtrigger.Truncate,
                func="RAISE EXCEPTION 'ledger head anchors: TRUNCATE refused'; RETURN NULL;",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.schema_name} #{self.seq}"

    @property
    def signed(self) -> bool:
        return hmac.compare_digest(self.signature, sign(self.schema_name, self.seq, self.hash))


def forget_dropped_tenant(sender, instance, **kwargs) -> None:
    """A dropped tenant's schema is gone, and so is its anchor (a new tenant may reuse the name)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f'DELETE FROM "public".{TABLE} WHERE schema_name = %s', [instance.schema_name])
