"""DRF side of the permission mechanism.

    permission_classes = [HasPermission("attendance:write")]
    permission_classes = [HasPermission(read="audit:read", write="audit:export")]   # by HTTP method
    permission_classes = [HasPermission(resource="student")]    # list/retrieve → student:read,
                                        # create → :create, update → :update, destroy → :delete
    permission_classes = [HasPermission(actions={"approve": "guardian:approve"}, resource="guardian")]

Missing credentials give 401; a missing permission gives 403 in the standard error body,
and the API's exception handler records the refusal in the audit log. Row-level rules
belong in the view's queryset (apps.accounts.scoping.visible_to): rows outside the user's
scope are 404.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission

from ..permissions import has_permission, mfa_missing
from ..roles import is_known

VIEWSET_ACTIONS = {
    "list": "read",
    "retrieve": "read",
    "create": "create",
    "update": "update",
    "partial_update": "update",
    "destroy": "delete",
}
METHOD_ACTIONS = {"GET": "read", "HEAD": "read", "OPTIONS": "read", "POST": "create", "PUT": "update"}
METHOD_ACTIONS |= {"PATCH": "update", "DELETE": "delete"}


class MfaRequired(PermissionDenied):
    default_detail = _("Two-factor authentication is required for your role: set up an authenticator app first.")
    default_code = "mfa_required"
    # Kept by the API's exception handler instead of the generic "permission_denied".
    error_code = "mfa_required"


class HasPermission(BasePermission):
    def __init__(
        self,
        perm: str | None = None,
        *,
        read: str | None = None,
        write: str | None = None,
        resource: str | None = None,
        actions: dict[str, str] | None = None,
    ):
        self.perm, self.read, self.write, self.resource = perm, read, write, resource
        self.actions = dict(actions or {})
        for name in [perm, read, write, *self.actions.values()]:
            if name is not None and not is_known(name):
                raise ValueError(f"unknown permission {name!r}: add it to its vertical's roles.RESOURCES")
        if not (perm or read or write or resource or self.actions):
            raise ValueError("HasPermission needs a permission")

    def __call__(self):
        # DRF instantiates each entry of permission_classes; this one is ready-made.
        return self

    def required(self, request, view) -> str | None:
        action = getattr(view, "action", None)
        if action and action in self.actions:
            return self.actions[action]
        if self.perm:
            return self.perm
        if request.method in SAFE_METHODS and self.read:
            return self.read
        if request.method not in SAFE_METHODS and self.write:
            return self.write
        if self.resource:
            verb = VIEWSET_ACTIONS.get(action or "") or METHOD_ACTIONS.get(request.method)
            if verb:
                return f"{self.resource}:{verb}"
        return None

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False  # DRF answers 401
        if mfa_missing(user):
            raise MfaRequired()
        perm = self.required(request, view)
        if perm is None or not has_permission(user, perm):
            # Read by the exception handler for the audit entry.
            request.denied_permission = perm or f"{self.resource or '?'}:{request.method.lower()}"
            return False
        return True

    def __repr__(self) -> str:
        return f"HasPermission({self.perm or self.resource or self.actions or (self.read, self.write)!r})"
