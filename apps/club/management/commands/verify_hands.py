from django.core.management.base import CommandError

from apps.club.services.verify import problems
from apps.tenancy.commands import PerTenantCommand


class Command(PerTenantCommand):
    help = "Replay every stored and archived hand with pokerkit; check stacks, rake and the wallet's postings."
    tenant_type = "club"

    def handle(self, *args, schema=None, **options):
        failed = False
        for tenant in self.each_tenant(schema):
            checked, found = problems()
            if found:
                failed = True
                self.stderr.write(f"{tenant.schema_name}: {len(found)} problem(s) in {checked} hands")
                for line in found:
                    self.stderr.write(f"  {line}")
            else:
                self.stdout.write(f"{tenant.schema_name}: {checked} hands replayed by pokerkit, stacks and rake match")
        if failed:
            raise CommandError("hands do not replay to what was booked")
