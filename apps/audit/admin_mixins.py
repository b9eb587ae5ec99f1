"""Every change made through any admin site lands in the audit log: the per-type admin
sites (apps.core.admin_sites) mix this into every ModelAdmin they serve. It hooks the
admin's own change-logging (which also keeps Django's LogEntry) and admin actions."""

from __future__ import annotations

from . import actions
from .services import record


def _message(message) -> object:
    # The admin's change message is either text or the JSON list it builds from forms.
    if isinstance(message, list):
        return message
    return str(message) if message else ""


class AuditedAdminMixin:
    def log_addition(self, request, obj, message):
        result = super().log_addition(request, obj, message)
        record(actions.ADMIN_ADD, resource=obj, request=request, details={"message": _message(message)})
        return result

    def log_change(self, request, obj, message):
        result = super().log_change(request, obj, message)
        record(actions.ADMIN_CHANGE, resource=obj, request=request, details={"message": _message(message)})
        return result

    def log_deletions(self, request, queryset):
        # Called before the rows go, inside the deletion's transaction.
        for obj in queryset:
            record(actions.ADMIN_DELETE, resource=obj, request=request)
        return super().log_deletions(request, queryset)

    def response_action(self, request, queryset):
        name = request.POST.get("action", "")
        selected = request.POST.getlist("_selected_action")
        response = super().response_action(request, queryset)
        # "delete_selected" is already recorded row by row (log_deletions); record the
        # other actions, which change data without the admin logging anything.
        chosen = bool(selected) or request.POST.get("select_across") == "1"
        if chosen and name and name != "delete_selected" and name in self.get_actions(request):
            record(
                actions.ADMIN_ACTION,
                resource=(queryset.model._meta.label_lower, ""),
                request=request,
                details={"action": name, "selected": selected[:500], "count": len(selected)},
            )
        return response
