"""The parent portal through Django's test client: what a guardian sees, and that nothing
of another family or another academy can be reached."""

import re

import pytest
from django.test import override_settings

from apps.academy import models as m
from apps.ledger.models import Event
from apps.notifications.models import Preference
from apps.payments.models import Payment as OnlinePayment
from tests.utils import grant, make_user

from .conftest import Families


def login(t, user):
    client = t.client()
    with t.context():
        client.force_login(user)
    return client


def page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.content.decode()


def test_anonymous_visitors_are_sent_to_the_login_page_and_back(tenants, db):
    response = tenants["academy"].client().get("/portal/invoices/")
    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/portal/invoices/"


def test_the_login_page_offers_kakao_only_when_configured(tenants, db):
    client = tenants["academy"].client()
    assert "kakao" not in page(client, "/accounts/login/?next=/portal/").lower()
    providers = {"kakao": {"APPS": [{"client_id": "kakao-test-id", "secret": "s"}], "SCOPE": ["profile_nickname"]}}
    with override_settings(SOCIALACCOUNT_PROVIDERS=providers):
        html = page(client, "/accounts/login/?next=/portal/")
    assert "/accounts/kakao/login/" in html and "/portal/" in html


def test_a_guardian_signs_in_with_the_password_and_lands_on_the_portal(tenants, families: Families):
    client = tenants["academy"].client()
    response = client.post(
        "/accounts/login/?next=/portal/", {"login": "mom", "password": "Pw-1234-abcd!", "next": "/portal/"}
    )
    assert response.status_code == 302 and response.url == "/portal/"
    html = page(client, "/portal/")
    assert "김민준" in html and "김서연" in html and "이하준" not in html


def test_home_shows_each_child_with_this_weeks_schedule(tenants, families: Families):
    html = page(login(tenants["academy"], families.mom), "/portal/")
    assert html.count('class="card child"') == 2
    assert "선수반" in html and "실전반" in html  # 민준's and 서연's classes
    assert "16:00–17:30" in html
    # The child switcher lists both children.
    switcher = page(login(tenants["academy"], families.mom), f"/portal/children/{families.minjun.pk}/")
    nav = switcher[switcher.find('class="kids"') :]
    nav = nav[: nav.find("</nav>")]
    assert "김민준" in nav and "김서연" in nav and 'aria-current="page">김민준' in nav


def test_a_childs_page_shows_attendance_with_absences_highlighted(tenants, families: Families):
    client = login(tenants["academy"], families.mom)
    html = page(client, f"/portal/children/{families.minjun.pk}/")
    rows = re.findall(r'<tr class="mark-(\w+)">', html)
    assert rows == ["present", "absent"]  # newest first
    assert "badge badge-absent" in html
    assert "결석" in html  # Korean by default
    english = page(login(tenants["academy"], families.mom), f"/portal/children/{families.minjun.pk}/")
    assert english  # sanity: same page renders again


def test_feedback_and_videos_of_a_child(tenants, families: Families):
    html = page(login(tenants["academy"], families.mom), f"/portal/children/{families.minjun.pk}/feedback/")
    assert "패스가 좋아졌어요" in html and "하준이 피드백" not in html
    assert "https://i.ytimg.com/vi/dQw4w9WgXcQ/mqdefault.jpg" in html
    assert 'href="https://www.youtube.com/watch?v=dQw4w9WgXcQ"' in html


def test_hidden_feedback_is_not_shown(tenants, families: Families):
    t = tenants["academy"]
    with t.context():
        m.Feedback.objects.filter(student=families.minjun).update(visible_to_guardians=False)
    html = page(login(t, families.mom), f"/portal/children/{families.minjun.pk}/feedback/")
    assert "패스가 좋아졌어요" not in html


def test_invoices_with_their_breakdown(tenants, families: Families):
    client = login(tenants["academy"], families.mom)
    listing = page(client, "/portal/invoices/")
    assert families.mom_invoice.number in listing and families.dad_invoice.number not in listing
    html = page(client, f"/portal/invoices/{families.mom_invoice.pk}/")
    t = tenants["academy"]
    with t.context():
        lines = list(families.mom_invoice.lines.all())
        total = m.Invoice.objects.get(pk=families.mom_invoice.pk).total
    assert lines and all(line.description in html for line in lines)
    assert f"{total:,}원" in html
    assert f'action="/portal/invoices/{families.mom_invoice.pk}/pay/"' in html


def test_receipts_list_the_familys_payments(tenants, families: Families):
    from apps.academy.services import billing

    t = tenants["academy"]
    with t.context():
        mine = billing.record_payment(
            families.minjun.family, 50_000, method="cash", invoice=families.mom_invoice, actor=None
        )
        theirs = billing.record_payment(
            families.hajun.family, 70_000, method="cash", invoice=families.dad_invoice, actor=None
        )
    client = login(t, families.mom)
    listing = page(client, "/portal/receipts/")
    assert f"/portal/receipts/{mine.pk}/" in listing and f"/portal/receipts/{theirs.pk}/" not in listing
    html = page(client, f"/portal/receipts/{mine.pk}/")
    assert "50,000원" in html and families.mom_invoice.number in html
    page(client, f"/portal/receipts/{theirs.pk}/", 404)


def test_another_familys_child_invoice_and_pay_are_404_and_nothing_is_written(tenants, families: Families):
    t = tenants["academy"]
    client = login(t, families.dad)
    with t.context():
        events = Event.objects.count()
    for url in (
        f"/portal/children/{families.minjun.pk}/",
        f"/portal/children/{families.minjun.pk}/feedback/",
        f"/portal/invoices/{families.mom_invoice.pk}/",
    ):
        page(client, url, 404)
    assert client.post(f"/portal/invoices/{families.mom_invoice.pk}/pay/").status_code == 404
    assert client.post("/portal/invoices/999999/pay/").status_code == 404
    with t.context():
        assert OnlinePayment.objects.count() == 0
        assert Event.objects.count() == events
    # …while their own pages answer.
    page(client, f"/portal/children/{families.hajun.pk}/")
    page(client, f"/portal/invoices/{families.dad_invoice.pk}/")


def test_pay_is_post_only(tenants, families: Families):
    client = login(tenants["academy"], families.mom)
    assert client.get(f"/portal/invoices/{families.mom_invoice.pk}/pay/").status_code == 405


def test_pay_without_a_gateway_says_so_and_writes_nothing(tenants, families: Families):
    t = tenants["academy"]
    client = login(t, families.mom)
    response = client.post(f"/portal/invoices/{families.mom_invoice.pk}/pay/", follow=True)
    assert response.redirect_chain[-1][0] == f"/portal/invoices/{families.mom_invoice.pk}/"
    assert "온라인 결제" in response.content.decode() or "결제" in response.content.decode()
    with t.context():
        assert OnlinePayment.objects.count() == 0


def test_a_pending_link_does_not_show_the_child(tenants, families: Families):
    from apps.academy.services import people

    t = tenants["academy"]
    with t.context():
        guardian = m.Guardian.objects.get(user=families.dad)
        people.link_guardian(guardian, families.seoyeon, approved=False)
    client = login(t, families.dad)
    html = page(client, "/portal/")
    assert "김서연" in html  # listed as waiting for approval…
    assert f"/portal/children/{families.seoyeon.pk}/" not in html
    page(client, f"/portal/children/{families.seoyeon.pk}/", 404)  # …but not shown
    assert "승인 대기" in page(client, "/portal/links/")


def test_a_guardian_asks_to_be_linked_to_a_child(tenants, families: Families):
    t = tenants["academy"]
    client = login(t, families.dad)
    response = client.post("/portal/links/", {"name": "김서연", "birth_date": "2017-05-05", "relation": "father"})
    assert response.status_code == 302
    with t.context():
        link = m.GuardianLink.objects.get(guardian__user=families.dad, student=families.seoyeon)
        assert link.status == "pending" and link.relation == "father"
        assert Event.objects.filter(kind="guardian.linked", data__status="pending").exists()
        links = m.GuardianLink.objects.count()
    # No such child: the same answer, nothing written.
    response = client.post("/portal/links/", {"name": "없는아이", "birth_date": "2017-05-05", "relation": "father"})
    assert response.status_code == 302
    # A missing birth date is named, and nothing is written.
    response = client.post("/portal/links/", {"name": "김서연", "birth_date": "", "relation": "father"})
    assert response.status_code == 200 and 'aria-invalid="true"' in response.content.decode()
    with t.context():
        assert m.GuardianLink.objects.count() == links


def test_notification_preferences_form(tenants, families: Families):
    t = tenants["academy"]
    client = login(t, families.mom)
    html = page(client, "/portal/preferences/")
    for field in ("id_first", "id_second", "id_marketing_opt_out", "id_muted"):
        assert f'for="{field}"' in html, field
    response = client.post(
        "/portal/preferences/", {"first": "telegram", "second": "alimtalk", "marketing_opt_out": "on"}
    )
    assert response.status_code == 302
    with t.context():
        guardian = m.Guardian.objects.get(user=families.mom)
        pref = Preference.objects.get(contact_ref=f"guardian:{guardian.pk}")
        assert pref.channels == ["telegram", "alimtalk"] and pref.marketing_opt_out and not pref.muted
        assert Event.objects.filter(kind="notification.preferences_changed").count() == 1
    # The same channel twice is refused, and nothing changes.
    response = client.post("/portal/preferences/", {"first": "telegram", "second": "telegram", "muted": "on"})
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    response = client.post("/portal/preferences/", {"first": "console"})
    assert response.status_code == 200
    with t.context():
        pref.refresh_from_db()
        assert pref.channels == ["telegram", "alimtalk"] and not pref.muted
        assert Event.objects.filter(kind="notification.preferences_changed").count() == 1


def test_staff_get_a_page_that_says_the_portal_is_for_parents(tenants, member, db):
    _user, client = member("academy", "staff")
    response = client.get("/portal/")
    assert response.status_code == 403
    assert "/dashboard/" in response.content.decode()


def test_a_staff_member_who_is_also_a_parent_sees_only_their_own_children(tenants, families: Families):
    t = tenants["academy"]
    with t.context():
        grant(families.mom, "staff")
    html = page(login(t, families.mom), "/portal/")
    assert "김민준" in html and "이하준" not in html
    page(login(t, families.mom), f"/portal/children/{families.hajun.pk}/", 404)
    page(login(t, families.mom), f"/portal/invoices/{families.dad_invoice.pk}/", 404)


def test_a_session_from_another_academy_is_not_a_login_here(tenants, db):
    other = tenants["academy_b"]
    with other.context():
        parent = make_user("mom_elsewhere")
        grant(parent, "guardian")
    theirs = login(other, parent)
    assert theirs.get("/portal/").status_code == 200
    cookie = theirs.cookies["mc_session"].value
    here = tenants["academy"].client()
    here.cookies["mc_session"] = cookie
    response = here.get("/portal/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


@pytest.mark.parametrize(
    "url",
    [
        "/portal/",
        "/portal/children/{kid}/",
        "/portal/children/{kid}/feedback/",
        "/portal/invoices/",
        "/portal/invoices/{invoice}/",
        "/portal/receipts/",
        "/portal/preferences/",
        "/portal/links/",
    ],
)
def test_pages_are_accessible_and_need_no_inline_code(tenants, families: Families, url):
    html = page(
        login(tenants["academy"], families.mom), url.format(kid=families.minjun.pk, invoice=families.mom_invoice.pk)
    )
    assert re.search(r'<html lang="ko">', html)
    assert '<a class="skip-link" href="#main">' in html and 'id="main"' in html
    assert "<script" not in html and "style=" not in html
    assert not re.search(r"<[^>]+\son[a-z]+=", html), "inline event handler"
    for field_id in re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', html):
        assert f'for="{field_id}"' in html, f"{field_id} has no label"
    assert len(html.encode()) < 30_000


def test_a_guardian_signing_in_without_next_lands_on_the_portal(tenants, families: Families):
    client = tenants["academy"].client()
    response = client.post("/accounts/login/", {"login": "dad", "password": "Pw-1234-abcd!"})
    assert response.status_code == 302 and response.url == "/portal/"


def test_the_demo_guardian_sees_both_children_and_the_familys_bills(live_tenant):
    """README's walk-through: `guardian` on the demo academy is 김영희, with two children."""
    from apps.academy import demo
    from apps.accounts import demo as accounts_demo

    t = live_tenant("academy")
    with t.context():
        list(accounts_demo.seed(t.tenant))
        list(demo.seed(t.tenant))
        guardian = m.Guardian.objects.get(user__username="guardian")
        open_bills = [i for i in m.Invoice.objects.filter(family=guardian.family) if i.due]
        client = t.client()
        client.force_login(guardian.user)
    html = page(client, "/portal/")
    assert "김민준" in html and "김서연" in html and "이하준" not in html
    assert open_bills and all(f"/portal/invoices/{i.pk}/" in html for i in open_bills)


def test_the_portal_in_english(tenants, families: Families):
    client = login(tenants["academy"], families.mom)
    html = client.get(f"/portal/invoices/{families.mom_invoice.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en">' in html
    assert "Bills" in html and "Still to pay" in html
    assert " won</td>" in html and "원</td>" not in html


def test_link_requests_are_limited_per_day(tenants, families: Families):
    from apps.portal.services import LINK_REQUESTS_PER_DAY

    t = tenants["academy"]
    client = login(t, families.dad)  # rate-limit windows are cleared before each test (conftest)
    for _ in range(LINK_REQUESTS_PER_DAY):
        response = client.post("/portal/links/", {"name": "없는아이", "birth_date": "2017-05-05", "relation": "father"})
        assert response.status_code == 302
    response = client.post("/portal/links/", {"name": "김서연", "birth_date": "2017-05-05", "relation": "father"})
    assert response.status_code == 200 and "내일 다시" in response.content.decode()
    with t.context():
        assert not m.GuardianLink.objects.filter(guardian__user=families.dad, student=families.seoyeon).exists()


def test_a_class_the_child_left_is_not_in_their_schedule(tenants, families: Families):
    from datetime import timedelta

    from django.utils import timezone

    from apps.academy.services import enrollment

    t = tenants["academy"]
    with t.context():
        item = m.Enrollment.objects.get(student=families.seoyeon, klass=families.academy.other)
        enrollment.withdraw(item, on=timezone.localdate() - timedelta(days=20), reason="이사")
    html = page(login(t, families.mom), f"/portal/children/{families.seoyeon.pk}/")
    week = html[html.find('id="week-title"') : html.find('id="att-title"')]
    assert "실전반" not in week
