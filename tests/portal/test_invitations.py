"""Imported or staff-made guardians reach the portal: staff invite them, the guardian sets
a password through a one-time link, then signs in with their phone number."""

import re
from datetime import date

import pytest

from apps.academy.models import Guardian
from apps.academy.services import people
from apps.accounts.permissions import role_codes
from apps.ledger.models import Event
from apps.notifications.models import Message
from tests.academy.conftest import student

NEW_PASSWORD = "Bada-2026-sky!"


@pytest.fixture
def imported(tenants, db):
    """A family as a roster import leaves it: a guardian with a phone and no login."""
    t = tenants["academy"]
    with t.context():
        kid = student("최지우", date(2015, 4, 4), "010-4321-8765")
        guardian = Guardian.objects.get(family=kid.family)
        assert guardian.user is None
    return t, kid, guardian


def invite_from_admin(client, guardian) -> None:
    response = client.post(
        "/admin/academy/guardian/", {"action": "invite_to_portal", "_selected_action": [guardian.pk]}
    )
    assert response.status_code == 302, response.content.decode()[:500]


def invitation_path(t, guardian) -> str:
    with t.context():
        message = Message.objects.get(template__code="portal_invite", contact_ref=f"guardian:{guardian.pk}")
    return re.search(r"https?://[^/\s]+(/portal/welcome/\S+/)", message.text).group(1)


def test_staff_invite_a_guardian_who_then_signs_in_with_their_phone(imported, member):
    t, kid, guardian = imported
    _staff, desk = member("academy", "staff")
    invite_from_admin(desk, guardian)
    invite_from_admin(desk, guardian)  # a second click the same day sends nothing more
    with t.context():
        guardian.refresh_from_db()
        assert guardian.user is not None and "guardian" in role_codes(guardian.user)
        assert not guardian.user.has_usable_password()
        assert Message.objects.filter(template__code="portal_invite").count() == 1
        assert Event.objects.filter(kind="guardian.invited").count() == 2
    path = invitation_path(t, guardian)

    parent = t.client()
    page = parent.get(path)
    assert page.status_code == 200 and "010-4321-8765" in page.content.decode()
    weak = parent.post(path, {"new_password1": "1234", "new_password2": "1234"})
    assert weak.status_code == 200 and "errorlist" in weak.content.decode()
    with t.context():
        guardian.user.refresh_from_db()
        assert not guardian.user.has_usable_password()  # nothing written
    done = parent.post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302 and done.url == "/portal/"
    assert kid.name in parent.get("/portal/").content.decode()

    # The link worked once.
    assert t.client().get(path).status_code == 400

    # From now on: phone number (any common form) and password.
    for typed in ("010-4321-8765", "+82 10 4321 8765"):
        browser = t.client()
        signed = browser.post("/accounts/login/", {"login": typed, "password": NEW_PASSWORD})
        assert signed.status_code == 302, signed.content.decode()[:300]
        assert kid.name in browser.get("/portal/").content.decode()
    wrong = t.client().post("/accounts/login/", {"login": "01043218765", "password": "not-it-2026!"})
    assert wrong.status_code == 200  # the form again, not signed in


def test_the_link_and_the_phone_mean_nothing_on_another_academy(imported, member, tenants):
    t, _kid, guardian = imported
    _staff, desk = member("academy", "staff")
    invite_from_admin(desk, guardian)
    path = invitation_path(t, guardian)
    other = tenants["academy_b"]
    assert other.client().get(path).status_code == 400
    assert t.client().post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}).status_code == 302
    signed = other.client().post("/accounts/login/", {"login": "010-4321-8765", "password": NEW_PASSWORD})
    assert signed.status_code == 200  # no such person there


def test_a_guardian_without_a_phone_is_refused_and_nothing_is_created(tenants, member, db):
    t = tenants["academy"]
    with t.context():
        kid = student("번호없음", date(2016, 1, 1), "010-1111-0000")
        guardian = Guardian.objects.get(family=kid.family)
        Guardian.objects.filter(pk=guardian.pk).update(phone=None, phone_index=None)
    _staff, desk = member("academy", "staff")
    response = desk.post(
        "/admin/academy/guardian/", {"action": "invite_to_portal", "_selected_action": [guardian.pk]}, follow=True
    )
    assert "phone" in response.content.decode() or "전화" in response.content.decode()
    with t.context():
        guardian.refresh_from_db()
        assert guardian.user is None
        assert not Message.objects.filter(template__code="portal_invite").exists()


def test_a_coach_cannot_invite(imported, member):
    _t, _kid, guardian = imported
    _coach, coach = member("academy", "coach")
    coach.post("/admin/academy/guardian/", {"action": "invite_to_portal", "_selected_action": [guardian.pk]})
    guardian.refresh_from_db()
    assert guardian.user is None


def test_writing_the_phone_another_way_buys_no_extra_sign_in_attempts(imported, member):
    t, _kid, guardian = imported
    _staff, desk = member("academy", "staff")
    invite_from_admin(desk, guardian)
    path = invitation_path(t, guardian)
    assert t.client().post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}).status_code == 302
    forms = ["010-4321-8765", "01043218765", "+82 10 4321 8765", "010 4321 8765", "82-10-4321-8765"]
    for n, typed in enumerate(forms):  # each from another address: only the account limit counts
        attempt = t.client().post(
            "/accounts/login/", {"login": typed, "password": "Wrong-2026-pw!"}, REMOTE_ADDR=f"10.9.0.{n}"
        )
        assert attempt.status_code == 200
    locked = t.client().post(
        "/accounts/login/", {"login": "01043218765", "password": NEW_PASSWORD}, REMOTE_ADDR="10.9.1.1"
    )
    assert locked.status_code == 429


def test_a_guardian_imported_without_a_name_is_invited_as_parent(tenants, member, db):
    t = tenants["academy"]
    with t.context():
        kid = people.upsert_student(
            name="무명보호자아이", birth_date=date(2016, 2, 2), guardian_phone="010-2468-1357"
        ).student
        guardian = Guardian.objects.get(family=kid.family)
        assert guardian.name == ""
    _staff, desk = member("academy", "staff")
    invite_from_admin(desk, guardian)
    with t.context():
        message = Message.objects.get(template__code="portal_invite")
    assert message.text.startswith("학부모님") and "/portal/welcome/" in message.text
