import pytest
from django.test import Client

from apps.tenancy import services
from apps.tenancy.models import Domain, Tenant

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("key", ["academy", "zone", "store", "club"])
def test_each_tenant_type_host_reaches_its_own_urlconf(tenants, key):
    t = tenants[key]
    response = t.client().get("/api/v1/site/")
    assert response.status_code == 200
    assert response.json() == {"name": t.tenant.name, "schema": t.schema, "type": t.type, "language": "ko"}
    assert response.wsgi_request.urlconf == f"config.urls.{t.type}"
    home = t.client().get("/")
    assert home.status_code == 200
    assert next(tpl.name for tpl in home.templates) == f"core/home_{t.type}.html"


def test_platform_host_reaches_the_public_urlconf(tenants):
    response = Client(HTTP_HOST="localhost").get("/api/v1/site/")
    assert response.json()["type"] == "public"
    assert response.wsgi_request.urlconf == "config.urls.public"


def test_unknown_host_gets_the_404_page_not_a_stack_trace(tenants):
    response = Client(HTTP_HOST="nobody.example.org").get("/some/where/")
    assert response.status_code == 404
    assert next(t.name for t in response.templates) == "tenancy/unknown_host.html"
    body = response.content.decode()
    assert "nobody.example.org" in body
    assert "Traceback" not in body


def test_template_schemas_are_never_served(tenants):
    template = Tenant.objects.get(schema_name="template_academy")
    Domain.objects.create(domain="template.academy.test", tenant=template)
    response = Client(HTTP_HOST="template.academy.test").get("/api/v1/site/")
    assert response.status_code == 404


def test_suspended_tenant_gets_a_503_page(tenants):
    t = tenants["store"]
    services.set_status(t.tenant, Tenant.Status.SUSPENDED)
    response = t.client().get("/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert next(tpl.name for tpl in response.templates) == "tenancy/unavailable.html"


def test_page_language_is_korean_first_and_english_on_request(tenants):
    t = tenants["academy"]
    korean = t.client().get("/")
    english = t.client(HTTP_ACCEPT_LANGUAGE="en").get("/")
    assert 'lang="ko"' in korean.content.decode()
    assert "로그인" in korean.content.decode()
    assert 'lang="en"' in english.content.decode()
    assert "Log in" in english.content.decode()


def test_tenant_admin_cannot_reach_public_tables(tenants):
    """The public schema's tables are on every tenant's search_path; the admin must not expose them."""
    from django.contrib.auth import get_user_model

    from tests.utils import browser_login, enable_totp

    t = tenants["academy"]
    with t.context():
        boss = get_user_model().objects.create_superuser("boss", "boss@example.com", "Pw-1234-abcd!")
        secret = enable_totp(boss)  # superusers must use TOTP
    client = t.client()
    browser_login(client, "boss", "Pw-1234-abcd!", secret)
    index = client.get("/admin/")
    assert index.status_code == 200
    assert b"/admin/accounts/user/" in index.content
    assert b"tenancy" not in index.content
    assert b"django_celery_beat" not in index.content
    assert client.get("/admin/tenancy/tenant/").status_code == 404
    assert client.get("/admin/django_celery_beat/periodictask/").status_code == 404
