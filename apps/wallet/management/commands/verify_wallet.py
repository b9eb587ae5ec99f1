from django.core.management.base import CommandError
from django.db import connection

from apps.tenancy.commands import PerTenantCommand
from apps.wallet.integrity import problems


class Command(PerTenantCommand):
    help = "Prove a club's money adds up: the transfer chain, zero-sum legs, cached balances, holds."
    tenant_type = "club"

    def handle(self, *args, schema=None, **options):
        failed = False
        for tenant in self.each_tenant(schema):
            found = problems()
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM wallet_transfer")
                (count,) = cursor.fetchone()
            if found:
                failed = True
                self.stderr.write(f"{tenant.schema_name}: {len(found)} problem(s)")
                for line in found:
                    self.stderr.write(f"  {line}")
            else:
                self.stdout.write(f"{tenant.schema_name}: {count} transfers, chain and balances verified")
        if failed:
            raise CommandError("the wallet does not add up")
