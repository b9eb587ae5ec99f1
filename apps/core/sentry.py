"""Sentry, when SENTRY_DSN is set: tagged with tenant and tenant type, no personal data."""

from __future__ import annotations

import sentry_sdk

SCRUBBED_HEADERS = {"cookie", "authorization", "x-session-token", "x-csrftoken"}


def scrub(event: dict, hint: dict) -> dict:
    request = event.get("request") or {}
    headers = request.get("headers") or {}
    for key in list(headers):
        if key.lower() in SCRUBBED_HEADERS:
            headers[key] = "[scrubbed]"
    request.pop("cookies", None)
    request.pop("data", None)
    user = event.get("user")
    if user:
        event["user"] = {"id": user.get("id")} if user.get("id") else {}
    return event


def init_sentry(dsn: str, environment: str, traces_sample_rate: float) -> None:
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        traces_sample_rate=traces_sample_rate,
        # No user identity, cookies, bodies, query strings or local variables; headers
        # only after Sentry's own denylist (tokens, cookies, auth) and ours (scrub).
        data_collection={
            "user_info": False,
            "cookies": {"mode": "off"},
            "http_bodies": [],
            "url_query_params": {"mode": "off"},
            "stack_frame_variables": False,
            "database_query_data": False,
        },
        before_send=scrub,
        integrations=[DjangoIntegration(), CeleryIntegration()],
    )


def tag_tenant(tenant) -> None:
    scope = sentry_sdk.get_isolation_scope()
    scope.set_tag("tenant", tenant.schema_name)
    scope.set_tag("tenant_type", tenant.type)


class SentryTenantMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        tenant = getattr(request, "tenant", None)
        if tenant is not None:
            tag_tenant(tenant)
        return self.get_response(request)
