from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import services
from .admin_mixins import PermissionAdminMixin
from .models import RoleAssignment, User
from .permissions import prime_role_codes, role_codes
from .tenant_type import current_roles

# Roles are the only way to grant anything; Django's groups would be a second one.
admin.site.unregister(Group)


def _role_choices() -> list[tuple[str, str]]:
    return [(role.code, f"{role.label} — {role.description}") for role in current_roles().values()]


class UserRolesForm(UserChangeForm):
    roles = forms.MultipleChoiceField(
        label=_("roles"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("What this person may do here. Back-office roles open this admin; some require MFA."),
    )

    actor = None  # set by UserAdmin.get_form

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "roles" in self.fields:
            self.fields["roles"].choices = _role_choices()
            if self.instance.pk:
                self.fields["roles"].initial = [c for c in role_codes(self.instance) if c in current_roles()]

    def clean_roles(self) -> list[str]:
        wanted = set(self.cleaned_data.get("roles") or [])
        held = set(role_codes(self.instance)) if self.instance.pk else set()
        catalogue = current_roles()
        refused = [
            str(catalogue[code].label)
            for code in sorted(wanted ^ held)
            if code in catalogue and not services.can_assign(self.actor, catalogue[code])
        ]
        if refused:
            raise ValidationError(
                _("You cannot give or take these roles: %(roles)s. They grant permissions you do not hold.")
                % {"roles": ", ".join(refused)}
            )
        return sorted(wanted)


@admin.register(User)
class UserAdmin(PermissionAdminMixin, BaseUserAdmin):
    permission_resource = "user"
    form = UserRolesForm
    list_display = ["username", "display_name", "email", "roles_display", "is_staff", "is_active", "last_login"]
    list_filter = ["is_staff", "is_superuser", "is_active"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (_("Profile"), {"fields": ["display_name", "first_name", "last_name", "email", "language"]}),
        (_("Access"), {"fields": ["roles", "is_active", "is_staff", "is_superuser"]}),
        (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        # is_staff follows the roles; only superusers make superusers.
        fields = ["is_staff", "last_login", "date_joined"]
        if not request.user.is_superuser:
            fields.append("is_superuser")
        return fields

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        return type(form.__name__, (form,), {"actor": request.user})

    def has_change_permission(self, request, obj=None) -> bool:
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or services.can_manage_user(request.user, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        if not super().has_delete_permission(request, obj):
            return False
        return obj is None or services.can_manage_user(request.user, obj)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.sync_staff_flag(obj)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if "roles" in form.cleaned_data:
            services.set_roles(form.instance, form.cleaned_data["roles"], actor=request.user, request=request)

    def get_changelist_instance(self, request):
        # The page's roles in one query (role_codes reads them from each user afterwards).
        changelist = super().get_changelist_instance(request)
        prime_role_codes(list(changelist.result_list))
        return changelist

    @admin.display(description=_("roles"))
    def roles_display(self, obj) -> str:
        catalogue = current_roles()
        return ", ".join(str(catalogue[c].label) for c in role_codes(obj) if c in catalogue) or "—"


class RoleFilter(admin.SimpleListFilter):
    title = _("role")
    parameter_name = "role"

    def lookups(self, request, model_admin):
        return [(role.code, role.label) for role in current_roles().values()]

    def queryset(self, request, queryset):
        return queryset.filter(role=self.value()) if self.value() else queryset


class RoleAssignmentForm(forms.ModelForm):
    role = forms.ChoiceField(label=_("role"))

    class Meta:
        model = RoleAssignment
        fields = ["user", "role"]

    actor = None  # set by RoleAssignmentAdmin.get_form

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = _role_choices()

    def clean_role(self) -> str:
        role = current_roles()[self.cleaned_data["role"]]
        if not services.can_assign(self.actor, role):
            raise ValidationError(
                _("You cannot give the role %(role)s: it grants permissions you do not hold.") % {"role": role.label}
            )
        return role.code


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(PermissionAdminMixin, admin.ModelAdmin):
    """Who holds which role. Granting and revoking go through apps.accounts.services."""

    permissions = {"view": "role:read", "add": "role:assign", "change": None, "delete": "role:assign"}
    form = RoleAssignmentForm
    list_display = ["user", "role_label", "granted_by", "granted_at"]
    list_filter = [RoleFilter]
    search_fields = ["user__username", "user__display_name", "role"]
    list_select_related = ["user", "granted_by"]
    autocomplete_fields = ["user"]

    @admin.display(description=_("role"), ordering="role")
    def role_label(self, obj) -> str:
        role = current_roles().get(obj.role)
        return str(role.label) if role else obj.role

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        return type(form.__name__, (form,), {"actor": request.user})

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # revoke and grant instead

    def save_model(self, request, obj, form, change):
        assignment = services.grant_role(obj.user, obj.role, actor=request.user, request=request)
        obj.pk, obj.granted_at = assignment.pk, assignment.granted_at

    def delete_model(self, request, obj):
        services.revoke_role(obj.user, obj.role, actor=request.user, request=request)

    def delete_queryset(self, request, queryset):
        for assignment in queryset.select_related("user"):
            services.revoke_role(assignment.user, assignment.role, actor=request.user, request=request)
