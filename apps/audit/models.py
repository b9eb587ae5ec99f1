from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.core.triggers import append_only


class AuditEntry(models.Model):
    """Who did what to which record, from where, and when — one row per event, in every
    schema. Written only by apps.audit.services.record(); the database refuses UPDATE,
    DELETE and TRUNCATE on the table.

    `actor` is a foreign key without a database constraint: deleting a user must not
    touch (UPDATE or DELETE) the rows that record what they did, so the row keeps the id
    and `actor_username` keeps the name it had.
    """

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_username = models.CharField(_("actor username"), max_length=150, blank=True, db_index=True)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    resource_type = models.CharField(_("resource type"), max_length=100, blank=True)
    resource_id = models.CharField(_("resource id"), max_length=64, blank=True)
    resource_repr = models.CharField(_("resource"), max_length=200, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=400, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["resource_type", "resource_id", "at"], name="audit_resource_idx"),
            models.Index(fields=["actor", "at"], name="audit_actor_idx"),
        ]
        triggers = append_only("audit log")

    def __str__(self) -> str:
        who = self.actor_username or "—"
        what = f" {self.resource_type}:{self.resource_id}" if self.resource_type else ""
        return f"{self.at:%Y-%m-%d %H:%M:%S} {who} {self.action}{what}"
