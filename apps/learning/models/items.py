"""The item bank (issue 14, item 2): questions with their key, explanation, content area and
tags, a status (draft → pretest → live → retired), 3PL parameters and exposure counts.

IRT model: P(θ) = c + (1 − c) / (1 + exp(−D·a·(θ − b))) with **D = 1.0** (ITEM_D: the
logistic metric of the CAT engine, catsim, girth and mirt; parameters estimated in the
normal-ogive metric must be converted before import: a × 1.702).
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.core.validators import FileExtensionValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.core.deletion import created_by_field

from .people import Organisation, Timestamped

ITEM_D = 1.0


class Item(Timestamped):
    class Kind(models.TextChoices):
        CHOICE = "choice", _("Multiple choice")
        SHORT = "short", _("Short answer")
        NUMERIC = "numeric", _("Numeric answer")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PRETEST = "pretest", _("Pretest")
        LIVE = "live", _("Live")
        RETIRED = "retired", _("Retired")

    code = models.SlugField(
        _("code"), max_length=60, unique=True, help_text=_("The item's key in imports and exports.")
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="items",
        help_text=_("Empty: an item of the whole zone."),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.CHOICE)
    stem = models.TextField(_("stem (Markdown)"))
    # Stored under the tenant's media folder (TenantFileSystemStorage); no image library
    # needed: the extension is checked, the browser renders it.
    image = models.FileField(
        _("image"),
        upload_to="items/",
        blank=True,
        validators=[FileExtensionValidator(["png", "jpg", "jpeg", "gif", "webp"])],
    )
    choices = ArrayField(models.CharField(max_length=500), verbose_name=_("choices"), default=list, blank=True)
    # choice: the 1-based number of the right choice; short: accepted answers separated by |;
    # numeric: the number.
    key = models.CharField(_("key"), max_length=200)
    tolerance = models.FloatField(_("tolerance"), default=0.0, help_text=_("Numeric answers: accepted ± this."))
    explanation = models.TextField(_("explanation (Markdown)"), blank=True)
    area = models.CharField(_("content area"), max_length=60, db_index=True)
    tags = ArrayField(models.CharField(max_length=40), verbose_name=_("tags"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    a = models.FloatField(_("discrimination a"), default=1.0)
    b = models.FloatField(_("difficulty b"), default=0.0)
    c = models.FloatField(_("guessing c"), default=0.0)
    exposure_k = models.FloatField(
        _("Sympson–Hetter K"), default=1.0, help_text=_("Probability of giving the item when selected (1 = always).")
    )
    exposure_count = models.PositiveIntegerField(_("times given"), default=0)
    response_count = models.PositiveIntegerField(_("answers"), default=0)
    correct_count = models.PositiveIntegerField(_("correct answers"), default=0)
    calibrated_at = models.DateTimeField(_("calibrated"), null=True, blank=True)
    calibration_n = models.PositiveIntegerField(_("answers used in calibration"), default=0)
    created_by = created_by_field()

    class Meta:
        verbose_name = _("item")
        verbose_name_plural = _("items")
        ordering = ["area", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(a__gt=0), name="learning_item_a_positive"),
            models.CheckConstraint(condition=Q(c__gte=0, c__lt=1), name="learning_item_c_range"),
            models.CheckConstraint(condition=Q(exposure_k__gt=0, exposure_k__lte=1), name="learning_item_k_range"),
        ]
        indexes = [models.Index(fields=["status", "area"], name="learning_item_status_area")]

    def __str__(self) -> str:
        return self.code

    @property
    def D(self) -> float:
        return ITEM_D
