"""Security headers, the Content-Security-Policy and the pages that must work under it."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.django_db

EXPECTED = {
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Opener-Policy": "same-origin-allow-popups",
}


def csp(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def assert_security_headers(response) -> None:
    """Django's and httpx's responses alike (both have case-insensitive .headers)."""
    headers = response.headers
    for name, value in EXPECTED.items():
        assert headers[name] == value, name
    assert "camera=()" in headers["Permissions-Policy"] and "microphone=()" in headers["Permissions-Policy"]
    policy = csp(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]
    assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
    assert re.fullmatch(r"[0-9a-f]{32}", headers["X-Request-ID"])


@pytest.mark.parametrize("key", ["academy", "zone", "store", "club"])
def test_html_pages_and_api_responses_carry_the_headers(tenants, key):
    client = tenants[key].client()
    page = client.get("/")
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    assert_security_headers(page)
    api = client.get("/api/v1/site/")
    assert api.status_code == 200 and api["Content-Type"] == "application/json"
    assert_security_headers(api)
    # HSTS only in production (over HTTPS): see test_deploy
    assert "Strict-Transport-Security" not in page


def test_hsts_with_the_production_values_over_https(tenants, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    response = tenants["academy"].client().get("/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")(?![^>]*\bnonce=)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+=", re.I)


def assert_runs_under_the_policy(response) -> None:
    """No inline script without the nonce and no inline event handler: the CSP would block them."""
    body = response.content.decode()
    assert not INLINE_SCRIPT.findall(body), INLINE_SCRIPT.findall(body)
    assert not INLINE_HANDLER.findall(body), INLINE_HANDLER.findall(body)[:3]


def test_own_pages_admin_and_sign_in_pages_have_no_inline_script(member, tenants):
    _owner, client = member("academy", "owner")
    pages = [
        "/",
        "/dashboard/",
        "/admin/",
        "/admin/accounts/user/",
        "/admin/accounts/user/add/",
        "/admin/audit/auditentry/",
        "/admin/academy/student/add/",
        "/accounts/2fa/",
        "/accounts/password/change/",
    ]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        assert_runs_under_the_policy(response)
    anonymous = tenants["academy"].client()
    for path in ["/accounts/login/", "/accounts/signup/", "/accounts/password/reset/", "/no-such-page/"]:
        assert_runs_under_the_policy(anonymous.get(path))


def test_swagger_ui_loads_its_start_up_script_as_a_file(tenants):
    client = tenants["zone"].client()
    page = client.get("/api/docs/")
    assert page.status_code == 200
    assert_runs_under_the_policy(page)
    script = re.search(r'<script src="(/api/docs/\?[^"]*script=[^"]*)"', page.content.decode())
    assert script, "the start-up script is not loaded from a URL"
    js = client.get(script.group(1).replace("&amp;", "&"))
    assert js.status_code == 200 and "SwaggerUIBundle" in js.content.decode()


def test_the_only_inline_script_carries_the_nonce():
    """Toss's payment window is opened by the one inline script (not rendered in tests: it
    needs Toss itself); the policy accepts it by its nonce."""
    from django.template.loader import get_template

    source = Path(get_template("payments/checkout_toss.html").origin.name).read_text()
    scripts = re.findall(r"<script[^>]*>", source)
    assert scripts == [
        '<script src="https://js.tosspayments.com/v2/standard">',
        '<script nonce="{{ request.csp_nonce }}">',
    ]


@pytest.mark.skipif(not shutil.which("chromium"), reason="needs Debian's chromium")
def test_swagger_ui_renders_in_a_real_browser_under_the_policy(asgi_server, tenants):
    """Headless chromium through the real ASGI server: the UI builds itself (its DOM
    holds the API's title and operations) and the browser reports no CSP violation."""
    t = tenants["zone"]
    result = subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--enable-logging=stderr",
            "--v=0",
            f"--host-resolver-rules=MAP {t.domain} 127.0.0.1",
            "--virtual-time-budget=15000",
            "--dump-dom",
            f"http://{t.domain}:{asgi_server.port}/api/docs/",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    dom, log = result.stdout, result.stderr
    assert "MegaCity API" in dom, log[-2000:]
    assert "/api/v1/me/" in dom
    assert "Content Security Policy" not in log, [line for line in log.splitlines() if "Content Security" in line]


def test_every_post_form_in_the_templates_carries_the_csrf_token():
    """Every browser form that posts sends the CSRF token. The one exception is the payment
    sandbox's checkout, a stand-in for a gateway's own site (csrf_exempt, only when
    SANDBOX_ENABLED)."""
    root = Path(__file__).resolve().parents[2]
    exempt = {"apps/payments/templates/payments/sandbox_checkout.html"}
    missing, seen = [], 0
    for template in [*root.glob("templates/**/*.html"), *root.glob("apps/*/templates/**/*.html")]:
        relative = str(template.relative_to(root))
        for form in re.findall(r"<form[^>]*method=\"post\"[^>]*>(.*?)</form>", template.read_text(), re.S | re.I):
            seen += 1
            if "{% csrf_token %}" not in form and relative not in exempt:
                missing.append(relative)
    assert missing == [] and seen >= 4


def test_the_import_progress_page_runs_under_the_policy(member, tenants):
    """The live progress bar is a static script fed by a JSON block: an inline script
    would be blocked by the CSP and the bar would never move."""
    from apps.roster.models import ImportJob

    _staff, client = member("academy", "staff")
    with tenants["academy"].context():
        job = ImportJob.objects.create(file="x.xlsx", file_name="x.xlsx", file_hash="0" * 64)
    page = client.get(f"/admin/roster/importjob/{job.pk}/change/")
    assert page.status_code == 200
    assert_runs_under_the_policy(page)
    body = page.content.decode()
    assert "roster/import_progress" in body and 'id="import-stage-labels"' in body


def _both_csp(request_factory_path: str, make_response, *, nonce: bool = False) -> tuple:
    """The headers our CSPMiddleware and django-csp's own give the same response."""
    from csp.middleware import CSPMiddleware as DjangoCSP
    from django.test import RequestFactory

    from apps.core.security import CSPMiddleware

    out = []
    for middleware_class in (CSPMiddleware, DjangoCSP):
        request = RequestFactory().get(request_factory_path)

        def view(request):
            if nonce:
                str(request.csp_nonce)
                request._csp_nonce = "fixed-nonce"  # the same in both runs
            return make_response()

        response = middleware_class(view)(request)
        out.append(
            (
                response.headers.get("Content-Security-Policy"),
                response.headers.get("Content-Security-Policy-Report-Only"),
            )
        )
    return tuple(out)


def test_csp_middleware_gives_django_csps_headers(settings):
    """apps.core.security.CSPMiddleware builds the usual policy once; every response still
    gets exactly django-csp's headers: plain, with a nonce, with a view's own policy,
    exempt, after the settings change, with a report-only policy."""
    from django.http import HttpResponse

    plain = _both_csp("/api/v1/site/", HttpResponse)
    assert plain[0] == plain[1] and plain[0][0]
    with_nonce = _both_csp("/page/", HttpResponse, nonce=True)
    assert with_nonce[0] == with_nonce[1] and "fixed-nonce" in with_nonce[0][0]

    def updated():
        response = HttpResponse()
        response._csp_update = {"img-src": ["https://images.example"]}
        return response

    both = _both_csp("/page/", updated)
    assert both[0] == both[1] and "https://images.example" in both[0][0]

    def exempt():
        response = HttpResponse()
        response._csp_exempt = True
        return response

    both = _both_csp("/page/", exempt)
    assert both[0] == both[1] == (None, None)
    policy = {**settings.CONTENT_SECURITY_POLICY, "DIRECTIVES": {"default-src": ["'none'"]}}
    settings.CONTENT_SECURITY_POLICY = policy
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": {"default-src": ["'self'"]}}
    both = _both_csp("/api/v1/site/", HttpResponse)
    assert both[0] == both[1] and both[0][0] == "default-src 'none'" and both[0][1] == "default-src 'self'"


def test_csp_policy_is_built_once(monkeypatch):
    from django.http import HttpResponse
    from django.test import RequestFactory

    from apps.core import security

    security._csp_policies.clear()
    calls = []
    real = security.build_policy
    monkeypatch.setattr(security, "build_policy", lambda **kw: calls.append(kw) or real(**kw))
    middleware = security.CSPMiddleware(lambda request: HttpResponse())
    headers = {middleware(RequestFactory().get("/api/v1/site/")).headers["Content-Security-Policy"] for _ in range(5)}
    assert len(headers) == 1 and len(calls) <= 2  # the policy and the report-only one, once each
