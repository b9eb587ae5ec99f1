from apps.core.api.fields import ModelSerializer

from ..models import AuditEntry


class AuditEntrySerializer(ModelSerializer):
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
