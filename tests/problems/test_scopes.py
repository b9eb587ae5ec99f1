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


def test_a_parent_reads_the_submissions_of_approved_children_only(school):
    """own_children: s1 approved the link; s2's is still pending; s3 is another family's."""
    subs, users, parent = school["subs"], school["users"], school["clients"]["parent"]
    assert _ids(parent, "/api/v1/submissions/") == [subs["s1"]]
    assert _students(parent, "/api/v1/submissions/") == [users["s1"]]
    mine = parent.get(f"/api/v1/submissions/{subs['s1']}/")
    assert mine.status_code == 200 and mine.json()["student"] == users["s1"]
    for other in ("s2", "s3"):
        assert parent.get(f"/api/v1/submissions/{subs[other]}/").status_code == 404, other
        assert _ids(parent, f"/api/v1/submissions/?student={users[other]}") == []
    # reading is all: a parent neither reviews nor asks for feedback again
    url = f"/api/v1/submissions/{subs['s1']}/"
    assert parent.post(url + "review/", {"score": 1}, content_type="application/json").status_code == 403
    assert parent.post(url + "feedback/").status_code == 403


def test_another_zone_reaches_nothing(school, tenants):
    subs, clients = school["subs"], school["clients"]
    foreign = tenants["zone_b"].client()
    foreign.cookies = clients["t1"].cookies
    for url in (f"/api/v1/submissions/{subs['s1']}/", "/api/v1/submissions/", "/api/v1/progress/"):
        assert foreign.get(url).status_code in (401, 403), url


def test_a_teacher_edits_their_own_and_their_schools_problems_only(tenants, people, member):  # noqa: F811
    """A school's teachers share its bank; another school's bank is not even visible (404);
    the zone's own published problems are read-only to teachers (403)."""
    from apps.problems import services

    t = tenants["zone"]
    with t.context():
        school, other_school = people.org("한빛고"), people.org("새솔고")
        writer, writer_client = people.teacher(school)
        _colleague, colleague_client = people.teacher(school)
        _stranger, stranger_client = people.teacher(other_school)
        _admin, admin_client = people.org_admin(school)
        _other_admin, other_admin_client = people.org_admin(other_school)
        loner, loner_client = member("zone", "teacher")  # a teacher of no school
        ours = services.create_problem(actor=writer, **CHOICE)
        theirs = services.create_problem(actor=_stranger, **CHOICE)
        zones = services.create_problem(actor=None, **CHOICE)
        loners = services.create_problem(actor=loner, **{**CHOICE, "status": "draft"})
    assert ours.organisation == school and theirs.organisation == other_school
    assert zones.organisation is None and loners.organisation is None

    def edit(client, problem) -> int:
        return client.patch(
            f"/api/v1/problems/{problem.pk}/", {"title": "고친 제목"}, content_type="application/json"
        ).status_code

    expected = {
        "writer": {ours: 200, theirs: 404, zones: 403, loners: 404},
        "colleague": {ours: 200, theirs: 404, zones: 403, loners: 404},
        "stranger": {ours: 404, theirs: 200, zones: 403, loners: 404},
        "admin": {ours: 200, theirs: 404, zones: 404, loners: 404},
        "other_admin": {ours: 404, theirs: 200, zones: 404, loners: 404},
        "loner": {ours: 404, theirs: 404, zones: 403, loners: 200},
    }
    clients = {
        "writer": writer_client,
        "colleague": colleague_client,
        "stranger": stranger_client,
        "admin": admin_client,
        "other_admin": other_admin_client,
        "loner": loner_client,
    }
    for who, answers in expected.items():
        got = {problem: edit(clients[who], problem) for problem in answers}
        assert got == answers, who
        # what a teacher may read is the list: their schools', their own, the zone's published
        visible = {row["id"] for row in clients[who].get("/api/v1/problems/").json()["results"]}
        assert visible == {p.pk for p, code in answers.items() if code != 404}, who
    with t.context():
        ours.refresh_from_db()
        zones.refresh_from_db()
        theirs.refresh_from_db()
        assert ours.title == theirs.title == "고친 제목" and zones.title == CHOICE["title"]


def test_the_edit_rule_holds_in_the_service_for_every_door(tenants, people):  # noqa: F811
    """The admin and the pages call the same service: it refuses a teacher of another school."""
    from django.core.exceptions import PermissionDenied

    from apps.problems import services
    from apps.problems.scopes import may_edit

    with tenants["zone"].context():
        school, other_school = people.org("한빛고"), people.org("새솔고")
        writer, writer_client = people.teacher(school)
        stranger, stranger_client = people.teacher(other_school)
        problem = services.create_problem(actor=writer, **CHOICE)
        zones = services.create_problem(actor=None, **CHOICE)
        assert may_edit(problem, writer) and not may_edit(problem, stranger)
        with pytest.raises(PermissionDenied):
            services.update_problem(problem, actor=stranger, title="남의 문제")
        problem.refresh_from_db()
        assert problem.title == CHOICE["title"]
    # the pages: another school's problem is not there to edit (404), not even its form
    assert stranger_client.get(f"/problems/{problem.pk}/edit/").status_code == 404
    # the zone's own problem: readable, not editable (no Edit link, the form is a 403)
    assert writer_client.get(f"/problems/{problem.pk}/edit/").status_code == 200
    assert f"/problems/{zones.pk}/edit/".encode() not in writer_client.get(f"/problems/{zones.pk}/").content
    assert writer_client.get(f"/problems/{zones.pk}/edit/").status_code == 403


def test_a_student_reads_the_zone_s_and_their_own_school_s_problems_only(tenants, people):  # noqa: F811
    """Another school's bank is not there for a student (404 on the API and the page, and no
    answer can be handed in); a draft of their own school neither."""
    from apps.problems import services

    t = tenants["zone"]
    with t.context():
        school, other_school = people.org("한빛고"), people.org("새솔고")
        teacher, _ = people.teacher(school)
        stranger, _ = people.teacher(other_school)
        _student, client = people.student(school)
        ours = services.create_problem(actor=teacher, **CHOICE)
        draft = services.create_problem(actor=teacher, **{**CHOICE, "status": "draft"})
        theirs = services.create_problem(actor=stranger, **CHOICE)
        zones = services.create_problem(actor=None, **CHOICE)
    listed = {row["id"] for row in client.get("/api/v1/problems/").json()["results"]}
    assert listed == {ours.pk, zones.pk}
    for problem in (theirs, draft):
        assert client.get(f"/api/v1/problems/{problem.pk}/").status_code == 404
        answer = client.post(f"/api/v1/problems/{problem.pk}/submit/", {"choice": 1}, content_type="application/json")
        assert answer.status_code == 404
        assert client.get(f"/problems/{problem.pk}/").status_code == 404
    assert client.get(f"/problems/{zones.pk}/").status_code == 200
    mine = client.post(f"/api/v1/problems/{ours.pk}/submit/", {"choice": 1}, content_type="application/json")
    assert mine.status_code == 201
