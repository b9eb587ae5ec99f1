"""The teacher's writing pages on the app. host (issue 14): items, exams and classes are
written through the services from server-rendered forms; a bad field shows its error and
writes nothing; students, parents, other organisations' staff and other zones get 404 or
nothing."""

from __future__ import annotations

import pytest
from django.test import Client

from apps.learning.models import Item
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
