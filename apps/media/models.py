"""Per-tenant record of every media object: what the bytes were found to be."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    VOICE = "voice", _("voice")
    VIDEO = "video", _("video")
    IMAGE = "image", _("image")
    ATTACHMENT = "attachment", _("attachment")
    JSON = "json", _("JSON data")


class MediaObject(models.Model):
    class Status(models.TextChoices):
        # A presigned PUT was handed out; the bytes are not checked yet.
        PENDING = "pending", _("pending upload")
        READY = "ready", _("ready")

    key = models.CharField(_("key"), max_length=512, unique=True, help_text=_("Relative to the tenant's prefix."))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.READY)
    size = models.BigIntegerField(_("size (bytes)"), default=0)
    # Declared by the uploader at presign time; replaced by the sniffed type once checked.
    content_type = models.CharField(_("content type"), max_length=100)
    duration_seconds = models.FloatField(_("duration (s)"), null=True, blank=True)
    streams = models.JSONField(_("streams"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="media_objects",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    expires_at = models.DateTimeField(_("upload expires"), null=True, blank=True)
    # Where a pending upload's PUT goes (services: "incoming" names); empty once ready.
    incoming = models.CharField(_("incoming name"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("media object")
        verbose_name_plural = _("media objects")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.key
