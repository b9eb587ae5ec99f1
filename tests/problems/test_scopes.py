"""Who sees whose work, role by role, on the zone's learning people (apps.learning): the
same registered scopes filter the API, the pages and the admin."""

from __future__ import annotations

import pytest

from tests.learning.conftest import people  # noqa: F401  (fixture)

from .conftest import CHOICE

pytestmark = pytest.mark.django_db


@pytest.fixture
def school(tenants, people):  # noqa: F811
    """Two classes of one organisation and a student of another, each with one answer."""
    from apps.learning.services import links
    from apps.learning.services import people as svc
    from apps.problems import services

    t = tenants["zone"]
    with t.context():
        org, other_org = people.org("한빛고"), people.org("새솔고")
        s1, s1_client = people.student(org)
        s2, _ = people.student(org)
        s3, _ = people.student(other_org)
        t1, t1_client = people.teacher(org)
        t2, t2_client = people.teacher(org)
        _admin, admin_client = people.org_admin(org)
        c1 = svc.create_class(organisation=org, name="1반", teachers=[t1])
        c2 = svc.create_class(organisation=org, name="2반", teachers=[t2])
        svc.enroll(c1, s1)
        svc.enroll(c2, s2)
        parent, parent_client = people.parent()
        approved = links.request_link(actor=parent, email=s1.user.email)
        links.decide_link(approved, approve=True, actor=s1.user)
        links.request_link(actor=parent, email=s2.user.email)  # pending: sees nothing of s2
        problem = services.create_problem(actor=t1, **CHOICE)
        subs = {s: services.submit(problem, actor=s.user, choice=1).pk for s in (s1, s2, s3)}
    return {
        "subs": {"s1": subs[s1], "s2": subs[s2], "s3": subs[s3]},
        "users": {"s1": s1.user.pk, "s2": s2.user.pk, "s3": s3.user.pk},
        "clients": {"s1": s1_client, "t1": t1_client, "t2": t2_client, "admin": admin_client, "parent": parent_client},
    }


def _ids(client, url: str) -> list[int]:
    response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return sorted(row["id"] for row in response.json()["results"])


def _students(client, url: str) -> list[int]:
    return sorted(row["student"] for row in client.get(url).json()["results"])


def test_every_role_sees_exactly_its_students_submissions(school):
    subs, clients = school["subs"], school["clients"]
    expected = {
        "s1": [subs["s1"]],
        "t1": [subs["s1"]],
        "t2": [subs["s2"]],
        "admin": sorted([subs["s1"], subs["s2"]]),
    }
    for who, ids in expected.items():
        assert _ids(clients[who], "/api/v1/submissions/") == ids, who
        for other in set(subs.values()) - set(ids):
            assert clients[who].get(f"/api/v1/submissions/{other}/").status_code == 404, (who, other)
    # a teacher reviews only their own students' work
    url = f"/api/v1/submissions/{subs['s2']}/review/"
    assert clients["t1"].post(url, {"score": 1}, content_type="application/json").status_code == 404
    assert clients["t2"].post(url, {"score": 1}, content_type="application/json").status_code == 200


def test_a_parent_sees_the_progress_of_approved_children_only(school):
    users, clients = school["users"], school["clients"]
    assert _students(clients["parent"], "/api/v1/progress/") == [users["s1"]]
    assert _students(clients["t1"], "/api/v1/progress/") == [users["s1"]]
    assert _students(clients["admin"], "/api/v1/progress/") == sorted([users["s1"], users["s2"]])
    # the parent role reads no submissions at all (the zone roles grant it progress only)
    assert clients["parent"].get("/api/v1/submissions/").status_code == 403


def test_another_zone_reaches_nothing(school, tenants):
    subs, clients = school["subs"], school["clients"]
    foreign = tenants["zone_b"].client()
    foreign.cookies = clients["t1"].cookies
    for url in (f"/api/v1/submissions/{subs['s1']}/", "/api/v1/submissions/", "/api/v1/progress/"):
        assert foreign.get(url).status_code in (401, 403), url
