"""The teacher's writing pages on the app. host (issue 14): items, exams and classes are
written through the services from server-rendered forms; a bad field shows its error and
writes nothing; students, parents, other organisations' staff and other zones get 404 or
nothing."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from apps.learning.models import Exam, Item
from apps.learning.services import exams as exam_svc
from apps.learning.services import people as people_svc
from apps.tenancy import services as tenancy

pytestmark = pytest.mark.django_db


@pytest.fixture
def app(tenants):
    tenancy.ensure_role_hosts(tenants["zone"].tenant, tenants["zone"].domain)

    def client_for(signed_in: Client, key: str = "zone") -> Client:
        client = Client(HTTP_HOST=f"app.{tenants[key].domain}")
        client.cookies = signed_in.cookies
        return client

    return client_for


ITEM = {
    "code": "alg-1",
    "kind": "choice",
    "stem": "**2 + 3** = ?",
    "choices": "4\n5\n6",
    "key": "2",
    "tolerance": "",
    "explanation": "더하기",
    "area": "대수",
    "tags": "덧셈, 기초",
    "status": "live",
    "a": "1.3",
    "b": "-0.5",
    "c": "0.2",
}


def test_teacher_writes_and_edits_an_item_from_the_page(zone, people, app):
    org = people.org()
    _teacher, client = people.teacher(org)
    t = app(client)
    assert 'id="new-item"' in t.get("/teach/items/").content.decode()
    assert t.get("/teach/items/new/").status_code == 200

    created = t.post("/teach/items/new/", ITEM)
    item = Item.objects.get(code="alg-1")
    assert created.status_code == 302 and created.url.endswith(f"/teach/items/{item.pk}/")
    assert (item.kind, item.choices, item.key, item.status) == ("choice", ["4", "5", "6"], "2", "live")
    assert (item.tags, item.area, item.a, item.b, item.c) == (["덧셈", "기초"], "대수", 1.3, -0.5, 0.2)
    assert f'href="/teach/items/{item.pk}/"' in t.get("/teach/items/").content.decode()

    page = t.get(f"/teach/items/{item.pk}/").content.decode()
    assert "alg-1" in page and "덧셈, 기초" in page
    edited = t.post(f"/teach/items/{item.pk}/", {**ITEM, "stem": "2 + 4 = ?", "choices": "5\n6\n7", "b": "0.4"})
    assert edited.status_code == 302
    item.refresh_from_db()
    assert (item.stem, item.choices, item.b) == ("2 + 4 = ?", ["5", "6", "7"], 0.4)


def test_bad_item_fields_show_their_errors_and_write_nothing(zone, people, app):
    _teacher, client = people.teacher(people.org())
    t = app(client)
    page = t.post("/teach/items/new/", {**ITEM, "key": "9", "a": "-1"})
    html = page.content.decode()
    assert page.status_code == 200 and not Item.objects.exists()
    assert 'id="id_key_error"' in html and 'id="id_a_error"' in html
    t.post("/teach/items/new/", ITEM)
    item = Item.objects.get()
    page = t.post(f"/teach/items/{item.pk}/", {**ITEM, "stem": "", "c": "abc"})
    html = page.content.decode()
    assert page.status_code == 200 and 'id="id_stem_error"' in html and 'id="id_c_error"' in html
    item.refresh_from_db()
    assert item.stem == ITEM["stem"] and item.c == 0.2
    # Another item's code is taken: the code field says so.
    page = t.post("/teach/items/new/", {**ITEM, "stem": "x"})
    assert 'id="id_code_error"' in page.content.decode() and Item.objects.count() == 1


def test_students_parents_org_admins_and_other_zones_cannot_write_items(zone, people, bank, tenants, app):
    org = people.org()
    item = bank(1)[0]
    _student, s_client = people.student(org)
    _parent, p_client = people.parent()
    _admin, a_client = people.org_admin(org)  # item:read only
    _teacher, t_client = people.teacher(org)
    for client in (app(s_client), app(p_client)):
        assert client.get("/teach/items/new/").status_code == 404
        assert client.post("/teach/items/new/", ITEM).status_code == 404
        assert client.get(f"/teach/items/{item.pk}/").status_code == 404
    a = app(a_client)
    assert a.get(f"/teach/items/{item.pk}/").status_code == 404
    assert a.post(f"/teach/items/{item.pk}/", {**ITEM, "code": item.code}).status_code == 404
    assert 'id="new-item"' not in a.get("/teach/items/").content.decode()
    assert not Item.objects.filter(code="alg-1").exists()

    # The teacher's session on another zone's app. host is nobody there.
    tenancy.ensure_role_hosts(tenants["zone_b"].tenant, tenants["zone_b"].domain)
    other = app(t_client, "zone_b")
    response = other.post(f"/teach/items/{item.pk}/", {**ITEM, "code": item.code, "stem": "바뀜"})
    assert response.status_code == 302 and "/accounts/login/" in response.url
    with zone.context():  # the request left the connection in the other zone's schema
        item.refresh_from_db()
    assert item.stem != "바뀜"


def exam_form(**fields):
    return {
        "title": "중간고사",
        "description": "",
        "kind": "fixed",
        "order": "ordered",
        "time_limit_seconds": "1200",
        "areas": "",
        "cat_settings": "{}",
        "score_slope": "100",
        "score_intercept": "500",
        **fields,
    }


def test_teacher_writes_a_fixed_exam_and_an_org_admin_publishes_and_closes_it(zone, people, bank, app):
    org = people.org()
    teacher, t_client = people.teacher(org)
    _admin, a_client = people.org_admin(org)
    klass = people_svc.create_class(organisation=org, name="1반", teachers=[teacher])
    live = bank(4)
    draft = bank(1, status="draft")[0]
    t, a = app(t_client), app(a_client)
    assert 'id="new-exam"' in t.get("/teach/exams/").content.decode()
    page = t.get("/teach/exams/new/").content.decode()
    assert live[0].code in page and draft.code not in page  # only live items are offered

    created = t.post("/teach/exams/new/", {**exam_form(klass=klass.pk), "items": [live[2].pk, live[0].pk]})
    exam = Exam.objects.get(title="중간고사")
    assert created.status_code == 302 and created.url.endswith(f"/teach/exams/{exam.pk}/edit/")
    assert (exam.kind, exam.klass, exam.organisation, exam.time_limit_seconds) == ("fixed", klass, org, 1200)
    assert list(exam.exam_items.values_list("item_id", "position")) == [(live[0].pk, 1), (live[2].pk, 2)]
    assert f"/teach/exams/{exam.pk}/edit/" in t.get("/teach/exams/").content.decode()

    edited = t.post(f"/teach/exams/{exam.pk}/edit/", {**exam_form(title="기말고사"), "items": [live[1].pk]})
    assert edited.status_code == 302
    exam.refresh_from_db()
    assert exam.title == "기말고사" and list(exam.exam_items.values_list("item_id", flat=True)) == [live[1].pk]

    # Publishing takes exam:publish: the teacher has none, the organisation's administrator has.
    assert 'id="publish"' not in t.get(f"/teach/exams/{exam.pk}/edit/").content.decode()
    assert t.post(f"/teach/exams/{exam.pk}/publish/").status_code == 404
    assert 'id="publish"' in a.get(f"/teach/exams/{exam.pk}/edit/").content.decode()
    assert a.post(f"/teach/exams/{exam.pk}/publish/").status_code == 302
    exam.refresh_from_db()
    assert exam.status == "published"
    # A published exam's kind is fixed: the kind field says so, nothing changes.
    page = t.post(
        f"/teach/exams/{exam.pk}/edit/", {**exam_form(title="다른 제목", kind="adaptive"), "items": [live[1].pk]}
    )
    assert page.status_code == 200 and 'id="id_kind_error"' in page.content.decode()
    exam.refresh_from_db()
    assert (exam.kind, exam.title) == ("fixed", "기말고사")
    assert a.post(f"/teach/exams/{exam.pk}/close/").status_code == 302
    exam.refresh_from_db()
    assert exam.status == "closed"


def test_bad_exam_fields_show_their_errors_and_write_nothing(zone, people, bank, app):
    _teacher, client = people.teacher(people.org())
    t = app(client)
    page = t.post("/teach/exams/new/", exam_form(title=" "))
    assert page.status_code == 200 and 'id="id_title_error"' in page.content.decode()
    page = t.post("/teach/exams/new/", exam_form(kind="adaptive", cat_settings='{"bogus": 1}'))
    assert 'id="id_cat_settings_error"' in page.content.decode() and "bogus" in page.content.decode()
    page = t.post("/teach/exams/new/", exam_form(cat_settings="{not json", time_limit_seconds="5"))
    html = page.content.decode()
    assert 'id="id_cat_settings_error"' in html and 'id="id_time_limit_seconds_error"' in html
    assert not Exam.objects.exists()
    exam = exam_svc.create_exam(title="적응형", kind="adaptive")
    page = t.post(f"/teach/exams/{exam.pk}/edit/", exam_form(title="적응형", kind="adaptive", cat_settings='{"x": 1}'))
    assert 'id="id_cat_settings_error"' in page.content.decode()
    exam.refresh_from_db()
    assert exam.cat_settings == {}
    # Publishing an exam with nothing to give: the message says so, it stays a draft.
    _admin, a_client = people.org_admin(people.org())
    other = exam_svc.create_exam(
        title="빈 시험",
        kind="fixed",
        klass=people_svc.create_class(organisation=_admin.learning_staff.get().organisation, name="빈반"),
    )
    assert app(a_client).post(f"/teach/exams/{other.pk}/publish/", follow=True).status_code == 200
    other.refresh_from_db()
    assert other.status == "draft"


def test_students_parents_other_orgs_and_other_zones_cannot_write_exams(zone, people, bank, tenants, app):
    org, elsewhere = people.org(), people.org("다른학교")
    _student, s_client = people.student(org)
    _parent, p_client = people.parent()
    _admin, a_client = people.org_admin(org)
    _stranger, x_client = people.org_admin(elsewhere)
    klass = people_svc.create_class(organisation=org, name="2반")
    exam = exam_svc.create_exam(title="학교 시험", kind="fixed", klass=klass)
    exam_svc.set_items(exam, bank(2))
    for client in (app(s_client), app(p_client)):
        assert client.get("/teach/exams/new/").status_code == 404
        assert client.post("/teach/exams/new/", exam_form()).status_code == 404
        assert client.get(f"/teach/exams/{exam.pk}/edit/").status_code == 404
        assert client.post(f"/teach/exams/{exam.pk}/publish/").status_code == 404
    x = app(x_client)  # another organisation's administrator
    assert x.get(f"/teach/exams/{exam.pk}/edit/").status_code == 404
    assert x.post(f"/teach/exams/{exam.pk}/edit/", exam_form(title="남의 시험")).status_code == 404
    assert x.post(f"/teach/exams/{exam.pk}/publish/").status_code == 404
    # A class of another organisation cannot be chosen for a new exam.
    page = x.post("/teach/exams/new/", exam_form(title="몰래", klass=klass.pk))
    assert page.status_code == 200 and 'id="id_klass_error"' in page.content.decode()
    assert not Exam.objects.filter(title__in=["남의 시험", "몰래"]).exists()
    assert app(a_client).get(f"/teach/exams/{exam.pk}/edit/").status_code == 200

    tenancy.ensure_role_hosts(tenants["zone_b"].tenant, tenants["zone_b"].domain)
    other = app(a_client, "zone_b")
    response = other.post(f"/teach/exams/{exam.pk}/publish/")
    assert response.status_code == 302 and "/accounts/login/" in response.url
    with zone.context():
        exam.refresh_from_db()
    assert exam.status == "draft"


def test_org_admin_creates_a_class_renames_it_and_enrolls_students(zone, people, app):
    from apps.learning.models import Enrollment, Klass

    org, elsewhere = people.org(), people.org("다른학교")
    _admin, a_client = people.org_admin(org)
    teacher, _t_client = people.teacher(org)
    outsider, _o = people.teacher(elsewhere)
    student, _s = people.student(org, email="kim@example.com")
    second, _s2 = people.student(org)
    foreign, _f = people.student(elsewhere, email="lee@example.com")
    a = app(a_client)
    page = a.get("/teach/classes/").content.decode()
    assert 'id="class-form"' in page and "다른학교" not in page  # only their own organisation

    created = a.post("/teach/classes/", {"organisation": org.pk, "name": "1반", "teachers": [teacher.pk]})
    klass = Klass.objects.get(name="1반")
    assert created.status_code == 302 and created.url.endswith(f"/teach/classes/{klass.pk}/")
    assert list(klass.teachers.all()) == [teacher]
    assert "1반" in a.get("/teach/classes/").content.decode()

    # Bad input: a taken name, a teacher of another organisation, no name — nothing written.
    for bad, field in (
        ({"name": "1반"}, "name"),
        ({"name": "2반", "teachers": [outsider.pk]}, "teachers"),
        ({"name": " "}, "name"),
    ):
        page = a.post("/teach/classes/", {"organisation": org.pk, **bad})
        assert page.status_code == 200 and f'id="id_{field}_error"' in page.content.decode(), bad
    assert Klass.objects.count() == 1

    url = f"/teach/classes/{klass.pk}/"
    renamed = a.post(url, {"action": "update", "name": "1반 (심화)", "teachers": []})
    assert renamed.status_code == 302
    assert any("1반 (심화)" in str(m) for m in get_messages(renamed.wsgi_request))  # the new name, not the old
    klass.refresh_from_db()
    assert klass.name == "1반 (심화)" and not klass.teachers.exists()
    page = a.post(url, {"action": "update", "name": ""})
    assert 'id="id_name_error"' in page.content.decode()
    klass.refresh_from_db()
    assert klass.name == "1반 (심화)"

    assert a.post(url, {"action": "enroll", "email": "KIM@example.com"}).status_code == 302
    assert a.post(url, {"action": "enroll", "student": second.pk}).status_code == 302
    assert set(Enrollment.objects.filter(klass=klass, is_active=True).values_list("student", flat=True)) == {
        student.pk,
        second.pk,
    }
    # Another organisation's student, by e-mail or picked: not found, nothing written.
    page = a.post(url, {"action": "enroll", "email": "lee@example.com"})
    assert page.status_code == 200 and 'id="id_email_error"' in page.content.decode()
    page = a.post(url, {"action": "enroll", "student": foreign.pk})
    assert page.status_code == 200 and 'id="id_student_error"' in page.content.decode()
    assert not Enrollment.objects.filter(student=foreign).exists()
    page = a.get(url).content.decode()
    assert student.name in page and f'data-unenroll="{student.pk}"' in page

    assert a.post(url, {"action": "unenroll", "student": student.pk}).status_code == 302
    assert not Enrollment.objects.get(klass=klass, student=student).is_active
    assert a.post(url, {"action": "unenroll", "student": foreign.pk}).status_code == 404


def test_teachers_read_their_classes_and_nobody_else_writes_them(zone, people, tenants, app):
    from apps.learning.models import Klass

    org, elsewhere = people.org(), people.org("다른학교")
    teacher, t_client = people.teacher(org)
    _other_teacher, o_client = people.teacher(org)
    _admin, a_client = people.org_admin(org)
    _stranger, x_client = people.org_admin(elsewhere)
    student, s_client = people.student(org)
    _parent, p_client = people.parent()
    klass = people_svc.create_class(organisation=org, name="3반", teachers=[teacher])
    people_svc.enroll(klass, student)
    url = f"/teach/classes/{klass.pk}/"

    t = app(t_client)  # class:read only: reads, cannot change
    page = t.get(url).content.decode()
    assert page.count(student.name) >= 1 and 'id="class-form"' not in page
    assert t.post(url, {"action": "update", "name": "바꿈"}).status_code == 404
    assert t.post("/teach/classes/", {"organisation": org.pk, "name": "새반"}).status_code == 404
    assert "3반" in t.get("/teach/classes/").content.decode()

    o = app(o_client)  # a teacher of the organisation, not of the class
    assert "3반" not in o.get("/teach/classes/").content.decode()
    assert o.get(url).status_code == 404
    x = app(x_client)  # another organisation's administrator
    assert x.get(url).status_code == 404
    assert x.post(url, {"action": "update", "name": "바꿈"}).status_code == 404
    assert x.post("/teach/classes/", {"organisation": org.pk, "name": "남의반"}).status_code == 200
    for client in (app(s_client), app(p_client)):
        assert client.get("/teach/classes/").status_code == 404
        assert client.get(url).status_code == 404
        assert client.post(url, {"action": "unenroll", "student": student.pk}).status_code == 404
    assert not Klass.objects.filter(name__in=["바꿈", "남의반", "새반"]).exists()

    tenancy.ensure_role_hosts(tenants["zone_b"].tenant, tenants["zone_b"].domain)
    response = app(a_client, "zone_b").post(url, {"action": "unenroll", "student": student.pk})
    assert response.status_code == 302 and "/accounts/login/" in response.url
    with zone.context():
        assert klass.enrollments.get().is_active


def test_an_org_admins_exam_without_a_class_is_their_organisations_and_stays_in_their_sight(zone, people, app):
    org = people.org()
    _teacher, t_client = people.teacher(org)
    _admin, a_client = people.org_admin(org)
    created = app(a_client).post("/teach/exams/new/", exam_form(title="전체 모의고사"))
    exam = Exam.objects.get(title="전체 모의고사")
    assert (exam.klass, exam.organisation) == (None, org)
    assert created.status_code == 302 and created.url.endswith(f"/teach/exams/{exam.pk}/edit/")
    assert "전체 모의고사" in app(a_client).get("/teach/exams/").content.decode()
    # A teacher's class-less exam stays the zone's, as over the API.
    app(t_client).post("/teach/exams/new/", exam_form(title="교사 시험"))
    assert Exam.objects.get(title="교사 시험").organisation is None
