from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django_tenants.utils import get_tenant_model, schema_context

from apps.wallet.integrity import problems


class Command(BaseCommand):
    help = "Prove a club's money adds up: the transfer chain, zero-sum legs, cached balances, holds."

    def add_arguments(self, parser):
        parser.add_argument("--schema", help="the club's schema (default: every club)")

    def handle(self, *args, schema=None, **options):
        tenants = get_tenant_model().objects.filter(type="club", is_template=False)
        if schema:
            tenants = tenants.filter(schema_name=schema)
            if not tenants.exists():
                raise CommandError(f"--schema {schema}: no such club")
        failed = False
        for tenant in tenants:
            with schema_context(tenant.schema_name):
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
