"""Lists run a fixed number of queries, whatever their length (after NetBox's query-count
tests). Every vertical's tests read each API list endpoint of its URLconf and each admin
changelist of its admin site with a page of one row and with a page of every row of its
demo tenant: both must run the same number of queries, within a budget. Endpoints and admin
models are found from the URLconf and the admin site, so a new one is checked without being
listed anywhere; give it its own budget only if the default is not enough (and say why).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.pagination import PageNumberPagination

DEFAULT_BUDGET = 8
ADMIN_DEFAULT_BUDGET = 12


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


@dataclass
class Report:
    """What a sweep found: rows read at full page per name, and the failures."""

    rows: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def check(self, name: str, path: str, one: tuple[int, int], full: tuple[int, int], budget: int) -> None:
        """`one` and `full`: (queries, status) at one row a page and at every row."""
        if one[1] != 200 or full[1] != 200:
            self.failures.append(f"{path} answered {one[1]}/{full[1]}")
        elif full[0] != one[0] or full[0] > budget:
            self.failures.append(
                f"{path}: {one[0]} queries for 1 row, {full[0]} for {self.rows[name]} rows (budget {budget})"
            )

    def several(self) -> set[str]:
        """The names whose full page had at least two rows: the check means something only there."""
        return {name for name, rows in self.rows.items() if rows >= 2}


def sweep_api(client, urlconf: str, monkeypatch, budgets: dict[str, int] | None = None) -> Report:
    """Every list route of `urlconf`, read at page size 1 and 500 (caller inside the tenant)."""
    from apps.core.api.pagination import CountSavingPaginator

    budgets = budgets or {}
    report = Report()
    # With every row on one page the paginator skips its COUNT, with one row a page it
    # cannot: both reads take the count, so one query more per row still shows.
    monkeypatch.setattr(CountSavingPaginator, "save_count", False)
    for name, path in sorted(list_routes(urlconf).items()):
        monkeypatch.setattr(PageNumberPagination, "page_size", 1)
        one, status, _ = count(client, path)
        monkeypatch.setattr(PageNumberPagination, "page_size", 500)
        full, status_full, response = count(client, path)
        body = response.json() if status_full == 200 else {}
        report.rows[name] = len(body.get("results", body) if isinstance(body, dict) else body)
        report.check(name, path, (one, status), (full, status_full), budgets.get(name, DEFAULT_BUDGET))
    return report


def sweep_admin(client, tenant_type: str, monkeypatch, budgets: dict[str, int] | None = None) -> Report:
    """Every changelist of the tenant type's admin site, at 1 and 500 rows a page."""
    from apps.core.admin_sites import admin_site_for

    budgets = budgets or {}
    report = Report()
    for model, model_admin in admin_site_for(tenant_type)._registry.items():
        path = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        label = f"{model._meta.app_label}.{model._meta.model_name}"
        monkeypatch.setattr(model_admin, "list_per_page", 1)
        one, status, _ = count(client, path)
        monkeypatch.setattr(model_admin, "list_per_page", 500)
        full, status_full, response = count(client, path)
        if status == 403 or status_full == 403:
            continue  # read-only registries closed to everyone
        report.rows[label] = model_admin.get_queryset(response.wsgi_request).count() if status_full == 200 else 0
        report.check(label, path, (one, status), (full, status_full), budgets.get(label, ADMIN_DEFAULT_BUDGET))
    return report


def seed_demo(tenant) -> None:
    """The demo content `seed_demo` gives a tenant of this type (every app's demo.py)."""
    from apps.tenancy.management.commands.seed_demo import Command

    for _ in Command().seed_apps(tenant):
        pass


def demo_root_client(t, username: str = "root_counts"):
    """The tenant `t` seeded as the demo seeds it, and a client signed in as a superuser
    (with the TOTP its role requires), who sees every list whole."""
    from tests.utils import browser_login, enable_totp, make_user

    with t.context():
        seed_demo(t.tenant)
        root = make_user(username, is_staff=True, is_superuser=True)
        secret = enable_totp(root)
    client = t.client()
    browser_login(client, root.username, totp_secret=secret)
    return client


def page_queries(t, client, paths: list[str]) -> dict[str, int]:
    """path → queries of one read of each page (each must answer 200)."""
    with t.context():
        result = {}
        for path in paths:
            queries, status, _ = count(client, path)
            assert status == 200, (path, status)
            result[path] = queries
        return result


def assert_same_within(before: dict[str, int], after: dict[str, int], budget: int, budgets=None) -> None:
    """The pages ran as many queries after their tenant grew as before, each within its budget."""
    budgets = budgets or {}
    over = {path: n for path, n in after.items() if n > budgets.get(path, budget)}
    assert after == before and not over, f"before {before}, after more rows {after}, budget {budget} {budgets}"
