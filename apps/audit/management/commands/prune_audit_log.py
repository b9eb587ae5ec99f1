from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_context

from apps.audit.retention import prune, prune_every_schema
from apps.tenancy.models import Tenant


class Command(BaseCommand):
    help = (
        "Export (gzip CSV to the backups storage) and then remove audit entries older than "
        "AUDIT_RETENTION_DAYS, one transaction per schema."
    )

    def add_arguments(self, parser):
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--schema", help="One schema (public for the platform's own log).")
        target.add_argument("--all", action="store_true", help="The public schema and every tenant.")
        parser.add_argument("--days", type=int, help="Keep this many days instead of AUDIT_RETENTION_DAYS.")
        parser.add_argument("--dry-run", action="store_true", help="Count what would go; export and remove nothing.")

    def handle(self, *args, **options):
        if options["days"] is not None and options["days"] < 1:
            raise CommandError("--days must be at least 1.")
        if options["all"]:
            results = prune_every_schema(days=options["days"], dry_run=options["dry_run"])
        else:
            schema = options["schema"]
            if schema != "public" and not Tenant.objects.filter(schema_name=schema).exists():
                raise CommandError(f"No tenant with schema {schema!r}.")
            with schema_context(schema):
                results = [prune(days=options["days"], dry_run=options["dry_run"])]
        for result in results:
            schema = result.schema
            verb = "would remove" if options["dry_run"] else "removed"
            where = f" (exported to {result.file}, sha256 {result.sha256})" if result.file else ""
            self.stdout.write(f"{schema}: {verb} {result.removed} entries{where}")
