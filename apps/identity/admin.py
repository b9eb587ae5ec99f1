from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from apps.accounts.permissions import PermissionAdminMixin
from apps.core.admin import ReadOnlyAdminMixin, ReadOnlyInline

from .models import Identity, IdentityKey, IdentityLink


class ReadOnly(ReadOnlyAdminMixin, PermissionAdminMixin, admin.ModelAdmin):
    """The registry is written only by the tenants' services; operators read it."""

    permission_resource = "identity"


class KeyInline(ReadOnlyInline):
    model = IdentityKey
    fields = ("kind", "digest")


class LinkInline(ReadOnlyInline):
    model = IdentityLink
    fields = ("schema_name", "profile", "object_id", "linked_at")


@admin.register(Identity)
class IdentityAdmin(ReadOnly):
    list_display = ("__str__", "created_at", "tenant_count")
    inlines = [KeyInline, LinkInline]
    search_fields = ["links__schema_name"]

    @admin.display(description=_("tenants"))
    def tenant_count(self, obj):
        return obj.links.values("schema_name").distinct().count()


@admin.register(IdentityLink)
class IdentityLinkAdmin(ReadOnly):
    list_display = ("identity", "schema_name", "profile", "object_id", "linked_at")
    list_filter = ("profile", "schema_name")
