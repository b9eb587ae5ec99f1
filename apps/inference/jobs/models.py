"""Per-tenant AI jobs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.inference.models import JOB_FINISHED, JobStatus, Kind


class InferenceJob(models.Model):
    Status = JobStatus
    FINISHED = JOB_FINISHED

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, db_index=True)
    feature = models.CharField(
        _("feature"), max_length=80, blank=True, help_text=_("Who asked, e.g. stores.reply_draft.")
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requester"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inference_jobs",
    )
    # Inputs by reference: text, chat messages, or media keys in the tenant's storage.
    inputs = models.JSONField(_("inputs"), default=dict)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    result = models.JSONField(_("result"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    # "server:<name>" or "cpu:<backend>": who produced the result, shown wherever it is.
    backend = models.CharField(_("backend"), max_length=120, blank=True)
    backend_label = models.CharField(_("backend description"), max_length=200, blank=True)
    attempts = models.JSONField(_("attempts"), default=list, blank=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=120, null=True, blank=True, unique=True)
    # A fresh token per run of the task: a run only writes while its token is the job's.
    run_token = models.CharField(max_length=32, blank=True)
    cancel_requested = models.BooleanField(_("cancel requested"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    wait_ms = models.PositiveIntegerField(_("queue wait (ms)"), null=True, blank=True)
    run_ms = models.PositiveIntegerField(_("run time (ms)"), null=True, blank=True)
    tokens = models.PositiveIntegerField(_("tokens"), default=0)
    audio_seconds = models.FloatField(_("audio seconds"), default=0)
    frames = models.PositiveIntegerField(_("frames"), default=0)

    class Meta:
        verbose_name = _("AI job")
        verbose_name_plural = _("AI jobs")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["requester", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in self.FINISHED
