import re
from datetime import date

import httpx
import pytest
import time_machine
from django.conf import settings
from django_tenants.utils import schema_context

from apps.academy.models import Invoice
from apps.academy.services import billing, enrollment
from apps.payments.models import GatewayConfig, SandboxPayment
from tests.academy.conftest import build_academy, student
from tests.conftest import BILLING_CLOCK


def configure_gateways(server, default: str = "sandbox") -> None:
    base = f"http://localhost:{server.port}/_sandbox/payments"
    for gateway, url, client_key, secret in (
        ("sandbox", f"{base}/local", settings.SANDBOX_GATEWAY_KEY, settings.SANDBOX_GATEWAY_SECRET),
        ("toss", f"{base}/toss", "test_ck_sandbox", settings.SANDBOX_TOSS_SECRET_KEY),
        ("payssam", f"{base}/payssam", "merchant-1", settings.SANDBOX_PAYSSAM_API_KEY),
    ):
        GatewayConfig.objects.update_or_create(
            gateway=gateway,
            defaults={"base_url": url, "client_key": client_key, "secret": secret, "is_default": gateway == default},
        )


@pytest.fixture
def billed(live_tenant, asgi_server):
    """A live academy with a family owing one 200,000 won invoice, gateways on the sandboxes."""
    t = live_tenant("academy")
    academy = build_academy(t)
    with t.context(), time_machine.travel(BILLING_CLOCK, tick=True):  # December is next month
        configure_gateways(asgi_server)
        kid = student()
        enrollment.enroll(kid, academy.klass, starts_on=date(2026, 12, 1))
        (invoice,) = billing.issue_monthly_invoices(date(2026, 12, 1))
    return {
        "t": t,
        "invoice": invoice,
        "kid": kid,
        "base": f"http://{t.domain}:{asgi_server.port}",
        "server": asgi_server,
    }


def browser(server) -> httpx.Client:
    """A payer's browser: tenant hosts (*.test) are reached on loopback."""

    class Loopback(httpx.HTTPTransport):
        def handle_request(self, request):
            if request.url.host.endswith(".test"):
                request.headers["Host"] = f"{request.url.host}:{request.url.port}"
                request.url = request.url.copy_with(host="127.0.0.1")
            return super().handle_request(request)

    return httpx.Client(transport=Loopback(), follow_redirects=True, timeout=15)


def submit_form(client: httpx.Client, page: httpx.Response, extra: dict) -> httpx.Response:
    """Submit the page's first form as a browser would (its method, action and inputs)."""
    import html

    main = page.text[page.text.find("<main") :]  # not the header's language form
    form = re.search(r'<form[^>]*method="(\w+)"(?:[^>]*action="([^"]*)")?[^>]*>(.*?)</form>', main, re.S)
    method, action, inner = form.group(1).lower(), html.unescape(form.group(2) or ""), form.group(3)
    fields = {html.unescape(k): html.unescape(v) for k, v in re.findall(r'name="([^"]+)" value="([^"]*)"', inner)}
    fields.pop("action", None)
    target = page.url.join(action) if action else page.url
    if method == "get":
        return client.get(str(target), params={**fields, **extra})
    return client.post(str(target), data={**fields, **extra})


def pay_on_sandbox(server, checkout_url: str, action: str = "pay") -> httpx.Response:
    """Open the checkout link and follow its forms to the sandbox's pay button."""
    with browser(server) as client:
        page = client.get(checkout_url)
        if "/_sandbox/" not in str(page.url):  # our checkout page first (Toss)
            page = submit_form(client, page, {})
        return submit_form(client, page, {"action": action})


def sandbox_record(**filters) -> SandboxPayment:
    with schema_context("public"):
        return SandboxPayment.objects.get(**filters)


def wait_paid(t, invoice: Invoice, timeout: float = 15) -> Invoice:
    import time

    deadline = time.monotonic() + timeout
    with t.context():
        while time.monotonic() < deadline:
            invoice.refresh_from_db()
            if invoice.status == Invoice.Status.PAID:
                break
            time.sleep(0.1)
    return invoice
