from rest_framework import serializers

from ..models import AuditEntry


class AuditEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "at",
            "actor",
            "actor_username",
            "action",
            "resource_type",
            "resource_id",
            "resource_repr",
            "ip",
            "user_agent",
            "details",
        ]
        read_only_fields = fields
