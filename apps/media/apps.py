from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MediaConfig(AppConfig):
    """Media storage for every tenant type: per-schema prefixes on the filesystem or an
    S3-compatible bucket, presigned uploads and playback, content checked by its bytes."""

    name = "apps.media"
    verbose_name = _("Media")

    def ready(self) -> None:
        from . import signals  # noqa: F401
