"""The zone's landing page text (one ZoneSite row)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from apps.core.services import invalid, record

from ..models import ZoneSite

FIELDS = ("title", "tagline", "description", "field", "keywords")


@transaction.atomic
def save_site(site: ZoneSite, *, actor=None) -> ZoneSite:
    if not (site.title or "").strip():
        raise invalid(title=_("A site needs a title."))
    if site.pk is None and ZoneSite.objects.exists():
        raise invalid(title=_("The zone already has its site text: change it instead."))
    site.save()
    record("learning.site.saved", site, actor=actor, fields=list(FIELDS))
    return site
