from django.core.management.base import BaseCommand
from django_tenants.utils import schema_context

from apps.learning.services import leaderboards
from apps.tenancy.models import Tenant


class Command(BaseCommand):
    help = "Rebuild the learning zones' leaderboards (Redis sorted sets) from the finished attempts."

    def add_arguments(self, parser):
        parser.add_argument("--schema", help="One zone's schema (default: every zone).")

    def handle(self, *args, **options):
        zones = Tenant.objects.filter(type="zone", is_template=False)
        if options["schema"]:
            zones = zones.filter(schema_name=options["schema"])
        for tenant in zones:
            with schema_context(tenant.schema_name):
                boards = leaderboards.rebuild()
            self.stdout.write(f"{tenant.schema_name}: {boards} boards")
