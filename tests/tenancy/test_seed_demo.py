import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django_tenants.utils import schema_context

from apps.tenancy import services
from apps.tenancy.management.commands.seed_demo import DEMO_TENANTS
from apps.tenancy.models import Domain, Tenant


@pytest.fixture
def demo(live_db):
    yield
    for _type, schema, *_ in DEMO_TENANTS:
        tenant = Tenant.objects.filter(schema_name=schema).first()
        if tenant:
            services.drop_tenant(tenant)
    get_user_model().objects.filter(username="operator").delete()


def test_seed_demo_is_idempotent_and_prints_every_login(demo):
    first, second = io.StringIO(), io.StringIO()
    call_command("seed_demo", "--force", "--port", "8000", stdout=first)
    counts = (Tenant.objects.count(), Domain.objects.count())
    call_command("seed_demo", "--force", "--port", "8000", stdout=second)
    assert (Tenant.objects.count(), Domain.objects.count()) == counts

    for _type, schema, _name, domain, _plan in DEMO_TENANTS:
        tenant = Tenant.objects.get(schema_name=schema)
        assert tenant.status == Tenant.Status.ACTIVE
        assert tenant.get_primary_domain().domain == domain
        with schema_context(schema):
            admin = get_user_model().objects.get(username="admin")
            assert admin.is_superuser and admin.check_password("Megacity!2026")
        assert f"http://{domain}:8000/admin/" in second.getvalue()
    assert "http://localhost:8000/admin/" in second.getvalue()
    assert "Megacity!2026" in second.getvalue()
    assert get_user_model().objects.get(username="operator").is_superuser


def test_seed_demo_refuses_without_debug(live_db):
    with pytest.raises(CommandError, match="known passwords"):
        call_command("seed_demo")


def test_the_readme_roster_goes_into_the_demo_academy_s_classes_and_is_billed(demo, tmp_path):
    """README, "From a spreadsheet to a paying parent": the 843-row roster `make_roster`
    writes is enrolled into the demo academy's own classes (fee and timetable), only its
    broken rows are rejected, and the monthly run then bills the imported parents."""
    from django.utils import timezone

    from apps.academy.demo import ROSTER_CLASSES
    from apps.academy.services import billing
    from apps.roster import generate
    from apps.roster.importing import Options, import_file

    assert sorted(name for name, *_ in ROSTER_CLASSES) == sorted(generate.CLASSES)
    call_command("seed_demo", "--force", "--port", "8000", stdout=io.StringIO())
    path = generate.write(tmp_path / "roster.xlsx", 843, errors=5)
    with schema_context("academy"):
        report = import_file(path, options=Options(valid_only=True, create_classes=True))
        assert report.applied and report.rejected_rows == 5 and report.classes_created == []
        issued = billing.issue_monthly_invoices(timezone.localdate())
        assert len(issued) >= 0.8 * report.guardians_created
        assert all(invoice.total > 0 for invoice in issued)
