"""Hosts with a role: a tenant type may answer on several hosts of one domain, each with
its own URLconf (TENANT_TYPES[type]["HOSTS"], e.g. a learning zone's `www.`, `app.`, `api.`
and `admin.`; seed 003's routing table).

- Provisioning (`services.register_tenant`) gives such a tenant one Domain row per role
  host besides the domain itself. django-tenants looks hosts up without their `www.`, so
  `www.<domain>` reaches the tenant through the domain's own row.
- Per request (`apply`, from the tenant middleware): the first label of the host the
  client asked for picks the role and its URLconf, and `request.host_role` says which.
  A host without a role prefix (the bare domain, or a single development host such as
  `univ.localhost`) keeps the type's combined URLconf, which serves everything.
- `admin.` hosts are admin hosts for the admin allow-list (apps.core.security).
- CORS (django-cors-headers, `cors_allowed`): an `api.` host answers cross-origin requests
  only from the `app.` and `www.` hosts of its own tenant (any of its domains).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.urls import set_urlconf

CORS_ROLES = ("app", "www")


def roles_of(tenant_type: str) -> dict[str, str]:
    """role → URLconf of the type's role hosts ({} for a type served on one host)."""
    return dict(settings.TENANT_TYPES.get(tenant_type, {}).get("HOSTS", {}))


def role_hosts(tenant_type: str, domain: str) -> list[str]:
    """The Domain rows a tenant of `tenant_type` on `domain` needs besides `domain` (www.
    needs none: it is looked up as the domain itself)."""
    return [f"{role}.{domain}" for role in roles_of(tenant_type) if role != "www"]


def role_of_host(tenant_type: str, host: str) -> str | None:
    label = host.split(":")[0].lower().split(".", 1)[0]
    return label if label in roles_of(tenant_type) else None


def apply(request) -> None:
    """Set request.host_role, and the role's URLconf for the rest of the request."""
    tenant = getattr(request, "tenant", None)
    request.host_role = None
    if tenant is None or tenant.is_public:
        return
    role = role_of_host(tenant.type, request.get_host())
    if role is None:
        return
    request.host_role = role
    request.urlconf = roles_of(tenant.type)[role]
    set_urlconf(request.urlconf)


def sibling_url(request, role: str, path: str = "/") -> str:
    """The URL of `path` on the host of `role` of the request's tenant (same scheme, port)."""
    host = request.get_host()
    name, _sep, port = host.partition(":")
    current = getattr(request, "host_role", None)
    base = name.split(".", 1)[1] if current else name
    target = base if role == "www" and not current else f"{role}.{base}"
    return f"{request.scheme}://{target}{':' + port if port else ''}{path}"


def cors_allowed(sender, request, **kwargs) -> bool:
    """django-cors-headers' check_request_enabled: an api. host allows the Origin of its own
    tenant's app. and www. hosts, nothing else."""
    if getattr(request, "host_role", None) != "api":
        return False
    origin = request.headers.get("Origin", "")
    try:
        origin_host = (urlsplit(origin).hostname or "").lower()
    except ValueError:
        return False
    tenant = request.tenant
    role = role_of_host(tenant.type, origin_host)
    if role not in CORS_ROLES:
        return False
    from django_tenants.utils import remove_www, schema_context

    from . import hosts
    from .models import Domain

    with schema_context("public"):
        try:
            owner = hosts.lookup(Domain, remove_www(origin_host))
        except Domain.DoesNotExist:
            return False
    return owner.pk == tenant.pk
