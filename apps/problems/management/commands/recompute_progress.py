from apps.problems.services import rebuild_progress
from apps.tenancy.commands import PerTenantCommand


class Command(PerTenantCommand):
    help = "Recompute every student's progress per topic from the submissions and finished exams."
    tenant_type = "zone"

    def handle(self, *args, **options):
        for tenant in self.each_tenant(options["schema"]):
            self.stdout.write(f"{tenant.schema_name}: {rebuild_progress()} progress rows recomputed")
