"""The store vertical's lists in constant queries (tests/query_counts.py says how): every API
list route of its URLconf and every changelist of its admin site, on the demo store."""

from __future__ import annotations

import pytest

from tests.query_counts import demo_root_client, sweep_admin, sweep_api

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(tenants):
    t = tenants["store"]
    return t, demo_root_client(t)


def test_every_api_list_runs_the_same_queries_for_one_row_and_for_a_full_page(demo, monkeypatch):
    t, client = demo
    with t.context():
        report = sweep_api(client, "config.urls.store", monkeypatch)
    assert not report.failures, "\n".join(report.failures)
    assert {"stores-draft-list", "stores-report-list", "stores-review-list"} <= report.several(), report.rows


def test_every_admin_changelist_runs_the_same_queries_for_one_row_and_for_a_full_page(demo, monkeypatch):
    t, client = demo
    with t.context():
        report = sweep_admin(client, "store", monkeypatch)
    assert not report.failures, "\n".join(report.failures)
    assert {"stores.replydraft", "stores.report", "stores.review"} <= report.several(), report.rows
