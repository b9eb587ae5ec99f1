from apps.club.services.archive import archive_hands
from apps.tenancy.commands import PerTenantCommand


class Command(PerTenantCommand):
    help = "Move hands older than --days into msgpack+gzip batches (every club, or --schema)."
    tenant_type = "club"

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--days", type=int, default=7)

    def handle(self, *args, schema=None, days=7, **options):
        for tenant in self.each_tenant(schema):
            moved = archive_hands(older_than_days=days)
            self.stdout.write(f"{tenant.schema_name}: {moved} hands archived")
