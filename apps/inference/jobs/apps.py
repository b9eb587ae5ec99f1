from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InferenceJobsConfig(AppConfig):
    """Per-tenant AI jobs (every tenant type; the registry of servers is public)."""

    name = "apps.inference.jobs"
    label = "inference_jobs"
    verbose_name = _("AI jobs")
