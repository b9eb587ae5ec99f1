"""Reply drafts and their approval; alerts on bad reviews; the daily and weekly reports."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.core.deletion import SET_NULL_WHERE_PRESENT

from .reviews import Review
from .stores import Store


class ReplyDraft(models.Model):
    class Source(models.TextChoices):
        TEMPLATE = "template", _("Template (no AI model configured)")
        LLM = "llm", _("AI model")
        MANUAL = "manual", _("Written by hand")

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        POSTED = "posted", _("Posted")
        FAILED = "failed", _("Posting failed")

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="drafts")
    text = models.TextField(_("text"))
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    auto = models.BooleanField(_("approved automatically"), default=False)
    suggested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=SET_NULL_WHERE_PRESENT, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=SET_NULL_WHERE_PRESENT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    posted_at = models.DateTimeField(null=True, blank=True)
    post_attempts = models.PositiveSmallIntegerField(default=0)
    post_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("reply draft")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # At most one reply of a review goes out: two approvers at once cannot both win.
            models.UniqueConstraint(
                fields=["review"],
                condition=Q(status__in=["approved", "posted", "failed"]),
                name="stores_one_reply_out_per_review",
            )
        ]

    def __str__(self) -> str:
        return f"{self.review} · {self.get_status_display()}"


class Alert(models.Model):
    """One alert per review (negative or urgent), sent once the quiet hours are over."""

    review = models.OneToOneField(Review, on_delete=models.CASCADE, related_name="alert")
    reasons = models.JSONField(default=list)
    due_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("alert")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.review} · {', '.join(self.reasons)}"


class Report(models.Model):
    class Kind(models.TextChoices):
        DAILY = "daily", _("Daily report")
        WEEKLY = "weekly", _("Weekly analysis")

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="reports")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("report")
        ordering = ["-period_start", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["store", "kind", "period_start"], name="stores_one_report_per_period")
        ]

    def __str__(self) -> str:
        return f"{self.store} · {self.get_kind_display()} {self.period_start}"
