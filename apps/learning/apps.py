from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LearningConfig(AppConfig):
    name = "apps.learning"
    verbose_name = _("Learning zone")

    def ready(self) -> None:
        from . import roles, scopes, tasks  # noqa: F401  the zone's roles and their row scopes; its tasks
        from .services import hooks, leaderboards, people

        roles.register()
        people.register_blind_indexes()
        if leaderboards.record_attempt not in hooks.FINISHED:
            hooks.FINISHED.append(leaderboards.record_attempt)
