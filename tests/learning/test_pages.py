"""The app. host's pages with Django's test client: a student takes an exam to the report;
a parent reads a child's report only through an approved link; a teacher reads their
classes' results and imports items; nothing of one zone shows on another."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from apps.learning.models import Attempt, Item
from apps.learning.services import exams, links
from apps.learning.services import people as people_svc
from apps.tenancy import services as tenancy

pytestmark = pytest.mark.django_db


@pytest.fixture
def app(tenants):
    tenancy.ensure_role_hosts(tenants["zone"].tenant, tenants["zone"].domain)

    def client_for(signed_in: Client) -> Client:
        client = Client(HTTP_HOST=f"app.{tenants['zone'].domain}")
        client.cookies = signed_in.cookies
        return client

    return client_for


def take(client, exam) -> int:
    response = client.post(f"/exams/{exam.pk}/start/")
    assert response.status_code == 302, response.content
    attempt_url = response.url
    for _ in range(40):
        page = client.get(attempt_url)
        if page.status_code == 302:
            assert "/report/" in page.url
            return int(re.search(r"/attempts/(\d+)/", page.url).group(1))
        item = re.search(r'name="item" value="(\d+)"', page.content.decode()).group(1)
        client.post(f"{attempt_url}answer/", {"item": item, "answer": "2"})
    raise AssertionError("the exam did not end")


def test_student_parent_and_teacher_pages(zone, bank, people, app):
    bank(20)
    exam = exams.publish(
        exams.create_exam(
            title="진단", kind="adaptive", cat_settings={"se_target": 0.6, "min_length": 3, "max_length": 6}
        )
    )
    org = people_svc.create_organisation(name="학교", code="school")
    student, s_client = people.student(org)
    teacher, t_client = people.teacher(org)
    _other_teacher, o_client = people.teacher(org)
    klass = people_svc.create_class(organisation=org, name="1반", teachers=[teacher])
    people_svc.enroll(klass, student)
    parent, p_client = people.parent()
    s, t, o, p = app(s_client), app(t_client), app(o_client), app(p_client)

    home = s.get("/").content.decode()
    assert "진단" in home and f'data-exam="{exam.pk}"' in home
    attempt_id = take(s, exam)
    report = s.get(f"/attempts/{attempt_id}/report/")
    html = report.content.decode()
    attempt = Attempt.objects.get(pk=attempt_id)
    assert report.status_code == 200 and 'id="theta-chart"' in html
    assert html.count("<circle") == attempt.n_answered
    assert f"{attempt.theta:.2f}" in html

    assert t.get(f"/attempts/{attempt_id}/report/").status_code == 200
    assert o.get(f"/attempts/{attempt_id}/report/").status_code == 404
    results = t.get(f"/teach/exams/{exam.pk}/").content.decode()
    assert student.name in results
    assert student.name not in o.get(f"/teach/exams/{exam.pk}/").content.decode()

    assert p.get(f"/attempts/{attempt_id}/report/").status_code == 404
    link = links.request_link(actor=parent, email=student.user.email)
    links.decide_link(link, approve=True, actor=student.user)
    assert p.get(f"/attempts/{attempt_id}/report/").status_code == 200
    assert f"/attempts/{attempt_id}/report/" in p.get("/").content.decode()

    # Only the student acts in their attempt.
    assert t.post(f"/attempts/{attempt_id}/submit/").status_code == 404


def test_teacher_imports_items_from_the_page(zone, people, app):
    import io

    _teacher, client = people.teacher(people_svc.create_organisation(name="학교", code="s2"))
    t = app(client)
    good = "코드,유형,문제,보기1,보기2,정답,영역,상태\nx1,choice,1+1?,1,2,2,수학,live\n".encode()
    upload = io.BytesIO(good)
    upload.name = "bank.csv"
    page = t.post("/teach/items/", {"file": upload, "dry_run": "1"})
    assert page.status_code == 200 and not Item.objects.exists()
    bad = "코드,유형,문제,보기1,보기2,정답,영역,상태\nx1,choice,1+1?,1,2,5,수학,live\n".encode()
    upload = io.BytesIO(bad)
    upload.name = "bank.csv"
    page = t.post("/teach/items/", {"file": upload})
    assert "import-errors" in page.content.decode() and not Item.objects.exists()
    upload = io.BytesIO(good)
    upload.name = "bank.csv"
    t.post("/teach/items/", {"file": upload})
    assert Item.objects.get(code="x1").status == "live"


def test_the_app_host_of_one_zone_shows_nothing_of_another(tenants, people, app):
    with tenants["zone"].context():
        _student, s_client = people.student()
    tenancy.ensure_role_hosts(tenants["zone_b"].tenant, tenants["zone_b"].domain)
    other = Client(HTTP_HOST=f"app.{tenants['zone_b'].domain}")
    other.cookies = s_client.cookies
    assert other.get("/").status_code == 302  # not signed in there


def test_teacher_opens_a_live_room_and_the_class_joins_from_the_app(zone, bank, people, app):
    from apps.learning.models import LiveRoom
    from apps.learning.services import rooms

    bank(10)
    exam = exams.publish(exams.create_exam(title="실시간", kind="adaptive", cat_settings={"max_length": 5}))
    org = people_svc.create_organisation(name="학교", code="rooms")
    teacher, t_client = people.teacher(org)
    _outsider, o_client = people.teacher(org)
    student, s_client = people.student(org)
    _stranger, x_client = people.student(org)
    klass = people_svc.create_class(organisation=org, name="3반", teachers=[teacher])
    people_svc.enroll(klass, student)
    t, o, s, x = app(t_client), app(o_client), app(s_client), app(x_client)

    assert o.post("/teach/rooms/", {"klass": klass.pk, "exam": exam.pk, "minutes": 30}).status_code == 200
    assert not LiveRoom.objects.exists()  # not the other teacher's class
    opened = t.post("/teach/rooms/", {"klass": klass.pk, "exam": exam.pk, "minutes": 30})
    room = LiveRoom.objects.get()
    assert opened.status_code == 302 and opened.url.endswith(f"/teach/rooms/{room.pk}/")
    page = t.get(opened.url).content.decode()
    assert f'data-room="{room.pk}"' in page and "/ws/learning/rooms/" in page and "nonce=" in page
    assert o.get(opened.url).status_code == 404

    assert f'data-room="{room.pk}"' in s.get("/").content.decode()
    assert f'data-room="{room.pk}"' not in x.get("/").content.decode()
    assert s.post(f"/rooms/{room.pk}/join/").url.endswith("/")  # not started: back to the dashboard
    assert x.post(f"/rooms/{room.pk}/join/").status_code == 404
    rooms.start(room, actor=teacher)
    joined = s.post(f"/rooms/{room.pk}/join/")
    attempt = room.attempts.get()
    assert joined.url.endswith(f"/attempts/{attempt.pk}/") and attempt.deadline == LiveRoom.objects.get().ends_at
