from django.core.management.base import BaseCommand, CommandError

from apps.ops import backups


class Command(BaseCommand):
    help = (
        "Dump schemas with pg_dump (-Fc, one file per schema) to the backup storage, each with a "
        "manifest (row counts per table, the ledger's last hash)."
    )

    def add_arguments(self, parser):
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--schema", help="One schema (a tenant's, or public).")
        target.add_argument("--all", action="store_true", help="The platform's schema and every tenant's.")
        parser.add_argument(
            "--to",
            metavar="URL",
            help="Where to store them instead of STORAGES['backups']: s3://bucket/prefix (S3_* / BACKUP_S3_* "
            "connection settings) or a local folder.",
        )
        parser.add_argument(
            "--prune", action="store_true", help="Then delete backups older than BACKUP_RETENTION_DAYS."
        )

    def handle(self, *args, **options):
        try:
            if options["all"]:
                done, failed = backups.backup_all(to=options["to"])
            else:
                done, failed = [backups.backup_schema(options["schema"], to=options["to"])], {}
        except backups.BackupError as exc:
            raise CommandError(str(exc)) from exc
        for backup in done:
            ledger = backup.manifest["ledger"] or {}
            self.stdout.write(
                f"{backup.schema}: {backup.name} ({backup.manifest['bytes']} bytes, "
                f"{sum(backup.manifest['tables'].values())} rows in {len(backup.manifest['tables'])} tables, "
                f"ledger head #{ledger.get('events', 0)})"
            )
        if options["prune"]:
            for name in backups.prune(to=options["to"]):
                self.stdout.write(f"pruned {name}")
        if failed:
            raise CommandError("Backup failed for: " + "; ".join(f"{s}: {e}" for s, e in failed.items()))
