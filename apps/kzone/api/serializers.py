from __future__ import annotations

from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.api.fields import ModelSerializer, PrimaryKeyRelatedField

from ..models import Choreography, DramaLine, DramaScene, Language, Take, VoiceLine
from ..services import CONTENT_TYPES

MEDIA_KEY = serializers.CharField(
    max_length=300, help_text="The key of a direct upload made with POST /api/v1/kzone/uploads/."
)


class VoiceLineSerializer(ModelSerializer):
    has_reference = serializers.SerializerMethodField()

    class Meta:
        model = VoiceLine
        fields = ["id", "kind", "title", "text", "language", "translation", "reference_seconds", "has_reference"]
        read_only_fields = fields

    def get_has_reference(self, line) -> bool:
        return bool(line.reference_audio)


class DramaLineSerializer(ModelSerializer):
    class Meta:
        model = DramaLine
        fields = ["order", "character", "text", "direction"]
        read_only_fields = fields


class DramaSceneSerializer(ModelSerializer):
    lines = DramaLineSerializer(many=True, read_only=True)
    characters = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = DramaScene
        fields = ["id", "title", "synopsis", "language", "characters", "lines"]
        read_only_fields = fields


class ChoreographySerializer(ModelSerializer):
    class Meta:
        model = Choreography
        fields = ["id", "title", "description", "bpm", "duration", "pose_status"]
        read_only_fields = fields


class TakeFeedbackSerializer(serializers.Serializer):
    text = serializers.CharField()
    source = serializers.ChoiceField(choices=["llm", "rule_based"])
    backend = serializers.CharField()
    backend_label = serializers.CharField()


class TakeSerializer(ModelSerializer):
    """A take: where its analysis is, its score and, once finished, its result. `result`
    holds `stt` (transcript, and the transcriber: `backend_label`, `english_only`),
    `comparison` (cer, word_accuracy, words, timing), `lines` (drama), `dance` (overall,
    body_parts, beats, weakest segments with overlay image URLs) and `feedback`."""

    content = serializers.SerializerMethodField()
    feedback = serializers.SerializerMethodField()
    result = serializers.SerializerMethodField()

    class Meta:
        model = Take
        fields = ["id", "kind", "content", "character", "language", "status", "stage", "progress", "score"]
        fields += ["feedback", "result", "error", "created_at", "finished_at"]
        read_only_fields = fields

    def get_content(self, take) -> int:
        return (take.voice_line_id or take.scene_id or take.choreography_id) or 0

    @extend_schema_field(TakeFeedbackSerializer(allow_null=True))
    def get_feedback(self, take):
        feedback = (take.result or {}).get("feedback") if take.finished else None
        if not feedback:
            return None
        return {
            "text": feedback.get("text", ""),
            "source": feedback.get("source", "rule_based"),
            "backend": feedback.get("backend", ""),
            "backend_label": gettext(feedback.get("backend_label", "")) if feedback.get("backend_label") else "",
        }

    @extend_schema_field({"type": "object", "additionalProperties": True, "nullable": True})
    def get_result(self, take):
        if not take.result:
            return None
        from .. import dancing

        return dancing.with_overlay_urls(take.result)


class PresignRequestSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[c for c, _ in Take.Kind.choices])
    content = serializers.IntegerField(min_value=1, help_text="The voice line, scene or choreography.")
    content_type = serializers.ChoiceField(choices=sorted({t for types in CONTENT_TYPES.values() for t in types}))


class PresignSerializer(serializers.Serializer):
    """PUT the file's bytes to `url` with `headers` before `expires_at`, then hand in `key`."""

    key = serializers.CharField()
    url = serializers.CharField()
    method = serializers.ChoiceField(choices=["PUT"])
    headers = serializers.DictField(child=serializers.CharField())
    expires_at = serializers.DateTimeField()
    max_bytes = serializers.IntegerField()


LANGUAGE = serializers.ChoiceField(
    choices=Language.choices, required=False, help_text="The feedback's language (default: the request's)."
)
IDEMPOTENCY = serializers.CharField(max_length=80, required=False, help_text="A retry with it returns the first take.")


class VoiceAnalyzeSerializer(serializers.Serializer):
    line = PrimaryKeyRelatedField(queryset=VoiceLine.objects.filter(published=True))
    media_key = MEDIA_KEY
    language = LANGUAGE
    idempotency_key = IDEMPOTENCY


class DanceAnalyzeSerializer(serializers.Serializer):
    choreography = PrimaryKeyRelatedField(queryset=Choreography.objects.filter(published=True))
    media_key = MEDIA_KEY
    language = LANGUAGE
    idempotency_key = IDEMPOTENCY


class DramaAnalyzeSerializer(serializers.Serializer):
    scene = PrimaryKeyRelatedField(queryset=DramaScene.objects.filter(published=True))
    character = serializers.CharField(max_length=60)
    media_key = MEDIA_KEY
    language = LANGUAGE
    idempotency_key = IDEMPOTENCY


class HistoryPointSerializer(serializers.Serializer):
    take = serializers.IntegerField()
    content = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    score = serializers.FloatField(allow_null=True)
