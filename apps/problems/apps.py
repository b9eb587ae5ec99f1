from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProblemsConfig(AppConfig):
    name = "apps.problems"
    verbose_name = _("Problems and AI feedback")

    def ready(self) -> None:
        from apps.learning.services import hooks

        from . import scopes  # noqa: F401  row scopes of the zone roles for problems, submissions, progress
        from .services import record_exam_progress

        hooks.FINISHED.append(record_exam_progress)  # progress per content area from finished exams
