from rest_framework import serializers

from .. import inspect, services
from ..models import MediaObject
from ..storage import KEY_MAX, KEY_RE


class MediaObjectSerializer(serializers.ModelSerializer):
    class Meta:
        model = MediaObject
        fields = ["id", "key", "kind", "size", "content_type", "duration_seconds", "streams", "created_at"]
        read_only_fields = fields


class PresignedUploadSerializer(serializers.Serializer):
    url = serializers.CharField(help_text="Where to send the file: an S3 presigned URL, or this site's signed URL.")
    method = serializers.ChoiceField(choices=["PUT"])
    headers = serializers.DictField(child=serializers.CharField(), help_text="Send exactly these headers.")
    expires_at = serializers.DateTimeField()
    key = serializers.CharField()
    max_bytes = serializers.IntegerField()


class PlaybackSerializer(serializers.Serializer):
    url = serializers.CharField()
    expires_at = serializers.DateTimeField()


def content_type_pattern(types: list[str]) -> str:
    # Only "." and "+" need escaping in a MIME type; re.escape's "\-" is not valid in every
    # regex dialect that reads the OpenAPI schema (ECMAScript with the u flag refuses it).
    alternatives = "|".join(t.replace(".", r"\.").replace("+", r"\+") for t in types)
    return rf"^(?:{alternatives})(?:;[ -~]{{0,80}})?$"


CONTENT_TYPE_RE = content_type_pattern(sorted(inspect.DECLARED))


# Request bodies, precise enough for the schema fuzzer: each kind with the Content-Types it takes.
PRESIGN_SCHEMA = {
    "type": "object",
    "required": ["kind", "content_type"],
    "properties": {
        "kind": {"enum": list(services.KINDS)},
        "content_type": {
            "type": "string",
            "maxLength": 100,
            "description": "The file's MIME type; parameters (;codecs=…) allowed.",
        },
        "size": {
            "type": "integer",
            "minimum": 1,
            "description": "The file's length in bytes: the URL then takes exactly that many (S3 signs it).",
        },
    },
    "oneOf": [
        {
            "properties": {
                "kind": {"enum": [kind]},
                "content_type": {"type": "string", "pattern": content_type_pattern(services.accepted_types(kind))},
                "size": {"type": "integer", "maximum": services.LIMITS[kind]},
            }
        }
        for kind in services.KINDS
    ],
}
CONFIRM_SCHEMA = {
    "type": "object",
    "required": ["key"],
    "properties": {
        "key": {
            "type": "string",
            "minLength": 1,
            "maxLength": KEY_MAX,
            "pattern": KEY_RE.pattern,
            "description": "The key the presign answer gave.",
        }
    },
}


class PresignRequestSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=list(services.KINDS))
    content_type = serializers.RegexField(CONTENT_TYPE_RE, max_length=100)
    size = serializers.IntegerField(required=False, min_value=1)


class ConfirmRequestSerializer(serializers.Serializer):
    key = serializers.RegexField(KEY_RE, max_length=KEY_MAX)


EXTENSIONS = {
    content_type: next(ext for ext, names in inspect.EXTENSIONS.items() if names & inspect.DECLARED[content_type])
    for content_type in inspect.DECLARED
}
