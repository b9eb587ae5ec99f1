"""Every vertical's lists in constant queries (tests/query_counts.py says how): every API
list route of its URLconf and every changelist of its admin site, on its demo tenant. The
names listed per vertical must have had several rows, or the check would mean nothing."""

from __future__ import annotations

import pytest

from tests.query_counts import demo_root_client, sweep_admin, sweep_api

pytestmark = pytest.mark.django_db

# tenant key → (lists of the API, changelists of the admin) that the demo fills
VERTICALS = {
    "academy": (
        {"academy-student-list", "academy-invoice-list", "academy-attendance-list"},
        {"academy.student", "academy.invoice", "academy.attendance"},
    ),
    "zone": (
        {"learning-exam-list", "learning-item-list", "problems-submission-list"},
        {"learning.exam", "learning.item", "problems.submission"},
    ),
    "store": (
        {"stores-review-list", "stores-draft-list", "stores-report-list"},
        {"stores.review", "stores.replydraft", "stores.report"},
    ),
    "club": ({"club-table-list"}, {"club.table", "wallet.account", "wallet.transfer"}),
}


@pytest.fixture(params=sorted(VERTICALS))
def demo(request, tenants):
    t = tenants[request.param]
    return t, demo_root_client(t), VERTICALS[request.param]


def test_every_api_list_runs_the_same_queries_for_one_row_and_for_a_full_page(demo, monkeypatch):
    t, client, (lists, _) = demo
    with t.context():
        report = sweep_api(client, f"config.urls.{t.type}", monkeypatch)
    assert not report.failures, "\n".join(report.failures)
    assert lists <= report.several(), report.rows


def test_every_admin_changelist_runs_the_same_queries_for_one_row_and_for_a_full_page(demo, monkeypatch):
    t, client, (_, changelists) = demo
    with t.context():
        report = sweep_admin(client, t.type, monkeypatch)
    assert not report.failures, "\n".join(report.failures)
    assert changelists <= report.several(), report.rows
