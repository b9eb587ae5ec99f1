"""One URLconf per tenant type (django-tenants picks it from TENANT_TYPES[type]['URLCONF'])."""
