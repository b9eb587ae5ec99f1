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
    inputs = serializers.DictField()
    params = serializers.DictField(required=False, default=dict)
    feature = serializers.CharField(required=False, default="api", max_length=80)
    idempotency_key = serializers.CharField(required=False, max_length=80, allow_blank=False)


def _text(limit: int = 20_000) -> dict:
    # \S: not only blanks (services._text strips before checking).
    return {"type": "string", "minLength": 1, "maxLength": limit, "pattern": r"\S"}


_MEDIA_KEY = {
    "type": "string",
    "minLength": 1,
    "pattern": r"^(?!/)(?!.*\.\.)",
    "description": "a key in this tenant's storage",
}
_MESSAGE = {
    "type": "object",
    "required": ["role", "content"],
    "properties": {"role": {"enum": ["system", "user", "assistant"]}, "content": _text()},
}
# What services.validate takes, kind by kind: the schema of the submit body.
_INPUTS = {
    "llm": {
        "anyOf": [
            {
                "type": "object",
                "required": ["messages"],
                "properties": {"messages": {"type": "array", "minItems": 1, "items": _MESSAGE}},
            },
            {
                "type": "object",
                "required": ["prompt"],
                "properties": {"prompt": _text(), "messages": {"nullable": True, "enum": [None]}},
            },
        ]
    },
    "embedding": {
        "anyOf": [
            {
                "type": "object",
                "required": ["texts"],
                "properties": {"texts": {"type": "array", "minItems": 1, "maxItems": 256, "items": _text(8000)}},
            },
            {"type": "object", "required": ["texts"], "properties": {"texts": _text(8000)}},
            {
                "type": "object",
                "required": ["text"],
                "properties": {"text": _text(8000)},
                "not": {"required": ["texts"]},
            },
        ]
    },
    "stt": {"type": "object", "required": ["media"], "properties": {"media": _MEDIA_KEY}},
    "pose": {
        "type": "object",
        "required": ["frames"],
        "properties": {"frames": {"type": "array", "minItems": 1, "maxItems": 600, "items": _MEDIA_KEY}},
    },
}
SUBMIT_SCHEMA = {
    "type": "object",
    "required": ["kind", "inputs"],
    "properties": {
        "kind": {"enum": list(_INPUTS)},
        "inputs": {"type": "object"},
        "params": {"type": "object"},
        "feature": {"type": "string", "maxLength": 80, "pattern": r"\S"},
        "idempotency_key": {"type": "string", "minLength": 1, "maxLength": 80, "pattern": r"\S"},
    },
    "oneOf": [{"properties": {"kind": {"enum": [kind]}, "inputs": inputs}} for kind, inputs in _INPUTS.items()],
}
