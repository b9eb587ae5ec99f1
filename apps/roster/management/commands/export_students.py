from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_context

from apps.roster.exporting import export_xlsx
from apps.tenancy.models import Tenant


class Command(BaseCommand):
    help = "Export an academy's roster to .xlsx with the headers import_students reads (audited as data.exported)."

    def add_arguments(self, parser):
        parser.add_argument("out")
        parser.add_argument("--schema", required=True)

    def handle(self, *args, **options):
        tenant = Tenant.objects.filter(schema_name=options["schema"]).first()
        if tenant is None or tenant.type != "academy":
            raise CommandError(f"No academy with schema {options['schema']!r}.")
        with schema_context(tenant.schema_name):
            count = export_xlsx(options["out"])
        self.stdout.write(f"{options['out']}: {count} students")
