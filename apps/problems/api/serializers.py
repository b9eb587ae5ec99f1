from __future__ import annotations

from django.utils.translation import gettext
from rest_framework import serializers

from apps.core.api.fields import ModelSerializer

from ..models import Feedback, Problem, Progress, Review, Submission


class CriterionSerializer(serializers.Serializer):
    id = serializers.CharField(max_length=20, required=False)
    criterion = serializers.CharField(max_length=300)
    points = serializers.IntegerField(min_value=1, max_value=100)
    keywords = serializers.ListField(child=serializers.CharField(max_length=100), required=False, max_length=30)


class ProblemSerializer(ModelSerializer):
    """What a teacher reads: the key and the rubric's keywords too."""

    rubric = CriterionSerializer(many=True, read_only=True)
    max_score = serializers.IntegerField(read_only=True)

    class Meta:
        model = Problem
        fields = ["id", "kind", "title", "statement", "topic", "tags", "status", "choices", "correct_choice"]
        fields += ["accepted_answers", "rubric", "points", "max_score", "language", "explanation"]
        fields += ["organisation", "author", "created_at", "updated_at"]
        read_only_fields = fields


class PublicCriterionSerializer(serializers.Serializer):
    id = serializers.CharField()
    criterion = serializers.CharField()
    points = serializers.IntegerField()


class StudentProblemSerializer(ModelSerializer):
    """What a student reads: no key, no keywords (the criteria and their points only)."""

    rubric = PublicCriterionSerializer(many=True, read_only=True)
    max_score = serializers.IntegerField(read_only=True)

    class Meta:
        model = Problem
        fields = ["id", "kind", "title", "statement", "topic", "tags", "status", "choices", "rubric"]
        fields += ["points", "max_score", "language"]
        read_only_fields = fields


class ProblemWriteSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Problem.Kind.choices)
    title = serializers.CharField(max_length=200)
    statement = serializers.CharField(max_length=20_000)
    topic = serializers.CharField(max_length=100)
    tags = serializers.ListField(child=serializers.CharField(max_length=50), required=False, max_length=20)
    status = serializers.ChoiceField(choices=Problem.Status.choices, required=False)
    choices = serializers.ListField(child=serializers.CharField(max_length=500), required=False, max_length=10)
    correct_choice = serializers.IntegerField(min_value=0, max_value=9, required=False, allow_null=True)
    accepted_answers = serializers.ListField(child=serializers.CharField(max_length=200), required=False, max_length=20)
    rubric = CriterionSerializer(many=True, required=False, max_length=12)
    points = serializers.IntegerField(min_value=1, max_value=100, required=False)
    language = serializers.CharField(max_length=30, required=False, allow_blank=True)
    explanation = serializers.CharField(max_length=20_000, required=False, allow_blank=True)
    organisation = serializers.IntegerField(
        min_value=1, required=False, help_text="Your school's id; by default your only school, or none."
    )


class SubmitSerializer(serializers.Serializer):
    answer_text = serializers.CharField(max_length=20_000, required=False, allow_blank=True, trim_whitespace=False)
    choice = serializers.IntegerField(min_value=0, max_value=9, required=False, allow_null=True)
    idempotency_key = serializers.CharField(max_length=80, required=False)


class TranslatedField(serializers.CharField):
    """A label stored in English (its msgid), read in the request's language."""

    def to_representation(self, value) -> str:
        return gettext(str(value)) if value else ""


class FeedbackSerializer(ModelSerializer):
    backend_label = TranslatedField(read_only=True)

    class Meta:
        model = Feedback
        fields = ["id", "source", "backend", "backend_label", "score", "max_score", "criteria", "text", "note"]
        fields += ["job", "created_at"]
        read_only_fields = fields


class ReviewSerializer(ModelSerializer):
    class Meta:
        model = Review
        fields = ["id", "reviewer", "previous_score", "previous_graded_by", "score", "criteria", "comment"]
        fields += ["created_at"]
        read_only_fields = fields


class SubmissionSerializer(ModelSerializer):
    feedback = FeedbackSerializer(many=True, read_only=True)
    reviews = ReviewSerializer(many=True, read_only=True)
    topic = serializers.CharField(source="problem.topic", read_only=True)
    problem_title = serializers.CharField(source="problem.title", read_only=True)

    class Meta:
        model = Submission
        fields = ["id", "problem", "problem_title", "topic", "student", "answer_text", "choice", "submitted_at"]
        fields += ["status", "score", "max_score", "graded_by", "reviewed", "feedback", "reviews"]
        read_only_fields = fields


class ReviewScoreSerializer(serializers.Serializer):
    id = serializers.CharField(max_length=20)
    score = serializers.IntegerField(min_value=0, max_value=100)


class OverrideSerializer(serializers.Serializer):
    score = serializers.IntegerField(min_value=0, max_value=1000)
    criteria = ReviewScoreSerializer(many=True, required=False, max_length=12)
    comment = serializers.CharField(max_length=4000, required=False, allow_blank=True)


class ProgressSerializer(ModelSerializer):
    class Meta:
        model = Progress
        fields = ["id", "student", "topic", "attempted", "solved", "points", "max_points", "exam_answered"]
        fields += ["exam_correct", "mastery", "last_activity"]
        read_only_fields = fields
