"""What a vertical adds to signing in on its tenant type, registered from its
`AppConfig.ready()` so that accounts (the foundation) names no vertical:

    # apps/portal/apps.py
    def ready(self):
        from apps.accounts import hooks
        from .backends import GuardianPhoneBackend
        from .services import portal_home

        hooks.register_login_backend("academy", GuardianPhoneBackend())   # phone + password
        hooks.register_login_redirect("academy", portal_home)             # where a parent lands

Login backends run through apps.accounts.backends.TenantTypeBackend (the one entry in
AUTHENTICATION_BACKENDS for all of them), only on hosts of their tenant type. A login
redirect is asked when allauth has no `next`: it returns a path, or None for the default.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import connection

from apps.core.registry import Registry

login_backends: Registry = Registry("login backend")  # (tenant type, backend class path) → backend
login_redirects: Registry[Callable] = Registry("login redirect")  # tenant type → function(request)


def register_login_backend(tenant_type: str, backend) -> None:
    cls = type(backend)
    login_backends.register((tenant_type, f"{cls.__module__}.{cls.__qualname__}"), backend)


def register_login_redirect(tenant_type: str, redirect: Callable) -> None:
    login_redirects.register(tenant_type, redirect)


def current_type() -> str:
    return getattr(getattr(connection, "tenant", None), "type", "") or ""


def backends_for(tenant_type: str) -> list:
    return [backend for (kind, _path), backend in login_backends.items() if kind == tenant_type]


def login_redirect(request) -> str | None:
    redirect = login_redirects.get(current_type())
    return redirect(request) if redirect is not None else None
