"""The portal's action in the academy admin: invite guardians to the parent portal.

The academy's GuardianAdmin knows nothing of the portal; the portal adds its action to it
(the portal depends on the academy, never the other way round)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from apps.academy.admin import GuardianAdmin

from .invitations import invite


@admin.action(description=_("Invite to the parent portal (KakaoTalk/SMS link)"), permissions=["change"])
def invite_to_portal(modeladmin, request, queryset):
    sent, refused = 0, []
    for guardian in queryset:
        try:
            invite(guardian, base_url=request.build_absolute_uri("/"), actor=request.user)
            sent += 1
        except ValidationError as exc:
            refused.append(f"{guardian}: {exc.messages[0]}")
    if sent:
        modeladmin.message_user(request, ngettext("%d guardian invited.", "%d guardians invited.", sent) % sent)
    if refused:
        modeladmin.message_user(request, "; ".join(refused), level=messages.WARNING)


GuardianAdmin.actions = [*GuardianAdmin.actions, invite_to_portal]
