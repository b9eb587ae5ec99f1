"""The portal's pages (not paginated) in constant queries: read for a family of two children
and again after a third child with a bill and attendance joins it. The academy's API lists
and admin changelists are checked with every vertical's (tests/core/test_query_counts.py).
"""

from __future__ import annotations

import pytest

from tests.query_counts import count, demo_root_client
from tests.utils import browser_login

pytestmark = pytest.mark.django_db

PORTAL_BUDGETS = {"portal-home": 20, "portal-child": 20, "portal-invoices": 12, "portal-receipts": 12}


@pytest.fixture
def demo_academy(tenants):
    t = tenants["academy"]
    return t, demo_root_client(t)


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
