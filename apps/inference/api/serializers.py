from rest_framework import serializers

from ..jobs.models import InferenceJob
from ..models import Kind


class InferenceJobSerializer(serializers.ModelSerializer):
    class Meta:
        model = InferenceJob
        fields = [
            "id",
            "kind",
            "feature",
            "status",
            "progress",
            "result",
            "error",
            "backend",
            "backend_label",
            "created_at",
            "started_at",
            "finished_at",
            "wait_ms",
            "run_ms",
            "tokens",
            "audio_seconds",
            "frames",
        ]
        read_only_fields = fields


class SubmitSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Kind.choices)
    inputs = serializers.JSONField()
    params = serializers.JSONField(required=False, default=dict)
    feature = serializers.CharField(required=False, default="api", max_length=80)
    idempotency_key = serializers.CharField(required=False, max_length=80, allow_blank=False)
