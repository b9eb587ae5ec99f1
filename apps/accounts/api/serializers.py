from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.api.fields import ModelSerializer, PrimaryKeyRelatedField

from ..models import RoleAssignment, User
from ..permissions import effective_permissions, mfa_enabled, mfa_required, role_codes
from ..tenant_type import current_roles


class RoleSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    description = serializers.CharField()
    permissions = serializers.ListField(child=serializers.CharField())
    scopes = serializers.DictField(child=serializers.CharField())
    back_office = serializers.BooleanField()
    requires_mfa = serializers.BooleanField()


class HeldRoleSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()


class MfaStateSerializer(serializers.Serializer):
    required = serializers.BooleanField()
    enabled = serializers.BooleanField()


class MeSerializer(ModelSerializer):
    tenant = serializers.SerializerMethodField()
    roles = serializers.SerializerMethodField()
    permissions = serializers.SerializerMethodField()
    mfa = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "display_name",
            "email",
            "language",
            "is_staff",
            "tenant",
            "roles",
            "permissions",
            "mfa",
        ]
        read_only_fields = ["id", "username", "is_staff", "tenant", "roles", "permissions", "mfa"]

    def get_tenant(self, obj) -> dict:
        tenant = self.context["request"].tenant
        return {"name": tenant.name, "schema": tenant.schema_name, "type": tenant.type}

    @extend_schema_field(HeldRoleSerializer(many=True))
    def get_roles(self, obj):
        catalogue = current_roles()
        return [{"code": code, "label": str(catalogue[code].label)} for code in role_codes(obj) if code in catalogue]

    def get_permissions(self, obj) -> list[str]:
        """Every concrete permission held, wildcards expanded; empty until MFA is set up
        when the roles require it."""
        return effective_permissions(obj)

    @extend_schema_field(MfaStateSerializer)
    def get_mfa(self, obj):
        return {"required": mfa_required(obj), "enabled": mfa_enabled(obj)}


class RoleAssignmentSerializer(ModelSerializer):
    user = PrimaryKeyRelatedField(queryset=User.objects.all())
    username = serializers.CharField(source="user.username", read_only=True)
    role_label = serializers.SerializerMethodField()
    granted_by = serializers.CharField(source="granted_by.username", read_only=True, default=None, allow_null=True)

    class Meta:
        model = RoleAssignment
        fields = ["id", "user", "username", "role", "role_label", "granted_by", "granted_at"]
        read_only_fields = ["id", "username", "role_label", "granted_by", "granted_at"]
        # Granting a role already held returns the existing assignment (idempotent).
        validators = []

    def get_role_label(self, obj) -> str:
        role = current_roles().get(obj.role)
        return str(role.label) if role else obj.role

    def get_fields(self):
        # The roles of this tenant's type, so that the schema lists them (one schema per type).
        fields = super().get_fields()
        fields["role"] = serializers.ChoiceField(
            choices=[(code, str(role.label)) for code, role in current_roles().items()]
        )
        return fields

    def validate_role(self, value: str) -> str:
        if value not in current_roles():
            raise serializers.ValidationError(
                _("%(role)r is not a role here; choose one of: %(roles)s.")
                % {"role": value, "roles": ", ".join(current_roles())}
            )
        return value
