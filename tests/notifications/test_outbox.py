import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from apps.notifications.models import Message, Preference, Template
from apps.notifications.rendering import render
from apps.notifications.services import Contact, notify

pytestmark = pytest.mark.django_db

GUARDIAN = Contact(ref="guardian:1", name="김영희", phone="01012345678")
VARS = {"student": "김민준", "date": "12/02", "time": "16:01", "class": "선수반"}


def test_render_fills_exactly_the_templates_variables():
    assert render("#{a}님 #{b}", {"a": "김", "b": "1"}) == "김님 1"
    for bad in ({"a": "김"}, {"a": "김", "b": "1", "c": "x"}, {"a": "김", "b": " "}):
        with pytest.raises(ValidationError) as info:
            render("#{a}님 #{b}", bad)
        assert "variables" in info.value.message_dict


def test_notify_writes_one_message_per_key(tenants):
    with tenants["academy"].context():
        first = notify(template="attendance_arrival", to=GUARDIAN, variables=VARS, key="attendance:1:present:1")
        again = notify(template="attendance_arrival", to=GUARDIAN, variables=VARS, key="attendance:1:present:1")
        assert first.pk == again.pk and Message.objects.count() == 1
        assert first.text == "김민준 학생이 12/02 16:01에 선수반 수업에 출석했습니다."
        assert first.priority == "urgent"
        assert first.channel == "console"  # no provider configured in this tenant


def test_nothing_is_written_or_sent_when_the_transaction_rolls_back(tenants, django_capture_on_commit_callbacks):
    with tenants["academy"].context():
        with django_capture_on_commit_callbacks() as callbacks, pytest.raises(RuntimeError), transaction.atomic():
            notify(
                template="receipt",
                to=GUARDIAN,
                variables={"name": "김", "amount": "1", "method": "현금", "date": "d"},
                key="r:1",
            )
            raise RuntimeError
        assert Message.objects.count() == 0 and callbacks == []


def test_muted_and_marketing_opt_out(tenants):
    with tenants["academy"].context():
        Template.objects.create(code="promo", name="홍보", body="#{name}님 새 학기 안내", priority="marketing")
        Preference.objects.create(contact_ref=GUARDIAN.ref, marketing_opt_out=True)
        assert notify(template="promo", to=GUARDIAN, variables={"name": "김"}, key="promo:1") is None
        Preference.objects.filter(contact_ref=GUARDIAN.ref).update(muted=True)
        assert notify(template="attendance_arrival", to=GUARDIAN, variables=VARS, key="a:2") is None
        assert Message.objects.count() == 0


def test_unknown_template_and_wrong_variables_are_refused(tenants):
    with tenants["academy"].context():
        with pytest.raises(ValidationError) as info:
            notify(template="nope", to=GUARDIAN, variables={}, key="x")
        assert "template" in info.value.message_dict
        with pytest.raises(ValidationError):
            notify(template="attendance_arrival", to=GUARDIAN, variables={"student": "x"}, key="y")
        assert Message.objects.count() == 0


def test_templates_and_messages_are_per_tenant(tenants):
    with tenants["academy"].context():
        notify(template="attendance_arrival", to=GUARDIAN, variables=VARS, key="k")
        Template.objects.filter(code="attendance_arrival").update(body="#{student} 출석 #{date} #{time} #{class}")
    with tenants["academy_b"].context():
        assert Message.objects.count() == 0
        assert Template.objects.count() == 0
        message = notify(template="attendance_arrival", to=GUARDIAN, variables=VARS, key="k")
        assert message.text.endswith("출석했습니다.")
