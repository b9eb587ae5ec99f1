"""Notifications: an outbox written in the business transaction, sent after commit.

    from apps.notifications.services import Contact, notify
    notify(template="attendance_arrival", to=Contact(ref="guardian:7", name="김영희", phone="01012345678"),
           variables={...}, priority="urgent", key=f"attendance:{pk}:present:7")

- `key` is UNIQUE: notifying the same event twice writes (and sends) one message.
- The channel is the recipient's first preferred channel that the tenant has a provider
  for and the recipient has an address on (Alimtalk: a phone; Telegram: a chat id).
- Sending (`send_message`) records SENDING before calling the provider and SENT after;
  an attempt that may have reached the provider is reconciled with the provider before
  any new attempt, so no retry, redelivered task or rollback sends a message twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .defaults import DEFAULT_TEMPLATES
from .models import Channel, Message, Preference, Priority, ProviderConfig, Template
from .providers import PermanentError, RetryableError, provider_for
from .ratelimit import RateLimiter
from .rendering import render

# Celery priorities on the Redis broker: 0 is served first.
CELERY_PRIORITY = {Priority.URGENT: 0, Priority.NORMAL: 5, Priority.MARKETING: 9}
DEFAULT_CHANNELS = [Channel.ALIMTALK, Channel.TELEGRAM]


@dataclass
class Contact:
    ref: str  # e.g. "guardian:12": whose preferences apply
    name: str = ""
    phone: str = ""
    telegram_chat_id: str = ""
    email: str = ""

    def address(self, channel: str) -> str:
        return {Channel.ALIMTALK: self.phone, Channel.TELEGRAM: self.telegram_chat_id, Channel.CONSOLE: self.ref}.get(
            channel, ""
        )


def template(code: str) -> Template:
    found = Template.objects.filter(code=code).first()
    if found is not None:
        return found
    if code not in DEFAULT_TEMPLATES:
        raise ValidationError({"template": _("No message template %(code)s.") % {"code": code}})
    found, _created = Template.objects.get_or_create(code=code, defaults=DEFAULT_TEMPLATES[code])
    return found


def choose_channel(contact: Contact, preference: Preference | None, tmpl: Template) -> str | None:
    configured = set(ProviderConfig.objects.filter(enabled=True).values_list("channel", flat=True))
    for channel in preference.channels if preference and preference.channels else DEFAULT_CHANNELS:
        if channel not in configured or not contact.address(channel):
            continue
        if channel == Channel.ALIMTALK and not (tmpl.approved and tmpl.provider_template_code):
            continue
        return channel
    if getattr(settings, "NOTIFICATIONS_CONSOLE_FALLBACK", False):
        return Channel.CONSOLE
    return None


def notify(*, template: str, to: Contact, variables: dict, priority: str | None = None, key: str) -> Message | None:
    """Put a message in the outbox (in the caller's transaction) and send it after commit.
    Returns None when the recipient opted out or cannot be reached."""
    tmpl = globals()["template"](template)
    if not tmpl.active:
        return None
    priority = priority or tmpl.priority
    if priority not in Priority.values:
        raise ValidationError({"priority": _("Unknown priority %(p)s.") % {"p": priority}})
    text = render(tmpl.body, {k: str(v) for k, v in variables.items()})
    existing = Message.objects.filter(key=key).first()
    if existing is not None:
        return existing
    preference = Preference.objects.filter(contact_ref=to.ref).first()
    if preference and (preference.muted or (priority == Priority.MARKETING and preference.marketing_opt_out)):
        return None
    channel = choose_channel(to, preference, tmpl)
    fields = {
        "template": tmpl,
        "channel": channel or Channel.CONSOLE,
        "priority": priority,
        "contact_ref": to.ref,
        "recipient_name": to.name[:100],
        "address": to.address(channel) if channel else "",
        "variables": variables,
        "text": text,
        "status": Message.Status.QUEUED if channel else Message.Status.SKIPPED,
        "last_error": "" if channel else _("No provider configured for any channel of this recipient."),
    }
    try:
        with transaction.atomic():
            message = Message.objects.create(key=key, **fields)
    except IntegrityError:
        return Message.objects.get(key=key)
    if channel:
        enqueue(message)
    return message


def enqueue(message: Message) -> None:
    from .tasks import send_message

    send_message.apply_async_on_commit(args=[message.pk], priority=CELERY_PRIORITY[message.priority])


def _limiter(message: Message) -> RateLimiter | None:
    config = ProviderConfig.objects.filter(channel=message.channel).first()
    if config is None:
        return None
    return RateLimiter(f"{connection.schema_name}:{message.channel}", config.rate_per_second)


def send_message(message_id: int) -> str:
    """Send one outbox message. Safe to call any number of times, concurrently too."""
    with transaction.atomic():
        message = Message.objects.select_for_update(skip_locked=True).filter(pk=message_id).first()
        if message is None:
            # Not in this schema (a task can't reach another tenant's outbox), or another
            # worker holds it right now.
            return "busy" if Message.objects.filter(pk=message_id).exists() else "missing"
        if message.status in (Message.Status.SENT, Message.Status.SKIPPED, Message.Status.FAILED):
            return message.status
        provider = provider_for(message.channel)
        if provider is None:
            message.status, message.last_error = Message.Status.FAILED, _("The provider is no longer configured.")
            message.save(update_fields=["status", "last_error"])
            return message.status
        if message.status == Message.Status.SENDING:
            # An earlier attempt may have reached the provider: ask before sending again.
            found = provider.find_sent(message)
            if found is not None:
                _mark_sent(message, found)
                return message.status
        message.status, message.attempts = Message.Status.SENDING, message.attempts + 1
        message.sending_started_at = timezone.now()
        message.save(update_fields=["status", "attempts", "sending_started_at"])
    limiter = _limiter(message)
    if limiter is not None:
        granted = limiter.take()
        # The moment the limiter let it go: what the provider's rate limit counts.
        message.sending_started_at = datetime.fromtimestamp(granted, tz=UTC)
        Message.objects.filter(pk=message.pk).update(sending_started_at=message.sending_started_at)
    try:
        result = provider.send(message)
    except RetryableError as exc:
        status = Message.Status.SENDING if exc.uncertain else Message.Status.QUEUED
        Message.objects.filter(pk=message.pk).update(status=status, last_error=str(exc)[:1000])
        raise
    except PermanentError as exc:
        Message.objects.filter(pk=message.pk).update(status=Message.Status.FAILED, last_error=str(exc)[:1000])
        return Message.Status.FAILED
    with transaction.atomic():
        _mark_sent(message, result)
    return message.status


def _mark_sent(message: Message, result) -> None:
    message.status = Message.Status.SENT
    message.provider_message_id = result.provider_message_id
    message.request_id = result.request_id or message.request_id
    message.fallback_used = result.fallback_used
    message.provider_response = result.response
    message.sent_at = timezone.now()
    message.last_error = ""
    message.save(
        update_fields=[
            "status",
            "provider_message_id",
            "request_id",
            "fallback_used",
            "provider_response",
            "sent_at",
            "last_error",
        ]
    )


def give_up(message_id: int, error: str) -> None:
    Message.objects.filter(pk=message_id).exclude(status=Message.Status.SENT).update(
        status=Message.Status.FAILED, last_error=error[:1000]
    )


@transaction.atomic
def resend(message: Message, *, actor=None) -> Message:
    """Send the same content again as a new message (recorded as a resend, never a retry
    of the old one)."""
    count = message.resends.count() + 1
    copy = Message.objects.create(
        key=f"{message.key}:resend:{count}",
        template=message.template,
        channel=message.channel,
        priority=message.priority,
        contact_ref=message.contact_ref,
        recipient_name=message.recipient_name,
        address=message.address,
        variables=message.variables,
        text=message.text,
        resend_of=message,
    )
    enqueue(copy)
    return copy


@transaction.atomic
def set_preference(
    contact_ref: str,
    *,
    channels: list[str],
    marketing_opt_out: bool,
    muted: bool,
    allowed: tuple[str, ...] | None = None,
    actor=None,
) -> Preference:
    """Save how a recipient wants to be reached (channel order, marketing opt-out, mute).
    Consent to marketing is a business fact, so the change goes to the ledger."""
    from apps.ledger.services import append

    allowed = tuple(allowed or Channel.values)
    if len(set(channels)) != len(channels):
        raise ValidationError({"channels": _("Choose each channel once.")})
    unknown = [c for c in channels if c not in allowed]
    if unknown:
        raise ValidationError({"channels": _("Unknown channel %(channel)s.") % {"channel": unknown[0]}})
    preference, _created = Preference.objects.select_for_update().get_or_create(contact_ref=contact_ref)
    before = (preference.channels, preference.marketing_opt_out, preference.muted)
    preference.channels, preference.marketing_opt_out, preference.muted = list(channels), marketing_opt_out, muted
    if _created or before != (preference.channels, preference.marketing_opt_out, preference.muted):
        preference.save()
        append(
            "notification.preferences_changed",
            subject=preference,
            actor=actor,
            data={
                "recipient": contact_ref,
                "channels": preference.channels,
                "marketing_opt_out": marketing_opt_out,
                "muted": muted,
            },
        )
    return preference
