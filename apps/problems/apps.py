from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProblemsConfig(AppConfig):
    name = "apps.problems"
    verbose_name = _("Problems and AI feedback")

    def ready(self) -> None:
        from . import scopes  # noqa: F401  row scopes of the zone roles for problems, submissions, progress
