"""Sending through the loopback sandboxes of NAVER Cloud SENS (Alimtalk) and the Telegram
Bot API, served by the real ASGI server, with the real clients."""

import uuid

import pytest
from django.db import transaction

from apps.notifications import services
from apps.notifications.models import Message, Preference, Template
from apps.notifications.providers import RetryableError
from apps.notifications.ratelimit import RateLimiter
from apps.notifications.services import Contact, notify

from .conftest import configure_providers, control

VARS = {"student": "김민준", "date": "12/02", "time": "16:01", "class": "선수반"}


@pytest.fixture
def by_hand(monkeypatch):
    """These tests drive send_message themselves: keep the session's real worker (which may
    be running) from sending the same message at the same time."""
    monkeypatch.setattr(services, "enqueue", lambda message: None)


def phone() -> str:
    return f"010{uuid.uuid4().int % 10**8:08d}".replace("0000", "0001")


def test_alimtalk_goes_out_signed_and_matching_the_approved_template(
    by_hand, asgi_server, live_tenant, sandbox_messages
):
    t = live_tenant("academy")
    with t.context():
        configure_providers(asgi_server)
        number = phone()
        message = notify(
            template="attendance_arrival", to=Contact("guardian:1", "김영희", number), variables=VARS, key="a:1"
        )
        assert message.channel == "alimtalk"
        assert services.send_message(message.pk) == "sent"
        message.refresh_from_db()
        assert message.provider_message_id and message.request_id and not message.fallback_used
        assert services.send_message(message.pk) == "sent"  # again: nothing more goes out
    (received,) = sandbox_messages(to=number)
    assert received.content == message.text and received.template_code == "ATTEND_IN_01"


def test_recipient_without_kakaotalk_gets_the_sms_fallback(by_hand, asgi_server, live_tenant, sandbox_messages):
    t = live_tenant("academy")
    number = "01055550000"
    with t.context():
        configure_providers(asgi_server)
        message = notify(
            template="attendance_arrival", to=Contact("guardian:2", "박", number), variables=VARS, key="a:2"
        )
        services.send_message(message.pk)
        message.refresh_from_db()
        assert message.status == "sent" and message.fallback_used
    assert sandbox_messages(to=number)[-1].failover == "SMS"


def test_text_that_differs_from_the_approved_template_is_refused(by_hand, asgi_server, live_tenant, sandbox_messages):
    t = live_tenant("academy")
    number = phone()
    with t.context():
        configure_providers(asgi_server)
        services.template("attendance_arrival")
        Template.objects.filter(code="attendance_arrival").update(body="#{student} 왔어요 #{date} #{time} #{class}")
        message = notify(
            template="attendance_arrival", to=Contact("guardian:3", "이", number), variables=VARS, key="a:3"
        )
        assert services.send_message(message.pk) == "failed"
        message.refresh_from_db()
        assert "template content mismatch" in message.last_error
    assert sandbox_messages(to=number) == []


def test_telegram_when_the_recipient_prefers_it(by_hand, asgi_server, live_tenant, sandbox_messages):
    t = live_tenant("academy")
    with t.context():
        configure_providers(asgi_server)
        Preference.objects.create(contact_ref="guardian:4", channels=["telegram"])
        to = Contact("guardian:4", "최", phone(), telegram_chat_id="987654")
        message = notify(template="attendance_arrival", to=to, variables=VARS, key="a:4")
        assert message.channel == "telegram"
        assert services.send_message(message.pk) == "sent"
        bad = notify(
            template="attendance_arrival",
            to=Contact("guardian:4", "최", "", telegram_chat_id="0"),
            variables=VARS,
            key="a:5",
        )
        assert services.send_message(bad.pk) == "failed"
    assert sandbox_messages(to="987654")[-1].content == message.text


def test_provider_errors_are_retried_and_the_message_goes_once(by_hand, asgi_server, live_tenant, sandbox_messages):
    t = live_tenant("academy")
    number = phone()
    with t.context():
        configure_providers(asgi_server)
        message = notify(
            template="attendance_arrival", to=Contact("guardian:5", "정", number), variables=VARS, key="a:6"
        )
        control(asgi_server, "sens", fail_next=2)
        for _attempt in range(2):
            with pytest.raises(RetryableError):
                services.send_message(message.pk)
        assert services.send_message(message.pk) == "sent"
        message.refresh_from_db()
        assert message.attempts == 3
    assert len(sandbox_messages(to=number)) == 1


def test_a_redelivered_task_after_the_provider_accepted_does_not_send_twice(
    by_hand, asgi_server, live_tenant, sandbox_messages
):
    """The worker died after SENS accepted the message but before it recorded that: the
    message is left SENDING without a request id. The next attempt asks SENS first."""
    from apps.notifications.providers import provider_for

    t = live_tenant("academy")
    number = phone()
    with t.context():
        configure_providers(asgi_server)
        message = notify(
            template="attendance_arrival", to=Contact("guardian:6", "한", number), variables=VARS, key="a:7"
        )
        provider_for("alimtalk").send(message)  # reached the provider…
        Message.objects.filter(pk=message.pk).update(status="sending", attempts=1)  # …then the worker died
        assert services.send_message(message.pk) == "sent"
        message.refresh_from_db()
        assert message.attempts == 1
    assert len(sandbox_messages(to=number)) == 1


def test_a_worker_sends_after_commit(celery_worker, asgi_server, live_tenant, sandbox_messages):
    import time

    t = live_tenant("academy")
    number = phone()
    with t.context():
        configure_providers(asgi_server)
        with transaction.atomic():
            message = notify(
                template="attendance_arrival", to=Contact("guardian:7", "윤", number), variables=VARS, key="a:8"
            )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            message.refresh_from_db()
            if message.status == "sent":
                break
            time.sleep(0.1)
        assert message.status == "sent"
    assert len(sandbox_messages(to=number)) == 1


def test_a_task_from_one_tenant_cannot_reach_another_tenants_outbox(by_hand, live_tenant):
    a, b = live_tenant("academy"), live_tenant("academy")
    with a.context():
        message = notify(
            template="attendance_arrival", to=Contact("guardian:8", "강", phone()), variables=VARS, key="a:9"
        )
    with b.context():
        assert services.send_message(message.pk) == "missing"
    with a.context():
        message.refresh_from_db()
        assert message.status == "queued"


def test_rate_limiter_allows_ten_in_any_second(db):
    limiter = RateLimiter(f"test:{uuid.uuid4().hex}", 10)
    start = 1_000_000
    assert [limiter.try_take(start + n * 10) for n in range(10)] == [0] * 10
    assert limiter.try_take(start + 500) == 500  # waits until the first send is a second old
    assert limiter.try_take(start + 999) == 1
    assert limiter.try_take(start + 1000) == 0  # the first left the window: one more may go
    assert limiter.try_take(start + 1000) > 0
