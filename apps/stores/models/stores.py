"""Stores, their listings on the review platforms, and the tenant's plan (seed 002)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.deletion import CASCADE_WHERE_PRESENT

from .base import Platform, Timestamped


class Subscription(Timestamped):
    """The tenant's plan: one row per store tenant (plans and their limits: services.plans)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        GRACE = "grace", _("Payment failed, in grace period")
        CANCELLED = "cancelled", _("Cancelled")

    singleton = models.BooleanField(default=True, unique=True, editable=False)
    plan = models.CharField(_("plan"), max_length=20, default="free")
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE)
    grace_until = models.DateField(_("grace until"), null=True, blank=True)
    # Google Cloud Pub/Sub pushes to /api/v1/stores/google/push/?token=<this>.
    push_token = models.CharField(_("push token"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("subscription")


class Store(Timestamped):
    class Category(models.TextChoices):
        RESTAURANT = "restaurant", _("Restaurant")
        CAFE = "cafe", _("Cafe")
        BEAUTY = "beauty", _("Beauty salon")
        ACADEMY = "academy", _("Academy")
        RETAIL = "retail", _("Retail")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=100)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices, default=Category.RESTAURANT)
    address = models.CharField(_("address"), max_length=200, blank=True)
    # Brand voice of reply drafts.
    tone = models.CharField(_("tone"), max_length=100, blank=True, default="친절하고 정중하게")
    signoff = models.CharField(_("sign-off"), max_length=100, blank=True)
    avoid_words = models.JSONField(_("words to avoid"), default=list, blank=True)
    reply_max_length = models.PositiveIntegerField(_("reply length limit"), default=300)
    auto_reply_positive = models.BooleanField(
        _("auto-reply to positive 4–5 star reviews"),
        default=False,
        help_text=_("Never for ≤ 3 stars, negative or urgent."),
    )
    # Alerts wait until the quiet hours end (Asia/Seoul); equal start and end: none.
    quiet_start = models.TimeField(_("quiet hours start"), null=True, blank=True)
    quiet_end = models.TimeField(_("quiet hours end"), null=True, blank=True)
    alert_phone = models.CharField(_("alert phone"), max_length=20, blank=True)
    alert_telegram_chat_id = models.CharField(_("alert Telegram chat id"), max_length=40, blank=True)
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="StoreStaff", blank=True, related_name="stores", verbose_name=_("staff")
    )
    archived = models.BooleanField(_("archived"), default=False)

    class Meta:
        verbose_name = _("store")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class StoreStaff(models.Model):
    """A staff member assigned to a store (the staff role's `assigned` scope)."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=CASCADE_WHERE_PRESENT)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["store", "user"], name="stores_staff_once")]

    def __str__(self) -> str:
        return f"{self.store} · {self.user}"


class Listing(Timestamped):
    """A store's place on one platform. Google: the Business Profile location name
    (`accounts/…/locations/…`) and the owner's OAuth access; Naver/Kakao: the place id/URL."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="listings")
    platform = models.CharField(_("platform"), max_length=10, choices=Platform.choices)
    place_id = models.CharField(_("place id"), max_length=200)
    url = models.URLField(_("URL"), blank=True)
    # Google only: the OAuth access token granted by the owner (encrypted, apps.core.pii).
    oauth_token = models.TextField(_("OAuth token"), blank=True, editable=False)
    crawl_enabled = models.BooleanField(
        _("read the public page hourly"), default=False, help_text=_("Off by default: read only your own listing.")
    )
    last_synced_at = models.DateTimeField(_("last synced"), null=True, blank=True)

    class Meta:
        verbose_name = _("listing")
        constraints = [models.UniqueConstraint(fields=["store", "platform"], name="stores_one_listing_per_platform")]

    def __str__(self) -> str:
        return f"{self.store} · {self.get_platform_display()}"
