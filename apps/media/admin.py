"""Each tenant's media objects in its admin: what every stored file was found to be, with a
short-lived link to play it. Read-only; deleting goes through the service (the file, the row
and a ledger event together)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from . import services
from .models import MediaObject


@admin.register(MediaObject)
class MediaObjectAdmin(admin.ModelAdmin):
    list_display = ["key", "kind", "status", "size", "content_type", "duration_seconds", "created_by", "created_at"]
    list_filter = ["kind", "status"]
    search_fields = ["key"]
    readonly_fields = [
        "key",
        "kind",
        "status",
        "size",
        "content_type",
        "duration_seconds",
        "streams",
        "created_by",
        "created_at",
        "playback",
    ]
    exclude = ["incoming", "expires_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("play"))
    def playback(self, obj: MediaObject) -> str:
        if obj.status != MediaObject.Status.READY:
            return "-"
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a>', services.playback_url(obj.key), _("open")
        )

    def delete_model(self, request, obj: MediaObject) -> None:
        services.delete(obj.key, user=request.user)

    def delete_queryset(self, request, queryset) -> None:
        for obj in queryset:
            services.delete(obj.key, user=request.user)
