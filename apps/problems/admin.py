"""The zone's back office for problems: teachers write problems and rubrics here or on the
app's pages (both through the services: validation, ledger events); submissions, feedback,
reviews and progress are records, shown read-only in the viewer's scope."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from apps.accounts.admin_mixins import PermissionAdminMixin
from apps.core.admin import ReadOnlyAdminMixin, ReadOnlyInline, ReadPermissionOnlyMixin

from . import services
from .models import Feedback, Problem, Progress, Review, Submission
from .scopes import may_edit


class ProblemForm(forms.ModelForm):
    """The service's checks, run by the form: a bad rubric is shown on the form, by field."""

    class Meta:
        model = Problem
        fields = list(services.FIELDS)

    def clean(self):
        data = super().clean()
        fields = {name: data[name] for name in services.FIELDS if name in data}
        try:
            services.clean_problem(fields, current=self.instance if self.instance.pk else None)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                if field in self.fields:
                    self.add_error(field, errors)
                else:
                    self.add_error(None, [f"{field}: {message}" for message in errors])
        return data


@admin.register(Problem)
class ProblemAdmin(PermissionAdminMixin, admin.ModelAdmin):
    form = ProblemForm
    permission_resource = "problem"
    list_display = ["title", "kind", "topic", "status", "updated_at"]
    list_filter = ["kind", "status", "topic"]
    search_fields = ["title", "statement", "topic"]
    fields = list(services.FIELDS)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # archived, never deleted: submissions refer to it

    def has_change_permission(self, request, obj=None) -> bool:
        # Editing is narrower than reading (a teacher reads the zone's published problems).
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or may_edit(obj, request.user))

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in services.FIELDS if name in form.cleaned_data}
        if change:
            services.update_problem(obj, actor=request.user, **data)
        else:
            obj.pk = services.create_problem(actor=request.user, **data).pk
        obj.refresh_from_db()


class FeedbackInline(ReadOnlyInline):
    model = Feedback
    fields = ["created_at", "source", "backend_label", "score", "max_score", "text", "note"]


class ReviewInline(ReadOnlyInline):
    model = Review
    fields = ["created_at", "reviewer", "previous_score", "score", "comment"]


class Records(ReadPermissionOnlyMixin, ReadOnlyAdminMixin, PermissionAdminMixin, admin.ModelAdmin):
    def get_queryset(self, request):
        return super().get_queryset(request).distinct()  # scopes through class enrolments


@admin.register(Submission)
class SubmissionAdmin(Records):
    permission_resource = "submission"
    list_display = ["submitted_at", "problem", "student", "status", "score", "max_score", "graded_by", "reviewed"]
    list_filter = ["status", "graded_by", "reviewed"]
    readonly_fields = ["problem", "student", "answer_text", "choice", "submitted_at", "status", "score"]
    readonly_fields += ["max_score", "graded_by", "reviewed"]
    inlines = [FeedbackInline, ReviewInline]


@admin.register(Progress)
class ProgressAdmin(Records):
    permission_resource = "progress"
    list_display = ["student", "topic", "attempted", "solved", "points", "max_points", "mastery", "last_activity"]
    list_filter = ["topic"]
    readonly_fields = ["student", "topic", "attempted", "solved", "points", "max_points", "mastery", "last_activity"]
