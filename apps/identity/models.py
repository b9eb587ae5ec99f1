from django.db import models
from django.utils.translation import gettext_lazy as _


class Identity(models.Model):
    """One real person across every tenant (public schema). Tenants' profiles point here by
    id; the key is an HMAC blind index (apps.core.pii.blind_index), never a phone in clear,
    so the registry can recognise a person without holding their contact details."""

    class Kind(models.TextChoices):
        PHONE = "phone", _("Person with this phone number")
        STUDENT = "student", _("Student")

    key = models.CharField(_("key"), max_length=64, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("universal identity")
        verbose_name_plural = _("universal identities")

    def __str__(self) -> str:
        return f"{self.kind}:{self.key[:12]}"
