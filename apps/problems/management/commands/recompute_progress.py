from django.core.management.base import BaseCommand
from django_tenants.utils import schema_context

from apps.problems.services import rebuild_progress
from apps.tenancy.models import Tenant


class Command(BaseCommand):
    help = "Recompute every student's progress per topic from the submissions and finished exams."

    def add_arguments(self, parser):
        parser.add_argument("--schema", help="One zone's schema (default: every zone).")

    def handle(self, *args, **options):
        zones = Tenant.objects.filter(type="zone", is_template=False)
        if options["schema"]:
            zones = zones.filter(schema_name=options["schema"])
        for tenant in zones:
            with schema_context(tenant.schema_name):
                rows = rebuild_progress()
            self.stdout.write(f"{tenant.schema_name}: {rows} progress rows recomputed")
