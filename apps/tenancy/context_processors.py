def tenant(request) -> dict:
    tenant = getattr(request, "tenant", None)
    return {
        "tenant": tenant,
        "tenant_type": getattr(tenant, "type", None),
    }
