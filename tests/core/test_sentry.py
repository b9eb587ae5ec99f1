import pytest
import sentry_sdk
from django.test import Client

from apps.core.sentry import init_sentry
from tests.sandboxes.sentry import SentrySandbox
from tests.utils import PASSWORD, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def sentry():
    with SentrySandbox() as sandbox:
        init_sentry(sandbox.dsn, "test", 0.0)
        yield sandbox
        sentry_sdk.get_client().close()
        sentry_sdk.init(dsn=None)


def test_errors_reach_sentry_tagged_with_tenant_and_without_personal_data(sentry, tenants):
    t = tenants["club"]
    with t.context():
        make_user("floor", email="floor.manager@example.com", is_superuser=True, is_staff=True)
    client = Client(HTTP_HOST=t.domain, raise_request_exception=False)
    client.post("/accounts/login/", {"login": "floor", "password": PASSWORD})
    response = client.get(
        "/_ops/sentry-check/",
        HTTP_X_SESSION_TOKEN="secret-token",
        HTTP_USER_AGENT="pytest",
        HTTP_X_REQUEST_ID="req-0001abcd",
    )
    assert response.status_code == 500
    assert response["X-Request-ID"] == "req-0001abcd"
    sentry_sdk.flush(5)
    assert sentry.received.wait(5), "no event reached the sandbox"
    event = sentry.events[-1]
    assert event["tags"]["tenant"] == t.schema
    assert event["tags"]["tenant_type"] == "club"
    assert event["tags"]["request_id"] == "req-0001abcd"  # the id the user's response carried
    assert event["exception"]["values"][-1]["type"] == "SentryCheckError"
    raw = str(event)
    assert "floor.manager@example.com" not in raw
    assert "secret-token" not in raw
    assert "mc_session" not in raw
    assert "ip_address" not in event.get("user", {})


def test_sentry_check_is_hidden_from_everyone_else(tenants):
    assert tenants["club"].client().get("/_ops/sentry-check/").status_code == 404
