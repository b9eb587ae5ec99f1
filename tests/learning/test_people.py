"""Organisations, classes and their scopes (item 8): a teacher reaches the students of
their own classes only, an org_admin their own organisation only, and nothing crosses zones."""

from __future__ import annotations

import pytest

from apps.learning.models import Enrollment, Klass
from apps.learning.services import people as svc
from apps.ledger.models import Event

pytestmark = pytest.mark.django_db


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    body = response.json()
    rows = body["results"] if isinstance(body, dict) else body
    return {row["id"] for row in rows}


def test_teacher_sees_only_their_classes_and_students(zone, people):
    org = people.org()
    teacher, client = people.teacher(org)
    other_teacher, _ = people.teacher(org)
    mine = svc.create_class(organisation=org, name="3-1", teachers=[teacher])
    theirs = svc.create_class(organisation=org, name="3-2", teachers=[other_teacher])
    a, _ = people.student(org)
    b, _ = people.student(org)
    svc.enroll(mine, a)
    svc.enroll(theirs, b)

    assert ids(client.get("/api/v1/classes/")) == {mine.pk}
    assert ids(client.get("/api/v1/students/")) == {a.pk}
    assert client.get(f"/api/v1/students/{b.pk}/").status_code == 404
    assert client.get(f"/api/v1/classes/{theirs.pk}/").status_code == 404

    svc.unenroll(mine, a)
    assert ids(client.get("/api/v1/students/")) == set()


def test_org_admin_manages_own_org_only(zone, people):
    org, other = people.org("한빛고"), people.org("누리중")
    _admin_user, client = people.org_admin(org)
    teacher, _ = people.teacher(org)
    outsider, _ = people.teacher(other)
    s1, _ = people.student(org)
    s2, _ = people.student(other)

    response = client.post(
        "/api/v1/classes/",
        {"organisation": org.pk, "name": "1반", "teachers": [teacher.pk]},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    klass = Klass.objects.get(pk=response.json()["id"])
    assert list(klass.teachers.all()) == [teacher]
    assert Event.objects.filter(kind="learning.class.created", subject_id=str(klass.pk)).exists()

    # A teacher of another organisation cannot be put on the class; nothing is written.
    response = client.patch(
        f"/api/v1/classes/{klass.pk}/", {"teachers": [outsider.pk]}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "teachers" in response.json()["fields"]
    assert list(klass.teachers.all()) == [teacher]

    # Another organisation: its classes are not reachable, nor can a class be made there.
    response = client.post("/api/v1/classes/", {"organisation": other.pk, "name": "x"}, content_type="application/json")
    assert response.status_code == 400 and "organisation" in response.json()["fields"]
    assert ids(client.get("/api/v1/organisations/")) == {org.pk}
    assert ids(client.get("/api/v1/students/")) == {s1.pk}

    # Enrolling: own students only.
    response = client.post(f"/api/v1/classes/{klass.pk}/enroll/", {"student": s2.pk}, content_type="application/json")
    assert response.status_code == 400 and "student" in response.json()["fields"]
    response = client.post(f"/api/v1/classes/{klass.pk}/enroll/", {"student": s1.pk}, content_type="application/json")
    assert response.status_code == 200 and response.json()["students"] == [s1.pk]
    assert Enrollment.objects.filter(klass=klass, student=s1, is_active=True).exists()


def test_teacher_cannot_create_classes(zone, people):
    org = people.org()
    _teacher, client = people.teacher(org)
    response = client.post("/api/v1/classes/", {"organisation": org.pk, "name": "x"}, content_type="application/json")
    assert response.status_code == 403


def test_enroll_refuses_a_student_of_another_organisation(zone, people):
    org, other = people.org(), people.org()
    klass = svc.create_class(organisation=org, name="A")
    stranger, _ = people.student(other)
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as excinfo:
        svc.enroll(klass, stranger)
    assert "student" in excinfo.value.message_dict


def test_nothing_crosses_zones(tenants, people, django_db_blocker):
    """A zone_admin of zone B sees none of zone A's classes, even asking by id, and zone A's
    session does not sign anyone in on zone B."""
    with tenants["zone"].context():
        org = people.org()
        klass = svc.create_class(organisation=org, name="A반")
        _student, client_a = people.student(org)
    with tenants["zone_b"].context():
        _admin_b, client_b = people.teacher(people.org(), key="zone_b")
    assert client_b.get(f"/api/v1/classes/{klass.pk}/").status_code == 404
    assert ids(client_b.get("/api/v1/classes/")) == set()
    # Zone A's session cookie on zone B's host is nobody there.
    foreign = tenants["zone_b"].client()
    foreign.cookies = client_a.cookies
    assert foreign.get("/api/v1/me/").status_code in (401, 403)


def test_nickname_is_what_others_see(zone, people):
    student, client = people.student(name="김민준")
    assert student.shown_name == "김○○"
    response = client.post("/api/v1/students/nickname/", {"nickname": "수학왕"}, content_type="application/json")
    assert response.status_code == 200, response.content
    student.refresh_from_db()
    assert student.shown_name == "수학왕"
    response = client.post("/api/v1/students/nickname/", {"nickname": "x" * 41}, content_type="application/json")
    assert response.status_code == 400


def test_org_admin_reaches_the_users_of_their_organisation(zone, people):
    from apps.accounts.models import User
    from apps.accounts.scoping import visible_to

    org, other = people.org(), people.org()
    admin_user, _ = people.org_admin(org)
    teacher, _ = people.teacher(org)
    student, _ = people.student(org)
    stranger, _ = people.student(other)
    _outsider, _ = people.teacher(other)
    seen = set(visible_to(User.objects.all(), admin_user, "user:read"))
    assert seen == {admin_user, teacher, student.user}
    assert stranger.user not in seen
