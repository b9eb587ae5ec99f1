from django.core.management.base import BaseCommand, CommandError

from apps.ops import backups


class Command(BaseCommand):
    help = (
        "Restore a schema backup into a NEW schema (the original stays untouched), check it against "
        "its manifest, and optionally register it as a tenant on a new domain."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--from",
            dest="source",
            required=True,
            help="A .dump file, its name in the backup storage, or s3://bucket/prefix/NAME.dump.",
        )
        parser.add_argument("--into", required=True, help="The new schema's name.")
        parser.add_argument("--as-tenant", metavar="DOMAIN", help="Also make it a tenant serving DOMAIN.")
        parser.add_argument("--type", dest="tenant_type", help="Tenant type if the backup has no manifest.")
        parser.add_argument("--name", dest="tenant_name", help="Tenant name (default: the original's + restored).")

    def handle(self, *args, **options):
        try:
            result = backups.restore(
                options["source"],
                options["into"],
                as_tenant=options["as_tenant"],
                tenant_type=options["tenant_type"],
                tenant_name=options["tenant_name"],
            )
        except backups.BackupError as exc:
            raise CommandError(str(exc)) from exc
        tables = result.contents["tables"]
        ledger = result.contents["ledger"] or {}
        self.stdout.write(
            self.style.SUCCESS(
                f"restored {result.source_schema} as {result.schema}: {sum(tables.values())} rows in "
                f"{len(tables)} tables, ledger head #{ledger.get('events', 0)} {ledger.get('last_hash') or ''}".rstrip()
            )
        )
        self.stdout.write(
            "matches the manifest" if result.manifest else "no manifest beside the file: counts not compared"
        )
        if result.tenant is not None:
            self.stdout.write(f"tenant {result.tenant.schema_name} serves {options['as_tenant']}")
