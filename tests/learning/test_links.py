"""Parent–student links (item 8): a parent asks by e-mail or phone; the student approves,
or for a child under 14 the organisation's administrator; only approved links show
anything; every decision is in the audit log."""

from __future__ import annotations

from datetime import date

import pytest

from apps.audit.models import AuditEntry
from apps.learning.models import ParentLink

pytestmark = pytest.mark.django_db

TEEN = date(2008, 3, 1)
CHILD = date(2017, 5, 5)


def ask(client, **data):
    return client.post("/api/v1/links/", data, content_type="application/json")


def children(client) -> set[int]:
    response = client.get("/api/v1/students/")
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_teen_approves_and_only_then_the_parent_sees_them(zone, people):
    org = people.org()
    student, student_client = people.student(org, born=TEEN, email="minjun@example.com")
    _parent, parent_client = people.parent()

    response = ask(parent_client, email="MinJun@example.com")
    assert response.status_code == 201, response.content
    link = ParentLink.objects.get(pk=response.json()["id"])
    assert link.status == "pending" and link.via == "email"
    assert children(parent_client) == set()  # pending shows nothing
    assert parent_client.get(f"/api/v1/students/{student.pk}/").status_code == 404

    # The parent cannot approve their own request.
    assert parent_client.post(f"/api/v1/links/{link.pk}/approve/").status_code == 403

    # The student sees the request and approves it.
    listed = student_client.get("/api/v1/links/").json()["results"]
    assert [row["id"] for row in listed] == [link.pk]
    response = student_client.post(f"/api/v1/links/{link.pk}/approve/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "approved"
    assert children(parent_client) == {student.pk}
    entry = AuditEntry.objects.get(action="learning.link.approved")
    assert entry.actor == student.user and entry.resource_id == str(link.pk)

    # Deciding twice is refused.
    assert student_client.post(f"/api/v1/links/{link.pk}/reject/").status_code == 400

    # Revoked: nothing again.
    assert parent_client.post(f"/api/v1/links/{link.pk}/revoke/").status_code == 200
    assert children(parent_client) == set()
    assert AuditEntry.objects.filter(action="learning.link.revoked").exists()


def test_child_under_14_is_decided_by_their_org_admin(zone, people):
    org, other = people.org(), people.org()
    child, child_client = people.student(org, born=CHILD, phone="010-2222-3333")
    _parent, parent_client = people.parent()
    _admin, admin_client = people.org_admin(org)
    _other_admin, other_admin_client = people.org_admin(other)

    response = ask(parent_client, phone="01022223333")
    assert response.status_code == 201, response.content
    link_id = response.json()["id"]
    assert response.json()["via"] == "phone"

    # The child cannot approve; another organisation's admin does not even see the link.
    response = child_client.post(f"/api/v1/links/{link_id}/approve/")
    assert response.status_code == 400 and "status" in response.json()["fields"]
    assert other_admin_client.post(f"/api/v1/links/{link_id}/approve/").status_code == 404
    assert ParentLink.objects.get(pk=link_id).status == "pending"

    response = admin_client.post(f"/api/v1/links/{link_id}/reject/")
    assert response.status_code == 200 and response.json()["status"] == "rejected"
    assert children(parent_client) == set()
    assert AuditEntry.objects.filter(action="learning.link.rejected", resource_id=str(link_id)).exists()

    # Rejected: the parent may ask again, and this time the admin approves.
    second = ask(parent_client, phone="010-2222-3333").json()["id"]
    assert admin_client.post(f"/api/v1/links/{second}/approve/").status_code == 200
    assert children(parent_client) == {child.pk}


def test_bad_requests_name_the_field_and_write_nothing(zone, people):
    people.student(people.org(), email="someone@example.com")
    _parent, client = people.parent()
    for data, field in (
        ({}, "email"),
        ({"email": "nobody@example.com"}, "email"),
        ({"phone": "010-9999-0000"}, "phone"),
        ({"phone": "12"}, "phone"),
        ({"email": "someone@example.com", "phone": "010-1111-2222"}, "email"),
    ):
        response = ask(client, **data)
        assert response.status_code == 400, (data, response.content)
        assert field in response.json()["fields"], (data, response.json())
    assert not ParentLink.objects.exists()
    assert ask(client, email="someone@example.com").status_code == 201
    assert ask(client, email="someone@example.com").status_code == 400  # asked already


def test_parent_links_do_not_cross_zones(tenants, people):
    with tenants["zone"].context():
        people.student(people.org(), email="only-in-a@example.com")
    with tenants["zone_b"].context():
        _parent, client = people.parent(key="zone_b")
        response = ask(client, email="only-in-a@example.com")
        assert response.status_code == 400
        assert not ParentLink.objects.exists()


def test_a_parent_sees_only_their_own_links(zone, people):
    org = people.org()
    s, _s_client = people.student(org)
    _p1, c1 = people.parent()
    _p2, c2 = people.parent()
    link = ask(c1, email=s.user.email).json()["id"]
    assert c2.get(f"/api/v1/links/{link}/").status_code == 404
    assert c2.post(f"/api/v1/links/{link}/revoke/").status_code == 404
