from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_context

from apps.roster.columns import MappingError, load_mapping
from apps.roster.importing import Options, RosterImportError, import_file
from apps.tenancy.models import Tenant


class Command(BaseCommand):
    help = (
        "Import students from a roster (.xlsx, .xls, .csv) into an academy: one person, one profile. "
        "All or nothing unless --valid-only; exits non-zero when a row is rejected."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--schema", required=True, help="The academy's schema.")
        parser.add_argument("--dry-run", action="store_true", help="Show what would change; write nothing.")
        parser.add_argument("--mapping", help="JSON or 'header = field' lines for headers the importer does not know.")
        parser.add_argument(
            "--valid-only", action="store_true", help="Import the valid rows even if others are rejected."
        )
        parser.add_argument(
            "--create-classes", action="store_true", help="Create the classes the file names that do not exist."
        )
        parser.add_argument("--show", type=int, default=50, help="How many rejected rows to print (default 50).")

    def handle(self, *args, **options):
        tenant = Tenant.objects.filter(schema_name=options["schema"]).first()
        if tenant is None or tenant.type != "academy":
            raise CommandError(f"No academy with schema {options['schema']!r}.")
        try:
            mapping = load_mapping(options["mapping"]) if options["mapping"] else None
        except (MappingError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        with schema_context(tenant.schema_name):
            try:
                report = import_file(
                    options["file"],
                    mapping=mapping,
                    options=Options(
                        dry_run=options["dry_run"],
                        valid_only=options["valid_only"],
                        create_classes=options["create_classes"],
                        actor="import_students",
                    ),
                )
            except RosterImportError as exc:
                raise CommandError(str(exc)) from exc
        out = self.stdout
        out.write(f"{report.source}: {report.rows} rows in {report.seconds:.2f} s")
        for key, value in report.summary().items():
            if key not in ("dry_run", "applied"):
                out.write(f"  {key}: {', '.join(value) if isinstance(value, list) else value}")
        for problem in report.rejected[: options["show"]]:
            out.write(self.style.ERROR(f"  row {problem.row} [{problem.field}]: {problem.reason}"))
        if len(report.rejected) > options["show"]:
            out.write(f"  … and {len(report.rejected) - options['show']} more")
        if report.dry_run:
            out.write(self.style.WARNING("Dry run: nothing was written."))
        elif report.applied:
            out.write(self.style.SUCCESS(f"Imported; {report.events} ledger events."))
        elif report.rejected and not options["valid_only"]:
            out.write(self.style.ERROR("Nothing was imported: fix the rows above, or use --valid-only."))
        else:
            out.write(self.style.SUCCESS("Nothing to change: the academy already matches the file."))
        if report.rejected:
            raise CommandError(f"{report.rejected_rows} rows rejected.", returncode=2)
