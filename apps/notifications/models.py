from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.pii import EncryptedTextField


class Channel(models.TextChoices):
    ALIMTALK = "alimtalk", _("KakaoTalk Alimtalk")
    TELEGRAM = "telegram", _("Telegram")
    CONSOLE = "console", _("Console (development)")


class Priority(models.TextChoices):
    URGENT = "urgent", _("Urgent")
    NORMAL = "normal", _("Normal")
    MARKETING = "marketing", _("Marketing")


class ProviderConfig(models.Model):
    """The tenant's own account with a provider: its sender profile, keys and endpoint."""

    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices, unique=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    base_url = models.URLField(_("API base URL"), help_text=_("The provider's API, or the sandbox in development."))
    account = models.CharField(
        _("account"), max_length=200, blank=True, help_text=_("Alimtalk: service id. Telegram: the bot's name.")
    )
    sender = models.CharField(
        _("sender"), max_length=100, blank=True, help_text=_("Alimtalk: the KakaoTalk channel (plusFriendId).")
    )
    sms_from = models.CharField(_("SMS sender number"), max_length=20, blank=True)
    access_key = models.CharField(_("access key"), max_length=200, blank=True)
    secret = EncryptedTextField(
        _("secret"), blank=True, null=True, help_text=_("Secret key or bot token; never shown.")
    )
    rate_per_second = models.PositiveSmallIntegerField(_("messages per second"), default=10)

    class Meta:
        verbose_name = _("provider")
        verbose_name_plural = _("providers")

    def __str__(self) -> str:
        return self.get_channel_display()


class Template(models.Model):
    """A message with #{variable} placeholders. For Alimtalk the body must be the text
    Kakao approved, character for character."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=100)
    body = models.TextField(_("text"))
    provider_template_code = models.CharField(_("Alimtalk template code"), max_length=60, blank=True)
    approved = models.BooleanField(
        _("approved for Alimtalk"), default=True, help_text=_("Kakao approved this exact text under the template code.")
    )
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Preference(models.Model):
    """How one recipient wants to be reached (a guardian, a student, a staff member)."""

    contact_ref = models.CharField(_("recipient"), max_length=60, unique=True)
    channels = models.JSONField(_("channels in order"), default=list, blank=True)
    marketing_opt_out = models.BooleanField(_("no marketing"), default=False)
    muted = models.BooleanField(_("no messages at all"), default=False)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return self.contact_ref


class Message(models.Model):
    """The outbox: one message to one recipient on one channel. Written in the same
    transaction as the event it tells about; sent after commit, exactly once."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped")

    key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    template = models.ForeignKey(
        Template, verbose_name=_("template"), on_delete=models.PROTECT, related_name="messages"
    )
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices)
    contact_ref = models.CharField(_("recipient"), max_length=60, db_index=True)
    recipient_name = models.CharField(_("recipient name"), max_length=100, blank=True)
    address = EncryptedTextField(_("address"), blank=True, null=True, help_text=_("Phone number or chat id."))
    variables = models.JSONField(_("variables"), default=dict)
    text = models.TextField(_("text"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    request_id = models.CharField(_("provider request id"), max_length=100, blank=True)
    provider_message_id = models.CharField(_("provider message id"), max_length=100, blank=True)
    provider_response = models.JSONField(_("provider response"), default=dict, blank=True)
    fallback_used = models.BooleanField(_("sent by SMS fallback"), default=False)
    last_error = models.TextField(_("last error"), blank=True)
    resend_of = models.ForeignKey(
        "self", verbose_name=_("resend of"), null=True, blank=True, on_delete=models.SET_NULL, related_name="resends"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    sending_started_at = models.DateTimeField(_("sending started"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.template.code} → {self.recipient_name or self.contact_ref}"


class SandboxMessage(models.Model):
    """What the loopback provider sandboxes received (platform host, development and tests)."""

    provider = models.CharField(max_length=20)
    request_id = models.CharField(max_length=64, db_index=True)
    message_id = models.CharField(max_length=64, unique=True)
    account = models.CharField(max_length=200)
    to = models.CharField(max_length=64, db_index=True)
    template_code = models.CharField(max_length=60, blank=True)
    content = models.TextField()
    failover = models.CharField(max_length=8, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("sandbox message")
        verbose_name_plural = _("sandbox messages")
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.provider} → {self.to}"
