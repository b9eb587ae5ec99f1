"""`{% load kzone %}{% kzone_link %}`: a link to the K-Zone tutors on a learner's page, when
the zone has tutor content and the user may use it (learning's dashboard shows it without
importing this app)."""

from __future__ import annotations

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

register = template.Library()


@register.simple_tag(takes_context=True)
def kzone_link(context) -> str:
    from apps.accounts.permissions import has_permission

    from ..models import Choreography, DramaScene, VoiceLine

    user = getattr(context.get("request"), "user", None)
    if user is None or not user.is_authenticated or not has_permission(user, "tutor:use"):
        return ""
    if not any(model.objects.filter(published=True).exists() for model in (VoiceLine, DramaScene, Choreography)):
        return ""
    try:
        url = reverse("kzone:hub")
    except NoReverseMatch:
        return ""
    return format_html(
        '<p class="kzone-link"><a href="{}">{}</a> — {}</p>',
        url,
        _("K-Zone AI tutors"),
        _("voice tutor, drama coach, dance lab"),
    )
