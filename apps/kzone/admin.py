"""K-Zone's content management in the zone's admin (`tutor:manage`: the zone administrator):
voice lines with an optional reference recording, drama scenes with their script, and
choreographies with their reference video (uploads checked and stored through apps.media;
a new reference video is analysed once on the pose queue). Takes are records, read-only."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from apps.accounts.admin_mixins import PermissionAdminMixin
from apps.core.admin import admin_permissions

from . import services
from .models import Choreography, DramaLine, DramaScene, Take, VoiceLine

MANAGE = admin_permissions("tutor:manage")


class ReferenceForm(forms.ModelForm):
    reference_file = forms.FileField(
        label=_("Upload a reference"), required=False, help_text=_("Checked by its bytes, not by its name.")
    )

    def clean_reference_file(self):
        """apps.media's checks before anything is saved: a refused file is shown on the form."""
        upload = self.cleaned_data.get("reference_file")
        if upload is not None:
            kind = "voice" if isinstance(self.instance, VoiceLine) else "video"
            try:
                services.check_upload(kind, upload)
            except ValidationError as exc:
                raise forms.ValidationError(exc.messages) from exc
        return upload


class ContentAdmin(PermissionAdminMixin, admin.ModelAdmin):
    permissions = MANAGE
    scope_rows = False  # the zone's content; who may manage it is the permission
    form = ReferenceForm
    saver = None

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # unpublished, never deleted: takes refer to it

    def save_model(self, request, obj, form, change):
        fields = {
            name: form.cleaned_data[name]
            for name in form.cleaned_data
            if name not in ("reference_file",)
            and hasattr(obj, name)
            and not isinstance(form.fields[name], forms.ModelMultipleChoiceField)
        }
        try:
            saved = type(self).saver(obj if change else None, actor=request.user, **fields)
            upload = form.cleaned_data.get("reference_file")
            if upload is not None:
                saved = services.attach_reference(saved, upload, actor=request.user)
        except ValidationError as exc:
            self.message_user(request, "; ".join(exc.messages), level="error")
            raise
        obj.pk = saved.pk
        obj.refresh_from_db()


@admin.register(VoiceLine)
class VoiceLineAdmin(ContentAdmin):
    saver = staticmethod(services.save_voice_line)
    list_display = ["title", "kind", "language", "published", "updated_at"]
    list_filter = ["kind", "language", "published"]
    search_fields = ["title", "text"]
    fields = ["title", "kind", "text", "language", "translation", "published", "reference_file", "reference_audio"]
    readonly_fields = ["reference_audio"]


class DramaLineInline(admin.TabularInline):
    model = DramaLine
    extra = 2
    fields = ["order", "character", "text", "direction"]

    def _manage(self, request) -> bool:
        from apps.accounts.permissions import has_permission

        return has_permission(request.user, "tutor:manage")

    def has_view_permission(self, request, obj=None) -> bool:
        return self._manage(request)

    has_add_permission = has_change_permission = has_delete_permission = lambda self, request, obj=None: self._manage(
        request
    )


@admin.register(DramaScene)
class DramaSceneAdmin(PermissionAdminMixin, admin.ModelAdmin):
    permissions = MANAGE
    scope_rows = False
    list_display = ["title", "language", "published", "updated_at"]
    fields = ["title", "synopsis", "language", "published"]
    inlines = [DramaLineInline]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in ("title", "synopsis", "language", "published")}
        obj.pk = services.save_scene(obj if change else None, actor=request.user, **data).pk
        obj.refresh_from_db()

    def save_formset(self, request, form, formset, change):
        """The script through the service (numbered again in the order given), not row by row."""
        rows = []
        for line in formset.forms:
            data = getattr(line, "cleaned_data", None) or {}
            if not data or data.get("DELETE") or not data.get("text"):
                continue
            rows.append((data.get("order") or 0, {k: data.get(k) or "" for k in ("character", "text", "direction")}))
        if rows:
            rows.sort(key=lambda row: row[0])
            services.save_scene(form.instance, actor=request.user, lines=[row for _, row in rows])
        # what the admin's change message reads from a formset it saved itself
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


@admin.register(Choreography)
class ChoreographyAdmin(ContentAdmin):
    saver = staticmethod(services.save_choreography)
    list_display = ["title", "bpm", "pose_status", "published", "updated_at"]
    fields = ["title", "description", "bpm", "published", "reference_file", "reference_video"]
    fields += ["pose_status", "pose_backend", "pose_error", "duration"]
    readonly_fields = ["reference_video", "pose_status", "pose_backend", "pose_error", "duration"]


@admin.register(Take)
class TakeAdmin(PermissionAdminMixin, admin.ModelAdmin):
    permissions = {"view": "tutor:manage", "add": None, "change": None, "delete": None}
    scope_rows = False
    list_display = ["created_at", "kind", "user", "status", "stage", "score"]
    list_filter = ["kind", "status"]
    readonly_fields = ["kind", "user", "voice_line", "scene", "character", "choreography", "media_key", "language"]
    readonly_fields += ["status", "stage", "progress", "jobs", "score", "result", "error", "created_at", "finished_at"]
    fields = readonly_fields

    def has_add_permission(self, request, *args) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
