"""Admin pieces every app uses (nothing is registered here).

@admin.register(Event)
class EventAdmin(ReadOnlyAdminMixin, PermissionAdminMixin, admin.ModelAdmin):
    ...                                  # viewable by `permissions["view"]`, never written

class GatewayConfigForm(SecretsForm):
    secret = SecretField(label=_("secret key"))   # never shown; left empty keeps the stored one
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _


class ReadOnlyAdminMixin:
    """Rows written only by services (ledgers, logs, registries): the admin shows them and
    offers no add, change or delete. Put it before PermissionAdminMixin."""

    def has_add_permission(self, request, *args) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadPermissionOnlyMixin:
    """Records a role only reads: viewing needs `<resource>:read`, and no create, update or
    delete permission stands in for it (those admin actions fall back to superusers)."""

    def role_permission(self, admin_action: str) -> str | None:
        return f"{self.permission_resource}:read" if admin_action == "view" else None


class ReadOnlyInline(admin.TabularInline):
    """Rows shown under their parent and never added or deleted there; `fields` (or
    `readonly_fields` when given) are shown read-only."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields or self.fields or ()

    def has_add_permission(self, request, obj=None) -> bool:
        return False


def admin_permissions(view: str, change: str | None = None) -> dict[str, str]:
    """PermissionAdminMixin.permissions for an admin read with `view` and written (added,
    changed, deleted) with `change` (default: `view`)."""
    change = change or view
    return {"view": view, "add": change, "change": change, "delete": change}


class SecretField(forms.CharField):
    """A write-only secret (an API key): the form never renders the stored value, and a
    field left empty keeps it (SecretsForm)."""

    def __init__(self, *, label, help_text=None, **kwargs):
        help_text = _("Leave empty to keep the current one.") if help_text is None else help_text
        kwargs.setdefault("widget", forms.PasswordInput(render_value=False))
        super().__init__(label=label, help_text=help_text, required=False, **kwargs)


class SecretsForm(forms.ModelForm):
    """A model form whose SecretFields left empty keep the instance's current value."""

    def clean(self):
        data = super().clean()
        for name, field in self.fields.items():
            if isinstance(field, SecretField) and not data.get(name):
                data[name] = getattr(self.instance, name) if self.instance.pk else ""
        return data
