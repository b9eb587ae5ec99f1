"""Filters of the problems API (django-filter): they narrow the user's scope, never widen it."""

from __future__ import annotations

import django_filters as df

from apps.core.api.filters import BooleanFilter

from ..models import Problem, Progress, Submission


class ProblemFilter(df.FilterSet):
    class Meta:
        model = Problem
        fields = ["kind", "status", "topic"]


class SubmissionFilter(df.FilterSet):
    reviewed = BooleanFilter(label="reviewed by a teacher")
    problem = df.NumberFilter(field_name="problem_id")
    student = df.NumberFilter(field_name="student_id")

    class Meta:
        model = Submission
        fields = ["status", "graded_by"]


class ProgressFilter(df.FilterSet):
    student = df.NumberFilter(field_name="student_id")

    class Meta:
        model = Progress
        fields = ["topic"]
