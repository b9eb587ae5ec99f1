"""Lists run a fixed number of queries, whatever their length (after NetBox's query-count
tests): every list endpoint of the academy's API and every admin changelist is read with a
page of one row and with a page of every row of the demo academy, and must run the same
number of queries, within its budget. Endpoints and admin models are found from the URLconf
and the admin site, so a new one is checked without being listed here; give it a budget
only if the default is not enough (and say why). Portal pages (not paginated) are read for
a family of two children and again after a third child with a bill and attendance joins it.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.pagination import PageNumberPagination

from tests.utils import browser_login, enable_totp, make_user

pytestmark = pytest.mark.django_db

DEFAULT_BUDGET = 8
# Queries of a request beyond the list itself: the user, their roles, the count, the page.
BUDGETS: dict[str, int] = {}
ADMIN_DEFAULT_BUDGET = 12
ADMIN_BUDGETS: dict[str, int] = {}
PORTAL_BUDGETS = {"portal-home": 20, "portal-child": 20, "portal-invoices": 12, "portal-receipts": 12}


def list_routes(urlconf: str) -> dict[str, str]:
    """name → path of every API list route (DRF router names end in -list) without arguments."""
    found: dict[str, str] = {}

    def walk(patterns, prefix: str):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern).lstrip("^").rstrip("$"))
            elif (
                isinstance(p, URLPattern)
                and p.name
                and p.name.endswith("-list")
                # a router's -list route of a create-only viewset (media uploads) reads nothing
                and "get" in getattr(p.callback, "actions", {"get": "list"})
            ):
                route = prefix + str(p.pattern).lstrip("^").rstrip("$")
                if "<" not in route and "(?P" not in route and route.startswith("api/"):
                    found[p.name] = "/" + route

    walk(get_resolver(urlconf).url_patterns, "")
    return found


def count(client, path: str) -> tuple[int, int, object]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    return len(captured), response.status_code, response


@pytest.fixture
def demo_academy(tenants):
    from apps.academy import demo
    from apps.accounts import demo as accounts_demo

    t = tenants["academy"]
    with t.context():
        list(accounts_demo.seed(t.tenant))
        list(demo.seed(t.tenant))
        root = make_user("root_counts", is_staff=True, is_superuser=True)
        secret = enable_totp(root)
    client = t.client()
    browser_login(client, root.username, totp_secret=secret)
    return t, client


def test_every_api_list_runs_the_same_queries_for_one_row_and_for_a_full_page(demo_academy, monkeypatch):
    t, client = demo_academy
    routes = list_routes("config.urls.academy")
    assert {"academy-student-list", "academy-invoice-list", "academy-session-list"} <= set(routes)
    failures, checked = {}, {}
    with t.context():
        for name, path in sorted(routes.items()):
            monkeypatch.setattr(PageNumberPagination, "page_size", 1)
            one, status, _ = count(client, path)
            monkeypatch.setattr(PageNumberPagination, "page_size", 500)
            full, status_full, response = count(client, path)
            rows = len(response.json().get("results", [])) if status_full == 200 else 0
            budget = BUDGETS.get(name, DEFAULT_BUDGET)
            checked[name] = (rows, one, full)
            if status != 200 or status_full != 200:
                failures[name] = f"{path} answered {status}/{status_full}"
            elif full != one or full > budget:
                failures[name] = f"{path}: {one} queries for 1 row, {full} for {rows} rows (budget {budget})"
    assert not failures, "\n".join(failures.values())
    # The check means something only where the demo has several rows.
    several = {name for name, (rows, _, _) in checked.items() if rows >= 2}
    assert {"academy-student-list", "academy-invoice-list", "academy-attendance-list"} <= several, checked


def test_every_admin_changelist_runs_the_same_queries_for_one_row_and_for_a_full_page(demo_academy, monkeypatch):
    from apps.core.admin_sites import admin_site_for

    t, client = demo_academy
    site = admin_site_for("academy")
    failures, checked = {}, {}
    with t.context():
        for model, model_admin in site._registry.items():
            path = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
            label = f"{model._meta.app_label}.{model._meta.model_name}"
            monkeypatch.setattr(model_admin, "list_per_page", 1)
            one, status, _ = count(client, path)
            monkeypatch.setattr(model_admin, "list_per_page", 500)
            full, status_full, response = count(client, path)
            if status == 403 or status_full == 403:
                continue  # read-only registries closed to everyone (none today)
            rows = model_admin.get_queryset(response.wsgi_request).count() if status_full == 200 else 0
            budget = ADMIN_BUDGETS.get(label, ADMIN_DEFAULT_BUDGET)
            checked[label] = (rows, one, full)
            if status != 200 or status_full != 200:
                failures[label] = f"{path} answered {status}/{status_full}"
            elif full != one or full > budget:
                failures[label] = f"{path}: {one} queries for 1 row, {full} for {rows} rows (budget {budget})"
    assert not failures, "\n".join(failures.values())
    several = {label for label, (rows, _, _) in checked.items() if rows >= 2}
    assert {"academy.student", "academy.invoice", "academy.attendance"} <= several, checked


def test_portal_pages_do_not_grow_with_the_family(demo_academy):
    from datetime import date

    from django.utils import timezone

    from apps.academy.models import Class, Guardian
    from apps.academy.services import billing, enrollment, people
    from tests.utils import PASSWORD

    t, _ = demo_academy
    with t.context():
        guardian = Guardian.objects.select_related("user", "family").get(user__username="guardian")
        guardian.user.set_password(PASSWORD)
        guardian.user.save()
        kid = guardian.family.students.order_by("name").first()
    client = t.client()
    browser_login(client, "guardian")
    pages = {
        "portal-home": "/portal/",
        "portal-child": f"/portal/children/{kid.pk}/",
        "portal-invoices": "/portal/invoices/",
        "portal-receipts": "/portal/receipts/",
    }

    def measure() -> dict[str, int]:
        with t.context():
            result = {}
            for name, path in pages.items():
                queries, status, _ = count(client, path)
                assert status == 200, (path, status)
                result[name] = queries
            return result

    before = measure()
    with t.context():
        third = people.upsert_student(
            name="김하늘",
            birth_date=date(2017, 5, 5),
            guardian_phone=guardian.phone,
            guardian_name=guardian.name,
            relation="mother",
            actor="test",
        ).student
        today = timezone.localdate()
        enrollment.enroll(third, Class.objects.order_by("pk").first(), starts_on=today.replace(day=1), actor="test")
        billing.issue_monthly_invoices(today, actor="test")
    after = measure()
    over = {name: n for name, n in after.items() if n > PORTAL_BUDGETS[name]}
    assert after == before and not over, f"before {before}, after a third child {after}, budgets {PORTAL_BUDGETS}"
