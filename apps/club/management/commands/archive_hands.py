from django.core.management.base import BaseCommand
from django_tenants.utils import get_tenant_model, schema_context

from apps.club.services.archive import archive_hands


class Command(BaseCommand):
    help = "Move hands older than --days into msgpack+gzip batches (every club, or --schema)."

    def add_arguments(self, parser):
        parser.add_argument("--schema")
        parser.add_argument("--days", type=int, default=7)

    def handle(self, *args, schema=None, days=7, **options):
        tenants = get_tenant_model().objects.filter(type="club", is_template=False)
        if schema:
            tenants = tenants.filter(schema_name=schema)
        for tenant in tenants:
            with schema_context(tenant.schema_name):
                moved = archive_hands(older_than_days=days)
            self.stdout.write(f"{tenant.schema_name}: {moved} hands archived")
