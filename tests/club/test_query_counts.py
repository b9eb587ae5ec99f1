"""The club vertical's lists in constant queries (tests/query_counts.py says how): every API
list route of its URLconf and every changelist of its admin site, on the demo club."""

from __future__ import annotations

import pytest

from tests.query_counts import demo_root_client, sweep_admin, sweep_api

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(tenants):
    t = tenants["club"]
    return t, demo_root_client(t)


def test_every_api_list_runs_the_same_queries_for_one_row_and_for_a_full_page(demo, monkeypatch):
    t, client = demo
    with t.context():
        report = sweep_api(client, "config.urls.club", monkeypatch)
    assert not report.failures, "\n".join(report.failures)
    assert {"club-table-list"} <= report.several(), report.rows


def test_every_admin_changelist_runs_the_same_queries_for_one_row_and_for_a_full_page(demo, monkeypatch):
    t, client = demo
    with t.context():
        report = sweep_admin(client, "club", monkeypatch)
    assert not report.failures, "\n".join(report.failures)
    assert {"club.table", "wallet.account", "wallet.transfer"} <= report.several(), report.rows
