"""The admin side of the permission mechanism.

    @admin.register(Student)
    class StudentAdmin(PermissionAdminMixin, admin.ModelAdmin):
        permission_resource = "student"     # view → student:read, add → :create,
                                            # change → :update, delete → :delete
        permissions = {"delete": "student:update"}   # optional overrides per admin action

The changelist shows only rows within the user's scope for the view permission
(apps.accounts.scoping), and an object outside the scope of the change/delete permission
cannot be changed or deleted. Admins that don't use the mixin are served to superusers and
`*` holders only (apps.accounts.backends).
"""

from __future__ import annotations

from django.db.models import QuerySet

from .permissions import has_permission
from .scoping import can_access, scope_filter, visible_to

ADMIN_ACTIONS = {"view": "read", "add": "create", "change": "update", "delete": "delete"}


class PermissionAdminMixin:
    permission_resource: str | None = None
    permissions: dict[str, str | None] = {}
    # Whether rows are filtered by the roles' scopes; models without scope rules for any
    # role scope leave it on: a missing rule fails loudly instead of showing everything.
    scope_rows = True

    def role_permission(self, admin_action: str) -> str | None:
        if admin_action in self.permissions:
            return self.permissions[admin_action]
        if self.permission_resource:
            return f"{self.permission_resource}:{ADMIN_ACTIONS[admin_action]}"
        return None

    def _allows(self, request, admin_action: str, obj=None) -> bool:
        perm = self.role_permission(admin_action)
        if perm is None:
            return bool(request.user.is_active and request.user.is_superuser)
        if not has_permission(request.user, perm):
            return False
        if obj is not None and self.scope_rows:
            return can_access(obj, request.user, perm)
        return True

    def has_view_permission(self, request, obj=None) -> bool:
        return self._allows(request, "view", obj) or self._allows(request, "change", obj)

    def has_add_permission(self, request, *args) -> bool:
        return self._allows(request, "add")

    def has_change_permission(self, request, obj=None) -> bool:
        return self._allows(request, "change", obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._allows(request, "delete", obj)

    def has_module_permission(self, request) -> bool:
        return any(self._allows(request, action) for action in ADMIN_ACTIONS)

    def get_queryset(self, request) -> QuerySet:
        rows = super().get_queryset(request)
        perm = self.role_permission("view")
        if not self.scope_rows or perm is None:
            return rows
        if has_permission(request.user, perm):
            return visible_to(rows, request.user, perm)
        change = self.role_permission("change")
        if change and scope_filter(rows.model, request.user, change) is not None:
            return visible_to(rows, request.user, change)
        return rows
