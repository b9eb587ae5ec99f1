from django.db import connection
from django.shortcuts import render
from django_tenants.middleware.main import TenantMainMiddleware

from . import host_roles, hosts


class TenantMiddleware(TenantMainMiddleware):
    """django-tenants' host routing, with pages instead of exceptions for the hosts that
    reach no live tenant: unknown hosts and templates get a 404 page, tenants still being
    provisioned or suspended get a 503 page."""

    def get_tenant(self, domain_model, hostname):
        # From the cache, forgotten whenever a Tenant or Domain row changes (hosts.py).
        tenant = hosts.lookup(domain_model, hostname)
        if tenant.is_template:
            raise domain_model.DoesNotExist
        return tenant

    def no_tenant_found(self, request, hostname):
        return render(request, "tenancy/unknown_host.html", {"hostname": hostname}, status=404)

    def process_request(self, request):
        response = super().process_request(request)
        if response is not None:
            return response
        tenant = request.tenant
        if not tenant.is_public and not tenant.serves_requests:
            connection.set_schema_to_public()
            response = render(request, "tenancy/unavailable.html", {"tenant": tenant}, status=503)
            response["Retry-After"] = "30"
            return response
        host_roles.apply(request)
        return None
