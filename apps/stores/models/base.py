from django.db import models
from django.utils.translation import gettext_lazy as _


class Timestamped(models.Model):
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class Platform(models.TextChoices):
    NAVER = "naver", _("Naver Place")
    KAKAO = "kakao", _("Kakao Map")
    GOOGLE = "google", _("Google")
