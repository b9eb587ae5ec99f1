"""Filters of the problems API (django-filter): they narrow the user's scope, never widen it."""

from __future__ import annotations

from apps.core.api.filters import BooleanFilter, FilterSet, IdFilter

from ..models import Problem, Progress, Submission


class ProblemFilter(FilterSet):
    class Meta:
        model = Problem
        fields = ["kind", "status", "topic"]


class SubmissionFilter(FilterSet):
    reviewed = BooleanFilter(label="reviewed by a teacher")
    problem = IdFilter(field_name="problem_id", label="problem id")
    student = IdFilter(field_name="student_id", label="student id")

    class Meta:
        model = Submission
        fields = ["status", "graded_by"]


class ProgressFilter(FilterSet):
    student = IdFilter(field_name="student_id", label="student id")

    class Meta:
        model = Progress
        fields = ["topic"]
