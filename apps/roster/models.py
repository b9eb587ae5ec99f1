from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.deletion import created_by_field


def _upload_to(job: "ImportJob", filename: str) -> str:
    # The storage puts each tenant's files under its own schema folder.
    return f"roster/{job.file_hash}/{filename}"


class ImportJob(models.Model):
    """One roster file uploaded in the admin: previewed (a dry run), then imported, both in
    Celery on the `imports` queue. The same file with the same options is one job."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting for the preview")
        PLANNING = "planning", _("Checking the file")
        PLANNED = "planned", _("Preview ready")
        IMPORT_QUEUED = "import_queued", _("Waiting to import")
        IMPORTING = "importing", _("Importing")
        DONE = "done", _("Imported")
        REJECTED = "rejected", _("Not imported: rows rejected")
        FAILED = "failed", _("Failed")

    file = models.FileField(_("file"), upload_to=_upload_to)
    file_name = models.CharField(_("file name"), max_length=255)
    file_hash = models.CharField(_("file hash"), max_length=64, editable=False)
    valid_only = models.BooleanField(_("import the valid rows only"), default=False)
    create_classes = models.BooleanField(_("create missing classes"), default=False)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    progress_done = models.PositiveIntegerField(_("done"), default=0)
    progress_total = models.PositiveIntegerField(_("total"), default=0)
    preview = models.JSONField(_("preview"), default=dict, blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)
    problems = models.JSONField(_("rejected rows"), default=list, blank=True)
    headers = models.JSONField(_("headers"), default=list, blank=True)
    error = models.TextField(_("error"), blank=True)
    # The Celery task working on the job: its own redelivery may resume, another task not.
    task_id = models.CharField(_("task"), max_length=64, blank=True, editable=False)
    created_by = created_by_field(_("uploaded by"))
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("student import")
        verbose_name_plural = _("student imports")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["file_hash", "valid_only", "create_classes"], name="roster_importjob_one_per_file"
            )
        ]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"

    @property
    def can_import(self) -> bool:
        return self.status == self.Status.PLANNED and (self.valid_only or not self.problems)
