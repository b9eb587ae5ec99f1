"""The fleet registry (public schema): model servers the GPU workers dispatch to."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    LLM = "llm", _("LLM (chat completions)")
    STT = "stt", _("speech to text")
    POSE = "pose", _("pose")
    EMBEDDING = "embedding", _("embeddings")


class JobStatus(models.TextChoices):
    """The life of a job on the fleet, and of the records that follow one (a K-Zone take)."""

    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    SUCCEEDED = "succeeded", _("succeeded")
    FAILED = "failed", _("failed")
    CANCELLED = "cancelled", _("cancelled")


JOB_FINISHED = (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)


class ModelServer(models.Model):
    """One HTTP model server. LLM, speech and embedding servers speak the OpenAI API
    (vLLM, llama.cpp's server, faster-whisper servers, OpenAI itself); pose servers speak
    apps/inference/pose_protocol.md. The API key is never stored: only the name of the
    environment variable that holds it on the workers."""

    class Source(models.TextChoices):
        ADMIN = "admin", _("operator admin")
        ENV = "env", _("environment (INFERENCE_SERVERS)")

    name = models.SlugField(_("name"), max_length=80, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, db_index=True)
    base_url = models.URLField(_("base URL"), help_text=_("e.g. http://gpu-1:8000 (without /v1)"))
    model = models.CharField(_("model name"), max_length=200, help_text=_("as the server names it in /v1/models"))
    api_key_env = models.CharField(
        _("API key variable"),
        max_length=100,
        blank=True,
        help_text=_("Name of the environment variable holding the key on the workers (never the key)."),
    )
    max_concurrency = models.PositiveIntegerField(
        _("max concurrent requests"), default=4, validators=[MinValueValidator(1)]
    )
    weight = models.PositiveIntegerField(
        _("weight"), default=1, validators=[MinValueValidator(1)], help_text=_("Higher takes more of the load.")
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    source = models.CharField(_("declared in"), max_length=10, choices=Source.choices, default=Source.ADMIN)
    # Written by the probe (apps.inference.tasks.probe_servers, every 30 s).
    healthy = models.BooleanField(_("healthy"), null=True, blank=True)
    last_probe_at = models.DateTimeField(_("last probe"), null=True, blank=True)
    last_latency_ms = models.FloatField(_("probe latency (ms)"), null=True, blank=True)
    last_error = models.CharField(_("last probe error"), max_length=500, blank=True)
    models_seen = models.JSONField(_("models served"), default=list, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("model server")
        verbose_name_plural = _("model servers")
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"

    def clean(self):
        if self.api_key_env and not self.api_key_env.replace("_", "").isalnum():
            raise ValidationError({"api_key_env": _("An environment variable name: letters, digits and _.")})
        if self.base_url.rstrip("/").endswith("/v1"):
            self.base_url = self.base_url.rstrip("/")[: -len("/v1")]
