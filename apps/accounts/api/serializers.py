from rest_framework import serializers

from ..models import User


class MeSerializer(serializers.ModelSerializer):
    tenant = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "display_name", "email", "language", "is_staff", "tenant"]
        read_only_fields = ["id", "username", "is_staff", "tenant"]

    def get_tenant(self, obj) -> dict:
        tenant = self.context["request"].tenant
        return {"name": tenant.name, "schema": tenant.schema_name, "type": tenant.type}
