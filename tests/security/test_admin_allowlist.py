"""The optional admin allow-list (ADMIN_IP_ALLOWLIST): off when empty; otherwise the admin
answers only addresses inside it, others get the 403 page and an audit entry."""

from __future__ import annotations

import pytest

from apps.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_empty_means_no_restriction(member):
    _user, client = member("academy", "owner")
    assert client.get("/admin/", REMOTE_ADDR="203.0.113.9").status_code == 200


def test_outside_addresses_are_refused_and_audited(member, tenants, settings):
    settings.ADMIN_IP_ALLOWLIST = ["10.0.0.0/8", "2001:db8::/32"]
    user, client = member("academy", "owner")
    assert client.get("/admin/", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/admin/", REMOTE_ADDR="2001:db8::5").status_code == 200
    refused = client.get("/admin/accounts/user/", REMOTE_ADDR="203.0.113.9", HTTP_ACCEPT_LANGUAGE="ko")
    assert refused.status_code == 403 and "권한" in refused.content.decode()
    # the rest of the site is not affected
    assert client.get("/api/v1/me/", REMOTE_ADDR="203.0.113.9").status_code == 200
    with tenants["academy"].context():
        entry = AuditEntry.objects.get(action="admin.ip_refused")
    assert entry.actor_id == user.pk and entry.ip == "203.0.113.9"
    assert entry.details["path"] == "/admin/accounts/user/"


def test_a_proxy_cannot_be_used_to_spoof_an_allowed_address(member, settings):
    settings.ADMIN_IP_ALLOWLIST = ["10.0.0.0/8"]
    settings.TRUSTED_PROXIES = []
    _user, client = member("store", "owner")
    spoofed = client.get("/admin/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="10.0.0.1")
    assert spoofed.status_code == 403
    settings.TRUSTED_PROXIES = ["192.0.2.0/24"]
    proxied = client.get("/admin/", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="10.0.0.1")
    assert proxied.status_code == 200


def test_whole_admin_hosts(tenants, settings):
    settings.ADMIN_IP_ALLOWLIST = ["10.0.0.0/8"]
    settings.ADMIN_HOSTS = [tenants["zone"].domain]
    client = tenants["zone"].client()
    assert client.get("/accounts/login/", REMOTE_ADDR="203.0.113.9").status_code == 403
    assert tenants["club"].client().get("/accounts/login/", REMOTE_ADDR="203.0.113.9").status_code == 200
