from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KZoneConfig(AppConfig):
    name = "apps.kzone"
    label = "kzone"
    verbose_name = _("K-Zone AI tutors")
