from __future__ import annotations

from rest_framework import serializers

from apps.core.api.fields import PHONE_PATTERN

from ..models import Attempt, Exam, Item, Klass, Organisation, ParentLink, Student


class OrganisationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = ["id", "name", "code", "is_active"]
        read_only_fields = ["id", "is_active"]


class StudentSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    shown_name = serializers.CharField(read_only=True)

    class Meta:
        model = Student
        fields = ["id", "username", "name", "nickname", "shown_name", "organisation"]
        read_only_fields = fields


class ClassSerializer(serializers.ModelSerializer):
    teachers = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    students = serializers.SerializerMethodField()

    class Meta:
        model = Klass
        fields = ["id", "organisation", "name", "teachers", "students", "is_active"]
        read_only_fields = fields

    def get_students(self, klass: Klass) -> list[int]:
        return [e.student_id for e in klass.enrollments.all() if e.is_active]


class ClassWriteSerializer(serializers.Serializer):
    organisation = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    name = serializers.CharField(max_length=100)
    teachers = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**31 - 1), required=False, max_length=100
    )


class ClassUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False)
    teachers = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**31 - 1), required=False, max_length=100
    )


class EnrollSerializer(serializers.Serializer):
    student = serializers.IntegerField(min_value=1, max_value=2**31 - 1)


class LinkSerializer(serializers.ModelSerializer):
    student_name = serializers.CharField(source="student.name", read_only=True)
    parent_name = serializers.CharField(source="parent.__str__", read_only=True)

    class Meta:
        model = ParentLink
        fields = ["id", "parent", "parent_name", "student", "student_name", "status", "via", "created_at", "decided_at"]
        read_only_fields = fields


# The schema of LinkRequestSerializer as links.request_link reads it: the student's e-mail
# or phone: exactly one of them not blank.
LINK_REQUEST_SCHEMA = {
    "type": "object",
    "properties": {
        "email": {"type": "string", "format": "email", "maxLength": 254},
        "phone": {"type": "string", "pattern": f"^$|{PHONE_PATTERN}"},
    },
    "oneOf": [
        {"required": ["email"], "properties": {"email": {"minLength": 1}}},
        {"required": ["phone"], "properties": {"phone": {"minLength": 1}}},
    ],
}


class LinkRequestSerializer(serializers.Serializer):
    email = serializers.EmailField(required=False, allow_blank=True, max_length=254)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=30)


class NicknameSerializer(serializers.Serializer):
    nickname = serializers.CharField(max_length=40, allow_blank=True)


# ---------------------------------------------------------------------------- item bank


class ItemSerializer(serializers.ModelSerializer):
    D = serializers.FloatField(read_only=True, help_text="The IRT scaling constant of the bank (logistic metric).")
    choices = serializers.ListField(child=serializers.CharField(max_length=500), required=False, max_length=20)
    tags = serializers.ListField(child=serializers.CharField(max_length=40), required=False, max_length=30)

    class Meta:
        model = Item
        fields = [
            "id",
            "code",
            "organisation",
            "kind",
            "stem",
            "choices",
            "key",
            "tolerance",
            "explanation",
            "area",
            "tags",
            "status",
            "a",
            "b",
            "c",
            "D",
            "exposure_k",
            "exposure_count",
            "response_count",
            "correct_count",
            "calibrated_at",
            "calibration_n",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "organisation",
            "exposure_count",
            "response_count",
            "correct_count",
            "calibrated_at",
            "calibration_n",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {
            "a": {"min_value": 0.01, "max_value": 10},
            "b": {"min_value": -6, "max_value": 6},
            "c": {"min_value": 0, "max_value": 0.99},
            "exposure_k": {"min_value": 0.01, "max_value": 1},
            "tolerance": {"min_value": 0, "max_value": 1e9},
        }


class ImportSerializer(serializers.Serializer):
    file = serializers.FileField()
    dry_run = serializers.BooleanField(default=False)


class ImportResultSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    errors = serializers.ListField(child=serializers.DictField())


# ---------------------------------------------------------------------------- exams and attempts


class ExamSerializer(serializers.ModelSerializer):
    items = serializers.SerializerMethodField()
    areas = serializers.ListField(child=serializers.CharField(max_length=60), required=False, max_length=50)

    class Meta:
        model = Exam
        fields = [
            "id",
            "title",
            "description",
            "organisation",
            "klass",
            "kind",
            "order",
            "status",
            "is_public",
            "areas",
            "cat_settings",
            "time_limit_seconds",
            "score_slope",
            "score_intercept",
            "items",
            "created_at",
        ]
        read_only_fields = ["id", "organisation", "status", "items", "created_at"]
        extra_kwargs = {
            "klass": {"required": False, "allow_null": True},
            "time_limit_seconds": {"min_value": 10, "max_value": 86400},
            "score_slope": {"min_value": 0.001, "max_value": 10000},
            "score_intercept": {"min_value": -100000, "max_value": 100000},
        }

    def get_items(self, exam) -> list[int]:
        return [row.item_id for row in exam.exam_items.all()]


class ExamItemsSerializer(serializers.Serializer):
    items = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=2**31 - 1), max_length=500)


class ItemShownSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    position = serializers.IntegerField()
    kind = serializers.CharField()
    area = serializers.CharField()
    stem_html = serializers.CharField()
    choices = serializers.ListField(child=serializers.CharField())
    image_url = serializers.CharField(allow_null=True)


class AttemptSerializer(serializers.ModelSerializer):
    exam_title = serializers.CharField(source="exam.title", read_only=True)
    student_name = serializers.CharField(source="student.name", read_only=True)
    remaining_seconds = serializers.SerializerMethodField()

    class Meta:
        model = Attempt
        fields = [
            "id",
            "exam",
            "exam_title",
            "student",
            "student_name",
            "status",
            "started_at",
            "deadline",
            "finished_at",
            "remaining_seconds",
            "n_answered",
            "n_correct",
            "theta",
            "se",
            "scaled_score",
            "percentile",
            "stop_reason",
        ]
        read_only_fields = fields

    def get_remaining_seconds(self, attempt) -> int | None:
        from django.utils import timezone

        if attempt.deadline is None or attempt.status != "active":
            return None
        return max(0, int((attempt.deadline - timezone.now()).total_seconds()))


_datetime = serializers.DateTimeField(read_only=True)


def attempt_data(attempt) -> dict:
    """AttemptSerializer(attempt).data without building a ModelSerializer's fields per call
    (the answer → next item path returns it with every item); a test keeps the two equal."""

    def when(value):
        return None if value is None else _datetime.to_representation(value)

    def number(value):
        return None if value is None else float(value)

    return {
        "id": attempt.pk,
        "exam": attempt.exam_id,
        "exam_title": attempt.exam.title,
        "student": attempt.student_id,
        "student_name": attempt.student.name,
        "status": str(attempt.status),
        "started_at": when(attempt.started_at),
        "deadline": when(attempt.deadline),
        "finished_at": when(attempt.finished_at),
        "remaining_seconds": AttemptSerializer.get_remaining_seconds(None, attempt),
        "n_answered": attempt.n_answered,
        "n_correct": attempt.n_correct,
        "theta": number(attempt.theta),
        "se": number(attempt.se),
        "scaled_score": number(attempt.scaled_score),
        "percentile": number(attempt.percentile),
        "stop_reason": str(attempt.stop_reason),
    }


class StepSerializer(serializers.Serializer):
    attempt = AttemptSerializer()
    item = ItemShownSerializer(allow_null=True)
    correct = serializers.BooleanField(allow_null=True)
    finished = serializers.BooleanField()


class AnswerSerializer(serializers.Serializer):
    item = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    answer = serializers.CharField(max_length=500)


class ReportSerializer(serializers.Serializer):
    attempt = AttemptSerializer()
    areas = serializers.ListField(child=serializers.DictField())
    log = serializers.ListField(child=serializers.DictField())
