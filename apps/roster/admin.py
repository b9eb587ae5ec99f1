"""Admin: *Student imports* — upload a roster, read the preview (a dry run), import it,
watch the progress bar, download the error report; and the roster export."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.academy.admin import StudentAdmin
from apps.accounts.admin_mixins import PermissionAdminMixin
from apps.accounts.permissions import has_permission, require_permission
from apps.audit.actions import EXPORT
from apps.audit.services import record

from . import jobs
from .errors import error_report_xlsx, problems_from
from .exporting import XLSX, export_xlsx
from .models import ImportJob
from .reader import EXCEL_SUFFIXES


class UploadForm(forms.Form):
    file = forms.FileField(label=_("Roster file (.xlsx, .xls or .csv)"))
    valid_only = forms.BooleanField(
        label=_("Import the valid rows only"),
        required=False,
        help_text=_("Otherwise any rejected row stops the whole import (nothing is written)."),
    )
    create_classes = forms.BooleanField(
        label=_("Create classes that do not exist yet"),
        required=False,
        help_text=_("Otherwise a row naming an unknown class is rejected."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        suffix = "." + upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
        if suffix not in {*EXCEL_SUFFIXES, ".csv"}:
            raise forms.ValidationError(_("Use an .xlsx, .xls or .csv file."))
        return upload


@admin.register(ImportJob)
class ImportJobAdmin(PermissionAdminMixin, admin.ModelAdmin):
    permissions = {"view": "student:import", "add": "student:import", "change": "student:import", "delete": None}
    scope_rows = False
    list_display = ["file_name", "status", "valid_only", "create_classes", "created_by", "created_at"]
    list_filter = ["status"]
    change_list_template = "roster/admin/importjob_changelist.html"

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("export/", view(self.export_view), name="roster_importjob_export"),
            path("<int:job_id>/confirm/", view(self.confirm_view), name="roster_importjob_confirm"),
            path("<int:job_id>/errors.xlsx", view(self.errors_view), name="roster_importjob_errors"),
            *super().get_urls(),
        ]

    def _job(self, request, job_id: int) -> ImportJob:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return get_object_or_404(ImportJob, pk=job_id)

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = UploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            job, created = jobs.start(
                form.cleaned_data["file"],
                valid_only=form.cleaned_data["valid_only"],
                create_classes=form.cleaned_data["create_classes"],
                actor=request.user,
            )
            if not created:
                messages.info(request, _("This file was uploaded before with the same options: here is its import."))
            return HttpResponseRedirect(reverse(f"{self.admin_site.name}:roster_importjob_change", args=[job.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "form": form,
            "title": _("Import students"),
        }
        return TemplateResponse(request, "roster/admin/upload.html", context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        job = self._job(request, int(object_id))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "job": job,
            "title": job.file_name,
            "summary": job.result or job.preview,
            "problems": job.problems[:100],
            "actions": (job.preview or {}).get("actions", []),
            "socket_path": f"/ws/academy/imports/{job.pk}/",
            "stage_labels": {
                "checking": _("Checking the file"),
                "checked": _("File checked"),
                "guardians": _("guardians"),
                "students": _("students"),
                "links": _("guardian links"),
                "enrollments": _("enrollments"),
            },
            "running": job.status in jobs.RUNNING,
        }
        return TemplateResponse(request, "roster/admin/job.html", context)

    def confirm_view(self, request, job_id: int):
        job = self._job(request, job_id)
        if request.method != "POST":
            raise Http404
        if jobs.confirm(job):
            messages.success(request, _("The import has started."))
        else:
            messages.error(request, _("This import cannot start: fix the rejected rows or choose 'valid rows only'."))
        return HttpResponseRedirect(reverse(f"{self.admin_site.name}:roster_importjob_change", args=[job.pk]))

    def errors_view(self, request, job_id: int):
        job = self._job(request, job_id)
        content = error_report_xlsx(problems_from({"headers": job.headers, "rejected": job.problems}))
        record(
            EXPORT,
            request=request,
            resource=job,
            details={"what": "roster error report", "format": "xlsx", "rows": len(job.problems)},
        )
        response = HttpResponse(content, content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.xlsx"'
        return response

    def export_view(self, request):
        require_permission(request.user, "student:export", request=request)
        response = HttpResponse(content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="roster-{timezone.localdate():%Y%m%d}.xlsx"'
        export_xlsx(response, request=request)
        return response

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_export": has_permission(request.user, "student:export")}
        return super().changelist_view(request, extra_context)


@admin.action(description=_("Export to Excel (.xlsx)"), permissions=["export"])
def export_roster(modeladmin, request, queryset):
    """The academy's student list in the roster import's own format, so the file can be
    edited and imported again (an action the roster adds to the academy's StudentAdmin)."""
    response = HttpResponse(content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="students.xlsx"'
    export_xlsx(response, request=request, students=queryset)
    return response


StudentAdmin.actions = [*StudentAdmin.actions, export_roster]
