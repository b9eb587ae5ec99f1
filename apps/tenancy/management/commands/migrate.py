# `migrate` is `migrate_schemas` here, as in django-tenants, with the bootstrap above.
from .migrate_schemas import Command  # noqa: F401
