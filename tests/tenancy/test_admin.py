import time

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from apps.tenancy import services
from apps.tenancy.models import Tenant
from tests.utils import PASSWORD, browser_login, enable_totp


@pytest.fixture
def operator(live_db):
    user = get_user_model().objects.create_superuser("op_admin", "op@example.com", PASSWORD)
    secret = enable_totp(user)  # platform superusers must use TOTP
    client = Client(HTTP_HOST="localhost")
    browser_login(client, "op_admin", PASSWORD, secret)
    yield client
    user.delete()


def test_operator_provisions_a_tenant_from_the_admin_in_celery(operator, celery_worker):
    response = operator.post(
        "/admin/tenancy/tenant/add/",
        {
            "name": "관리자 학원",
            "type": "academy",
            "plan": "",
            "domain": "Admin-Made.test",
            "schema_name": "",
            "method": "clone",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    tenant = Tenant.objects.get(schema_name="admin_made")
    try:
        assert tenant.get_primary_domain().domain == "admin-made.test"
        deadline = time.monotonic() + 30
        while tenant.status != Tenant.Status.ACTIVE and time.monotonic() < deadline:
            time.sleep(0.2)
            tenant.refresh_from_db()
        assert tenant.status == Tenant.Status.ACTIVE
        assert tenant.provisioning_method == "clone"
        listing = operator.get("/admin/tenancy/tenant/?q=admin_made").content.decode()
        assert "admin_made" in listing
        assert Client(HTTP_HOST="admin-made.test").get("/api/v1/site/").json()["type"] == "academy"
    finally:
        services.drop_tenant(tenant)


def test_admin_form_names_bad_fields_and_writes_nothing(operator):
    before = Tenant.objects.count()
    response = operator.post(
        "/admin/tenancy/tenant/add/",
        {"name": "", "type": "academy", "domain": "bad host", "schema_name": "9bad", "method": "clone"},
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert {"name", "domain", "schema_name"} <= set(errors)
    assert Tenant.objects.count() == before


def test_operator_suspends_a_tenant(operator, live_tenant):
    t = live_tenant("store")
    response = operator.post(
        "/admin/tenancy/tenant/", {"action": "suspend", "_selected_action": [t.tenant.pk]}, follow=True
    )
    assert response.status_code == 200
    t.tenant.refresh_from_db()
    assert t.tenant.status == Tenant.Status.SUSPENDED
    assert t.client().get("/").status_code == 503
