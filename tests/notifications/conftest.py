import httpx
import pytest
from django.conf import settings

from apps.notifications.models import ProviderConfig


def configure_providers(server, *, sms_from: str = "0212345678") -> None:
    """Point the tenant's providers at the loopback sandboxes served by the real server."""
    base = f"http://localhost:{server.port}/_sandbox"
    ProviderConfig.objects.update_or_create(
        channel="alimtalk",
        defaults={
            "base_url": f"{base}/sens",
            "account": "ncp:kkobizmsg:kr:test",
            "sender": "@megacity",
            "access_key": "test-access-key",
            "secret": settings.SANDBOX_SENS_SECRET,
            "sms_from": sms_from,
        },
    )
    ProviderConfig.objects.update_or_create(
        channel="telegram", defaults={"base_url": f"{base}/telegram", "secret": settings.SANDBOX_TELEGRAM_TOKEN}
    )


def control(server, name: str, **values) -> None:
    httpx.post(f"http://localhost:{server.port}/_sandbox/notifications/{name}/_control", json=values, timeout=5)


@pytest.fixture
def sandbox_messages():
    from django_tenants.utils import schema_context

    from apps.notifications.models import SandboxMessage

    def read(**filters):
        with schema_context("public"):
            return list(SandboxMessage.objects.filter(**filters).order_by("received_at"))

    return read
