from django.db import models
from django.utils.translation import gettext_lazy as _


def default_weights() -> dict:
    # Explained term by term in apps/academy/services/vindex.py and the README.
    return {
        "base": 1.0,
        "attendance": 1.0,
        "payment": 2.0,
        "feedback": 0.5,
        "absence": 1.5,
        "late": 0.5,
        "overdue": 3.0,
        "withdrawal": 5.0,
        "interaction": 0.05,
        "sibling": 1.0,
        "guardian": 0.5,
        "referral": 2.0,
        "window_days": 90,
        "risk_drop_percent": 20.0,
    }


class VIndexWeights(models.Model):
    """The academy's weights for the V-Index (one row per schema)."""

    weights = models.JSONField(_("weights"), default=default_weights)

    class Meta:
        verbose_name = _("V-Index weights")
        verbose_name_plural = _("V-Index weights")

    def __str__(self) -> str:
        return str(_("V-Index weights"))

    @classmethod
    def current(cls) -> dict:
        row, _created = cls.objects.get_or_create(pk=1)
        return {**default_weights(), **row.weights}


class VIndexSnapshot(models.Model):
    """A student's V-Index at one moment, with every term that made it."""

    student = models.ForeignKey(
        "academy.Student", verbose_name=_("student"), on_delete=models.CASCADE, related_name="vindex"
    )
    computed_at = models.DateTimeField(_("computed"), db_index=True)
    value = models.FloatField(_("V-Index"))
    motions = models.FloatField(_("motions"))
    threats = models.FloatField(_("threats"))
    relations = models.FloatField(_("relations"))
    months = models.FloatField(_("months enrolled (t)"))
    breakdown = models.JSONField(_("breakdown"), default=dict)
    at_risk = models.BooleanField(_("churn risk"), default=False, db_index=True)

    class Meta:
        verbose_name = _("V-Index snapshot")
        verbose_name_plural = _("V-Index snapshots")
        ordering = ["-computed_at"]
        indexes = [models.Index(fields=["student", "-computed_at"], name="academy_vindex_latest")]

    def __str__(self) -> str:
        return f"{self.student}: {self.value:.1f}"
