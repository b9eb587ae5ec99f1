from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import get_tenant_model, schema_context

from apps.club.services.verify import problems


class Command(BaseCommand):
    help = "Replay every stored and archived hand with pokerkit; check stacks, rake and the wallet's postings."

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
