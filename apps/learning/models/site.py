from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ZoneSite(models.Model):
    """What the zone's public landing page says about it (one row per zone): title,
    description and OpenGraph tags, the field it prepares for."""

    title = models.CharField(_("title"), max_length=100)
    tagline = models.CharField(_("tagline"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    field = models.CharField(_("field"), max_length=100, blank=True)
    keywords = models.CharField(_("keywords"), max_length=300, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("zone site")
        verbose_name_plural = _("zone site")

    def __str__(self) -> str:
        return self.title

    @classmethod
    def current(cls) -> ZoneSite:
        """The zone's row (an unsaved default from the tenant's name when none is stored)."""
        row = cls.objects.order_by("pk").first()
        if row is None:
            from django.db import connection

            tenant = getattr(connection, "tenant", None)
            row = cls(title=getattr(tenant, "name", "") or "MegaCity")
        return row
