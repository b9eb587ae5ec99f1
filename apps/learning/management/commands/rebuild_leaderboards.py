from apps.learning.services import leaderboards
from apps.tenancy.commands import PerTenantCommand


class Command(PerTenantCommand):
    help = "Rebuild the learning zones' leaderboards (Redis sorted sets) from the finished attempts."
    tenant_type = "zone"

    def handle(self, *args, **options):
        for tenant in self.each_tenant(options["schema"]):
            self.stdout.write(f"{tenant.schema_name}: {leaderboards.rebuild()} boards")
