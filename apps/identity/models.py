"""The universal identity registry (public schema): one row per real person across every
tenant, found by HMAC blind indexes of what identifies them. It holds no name, phone or
e-mail — only keyed hashes — and which tenants' profiles belong to the person."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Identity(models.Model):
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("universal identity")
        verbose_name_plural = _("universal identities")
        ordering = ["-pk"]

    def __str__(self) -> str:
        return f"#{self.pk}"


class IdentityKey(models.Model):
    """One identifying attribute of a person, as `apps.core.pii.blind_index(kind, value)`
    of its normalised form — the same digest the tenants keep as their phone index."""

    class Kind(models.TextChoices):
        PHONE = "phone", _("phone")
        EMAIL = "email", _("e-mail")
        PERSON = "person", _("name, birth date and guardian")

    identity = models.ForeignKey(Identity, verbose_name=_("identity"), on_delete=models.CASCADE, related_name="keys")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    digest = models.CharField(_("digest"), max_length=64)

    class Meta:
        verbose_name = _("identity key")
        verbose_name_plural = _("identity keys")
        constraints = [models.UniqueConstraint(fields=["kind", "digest"], name="identity_key_unique")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.digest[:12]}…"


class IdentityLink(models.Model):
    """A tenant's profile of the person (e.g. academy.guardian 12 in schema gangnam)."""

    # identity_id is indexed by the (identity, schema_name) index (its first column).
    identity = models.ForeignKey(
        Identity, verbose_name=_("identity"), on_delete=models.CASCADE, related_name="links", db_index=False
    )
    schema_name = models.CharField(_("tenant schema"), max_length=63)
    profile = models.CharField(_("profile type"), max_length=40)
    object_id = models.BigIntegerField(_("profile id"))
    linked_at = models.DateTimeField(_("linked"), auto_now_add=True)

    class Meta:
        verbose_name = _("identity link")
        verbose_name_plural = _("identity links")
        constraints = [
            models.UniqueConstraint(fields=["schema_name", "profile", "object_id"], name="identity_link_unique")
        ]
        indexes = [models.Index(fields=["identity", "schema_name"])]

    def __str__(self) -> str:
        return f"{self.schema_name}/{self.profile}/{self.object_id}"
