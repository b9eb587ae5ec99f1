"""Reviews gathered from the platforms, their earlier versions, and each ingestion session."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.core.deletion import SET_NULL_WHERE_PRESENT

from .base import Platform, Timestamped
from .stores import Store


class IngestionSession(models.Model):
    """One run of a connector for one store (seed 002's crawlingsession)."""

    class Source(models.TextChoices):
        API = "api", _("Platform API")
        PUSH = "push", _("Push notification")
        PASTE = "paste", _("Owner's pasted list")
        CRAWL = "crawl", _("Public page")

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="sessions")
    platform = models.CharField(_("platform"), max_length=10, choices=Platform.choices)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    found = models.PositiveIntegerField(_("found"), default=0)
    new = models.PositiveIntegerField(_("new"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    failed = models.PositiveIntegerField(_("failed"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=SET_NULL_WHERE_PRESENT)

    class Meta:
        verbose_name = _("ingestion session")
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.store} · {self.platform} · {self.started_at:%Y-%m-%d %H:%M}"


class Review(Timestamped):
    class Sentiment(models.TextChoices):
        POSITIVE = "positive", _("Positive")
        NEGATIVE = "negative", _("Negative")
        NEUTRAL = "neutral", _("Neutral")
        MIXED = "mixed", _("Mixed")

    class ReplyStatus(models.TextChoices):
        NONE = "none", _("No reply")
        DRAFTED = "drafted", _("Draft awaiting approval")
        APPROVED = "approved", _("Approved, not posted yet")
        POSTED = "posted", _("Replied")

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="reviews")
    platform = models.CharField(_("platform"), max_length=10, choices=Platform.choices)
    # The platform's own id where it shows one (Google reviewId); else blank and the
    # natural key (author, date, normalised text) identifies the review.
    external_id = models.CharField(_("platform review id"), max_length=200, blank=True)
    natural_key = models.CharField(max_length=64, editable=False)
    author = models.CharField(_("author"), max_length=100, blank=True)
    rating = models.PositiveSmallIntegerField(_("stars"), null=True, blank=True)
    text = models.TextField(_("text"), blank=True)
    written_on = models.DateField(_("written on"))
    version = models.PositiveIntegerField(_("version"), default=1)
    platform_reply = models.TextField(_("reply on the platform"), blank=True)
    first_session = models.ForeignKey(IngestionSession, null=True, blank=True, on_delete=models.SET_NULL)
    cross_post_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cross_posts",
        verbose_name=_("cross-post of"),
    )
    # Analysis (services.analysis); empty until analysed.
    analysed_at = models.DateTimeField(_("analysed"), null=True, blank=True)
    analysis_backend = models.CharField(max_length=40, blank=True)
    sentiment = models.CharField(_("sentiment"), max_length=10, choices=Sentiment.choices, blank=True)
    sentiment_score = models.FloatField(_("sentiment score"), null=True, blank=True)
    aspects = models.JSONField(_("aspects"), default=dict, blank=True)
    keywords = models.JSONField(_("keywords"), default=list, blank=True)
    urgent = models.JSONField(_("urgent matters"), default=list, blank=True)
    reply_status = models.CharField(
        _("reply status"), max_length=10, choices=ReplyStatus.choices, default=ReplyStatus.NONE
    )

    class Meta:
        verbose_name = _("review")
        ordering = ["-written_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["store", "platform", "external_id"],
                condition=~Q(external_id=""),
                name="stores_review_platform_id",
            ),
            models.UniqueConstraint(
                fields=["store", "platform", "natural_key"],
                condition=Q(external_id=""),
                name="stores_review_natural_key",
            ),
        ]
        indexes = [
            models.Index(fields=["store", "-written_on", "-id"], name="stores_review_inbox"),
            models.Index(fields=["store", "sentiment"], name="stores_review_sentiment"),
        ]

    def __str__(self) -> str:
        return f"{self.get_platform_display()} · {self.author or '-'} · {self.written_on}"

    @property
    def is_urgent(self) -> bool:
        return bool(self.urgent)


class ReviewVersion(models.Model):
    """What a review said before its author edited it."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    text = models.TextField()
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    replaced_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["review", "version"], name="stores_review_version")]

    def __str__(self) -> str:
        return f"{self.review} v{self.version}"
