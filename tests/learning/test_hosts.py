"""A zone on its own domain (seed 003): www. (landing, sitemap, robots), app. (the web
app), api. (DRF only, CORS from the zone's own app./www. hosts), admin. (behind the admin
allow-list). The bare domain keeps the combined site (development, these tests' others)."""

from __future__ import annotations

import pytest
from django.test import Client

from apps.tenancy import services
from apps.tenancy.models import Domain

pytestmark = pytest.mark.django_db


@pytest.fixture
def hosts(tenants):
    """Role hosts for the session zone (a.zone.test) and zone B."""
    for key in ("zone", "zone_b"):
        t = tenants[key]
        services.ensure_role_hosts(t.tenant, t.domain)
    return lambda role, key="zone": Client(HTTP_HOST=f"{role}.{tenants[key].domain}")


def test_create_tenant_gives_a_zone_its_four_hosts(tenants):
    from django.core.management import call_command

    tenant = services.register_tenant(name="UnivPrepAI", tenant_type="zone", domain="univprepai.test")
    assert set(Domain.objects.filter(tenant=tenant).values_list("domain", flat=True)) == {
        "univprepai.test",  # www. is looked up as the domain itself
        "app.univprepai.test",
        "api.univprepai.test",
        "admin.univprepai.test",
    }
    # One of the role hosts already taken: refused, naming the host, nothing written.
    from django.core.exceptions import ValidationError

    Domain.objects.create(domain="api.taken.test", tenant=tenants["zone_b"].tenant)
    with pytest.raises(ValidationError) as excinfo:
        services.register_tenant(name="Taken", tenant_type="zone", domain="taken.test")
    assert "api.taken.test" in excinfo.value.message_dict["domain"][0]
    assert not Domain.objects.filter(domain="taken.test").exists()
    # Other types get no role hosts.
    store = services.register_tenant(name="가게", tenant_type="store", domain="shop.test")
    assert list(Domain.objects.filter(tenant=store).values_list("domain", flat=True)) == ["shop.test"]
    assert call_command  # the command goes through register_tenant (tests/tenancy)


def test_www_serves_the_landing_page_and_nothing_else(hosts, tenants):
    from apps.learning.models import ZoneSite

    with tenants["zone"].context():
        ZoneSite.objects.create(title="UnivPrepAI", tagline="대학 입시 준비", description="적응형 모의고사")
    www = hosts("www")
    page = www.get("/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<title>UnivPrepAI — 대학 입시 준비</title>" in html
    assert '<meta property="og:title" content="UnivPrepAI — 대학 입시 준비">' in html
    assert '<meta name="description" content="적응형 모의고사">' in html
    assert 'href="http://app.a.zone.test/"' in html
    sitemap = www.get("/sitemap.xml")
    assert sitemap["Content-Type"].startswith("application/xml")
    assert "<loc>http://www.a.zone.test/</loc>" in sitemap.content.decode()
    robots = www.get("/robots.txt").content.decode()
    assert "Sitemap: http://www.a.zone.test/sitemap.xml" in robots and "Allow: /" in robots
    for path in ("/api/v1/site/", "/admin/", "/accounts/login/"):
        assert www.get(path).status_code == 404, path


def test_app_api_and_admin_hosts_serve_only_their_part(hosts, member):
    _user, client = member("zone", "student")
    app = hosts("app")
    app.cookies = client.cookies
    assert app.get("/").status_code == 200
    assert Client(HTTP_HOST="app.a.zone.test").get("/").status_code == 302  # sign in first
    assert app.get("/accounts/login/").status_code in (200, 302)
    assert "Disallow: /" in app.get("/robots.txt").content.decode()
    for path in ("/api/v1/site/", "/admin/", "/sitemap.xml"):
        assert app.get(path).status_code == 404, path

    api = hosts("api")
    site = api.get("/api/v1/site/")
    assert site.status_code == 200 and site.wsgi_request.urlconf == "config.urls.zone_api"
    assert api.get("/api/schema/").status_code == 200
    for path in ("/accounts/login/", "/admin/", "/about/"):
        assert api.get(path).status_code == 404, path

    admin_host = hosts("admin")
    assert admin_host.get("/").status_code == 302
    assert admin_host.get("/admin/").status_code == 302  # to the sign-in page
    assert admin_host.get("/api/v1/site/").status_code == 404


def test_admin_host_is_behind_the_allow_list(hosts, settings):
    settings.ADMIN_IP_ALLOWLIST = ["10.1.0.0/16"]
    refused = hosts("admin").get("/accounts/login/")
    assert refused.status_code == 403
    assert hosts("app").get("/accounts/login/").status_code == 200  # the app's sign-in is not the admin
    allowed = Client(HTTP_HOST="admin.a.zone.test", REMOTE_ADDR="10.1.2.3").get("/accounts/login/")
    assert allowed.status_code == 200


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("http://app.a.zone.test", True),
        ("http://www.a.zone.test:8000", True),
        ("http://admin.a.zone.test", False),
        ("http://app.b.zone.test", False),  # another zone
        ("https://evil.example", False),
        ("null", False),
    ],
)
def test_api_cors_only_from_the_zones_own_app_and_www(hosts, origin, allowed):
    preflight = hosts("api").options(
        "/api/v1/site/",
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="x-session-token",
    )
    assert (preflight.headers.get("Access-Control-Allow-Origin") == origin) is allowed
    if allowed:
        assert "x-session-token" in preflight.headers["Access-Control-Allow-Headers"]
    simple = hosts("api").get("/api/v1/site/", HTTP_ORIGIN=origin)
    assert (simple.headers.get("Access-Control-Allow-Origin") == origin) is allowed


def test_no_cors_on_other_hosts(hosts, tenants):
    response = tenants["zone"].client().get("/api/v1/site/", HTTP_ORIGIN="http://app.a.zone.test")
    assert "Access-Control-Allow-Origin" not in response.headers
