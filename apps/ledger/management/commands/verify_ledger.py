import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_context

from apps.ledger.services import Verification, checkpoint_problem, verify
from apps.tenancy.models import Tenant


class Command(BaseCommand):
    help = "Prove a tenant's event ledger is intact: no gaps, every hash chained and recomputed."

    def add_arguments(self, parser):
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--schema", help="The tenant's schema.")
        target.add_argument("--all", action="store_true", help="Every active tenant.")
        parser.add_argument(
            "--manifest",
            action="append",
            default=[],
            help="A backup manifest (*.manifest.json): its signed head anchor must still be in the chain.",
        )

    def handle(self, *args, **options):
        if options["all"]:
            schemas = list(
                Tenant.objects.filter(is_template=False, status=Tenant.Status.ACTIVE).values_list(
                    "schema_name", flat=True
                )
            )
        else:
            if not Tenant.objects.filter(schema_name=options["schema"]).exists():
                raise CommandError(f"No tenant with schema {options['schema']!r}.")
            schemas = [options["schema"]]
        checkpoints = {}
        for path in options["manifest"]:
            manifest = json.loads(Path(path).read_text())
            if manifest.get("anchor"):
                checkpoints.setdefault(manifest["schema"], []).append((path, manifest["anchor"]))
        broken = []
        for schema in schemas:
            with schema_context(schema):
                result = verify()
                if result.ok:
                    for path, anchor in checkpoints.get(schema, []):
                        problem = checkpoint_problem(schema, anchor)
                        if problem:
                            result = Verification(
                                False, result.events, result.head, f"{path}: {problem}", anchor["seq"]
                            )
                            break
            if result.ok:
                pending = f"; {result.unsealed} appended deferred, not sealed yet" if result.unsealed else ""
                self.stdout.write(
                    self.style.SUCCESS(f"{schema}: {result.events} events, chain intact, head {result.head}{pending}")
                )
            else:
                broken.append(schema)
                self.stdout.write(
                    self.style.ERROR(
                        f"{schema}: BROKEN at #{result.at_seq}: {result.problem} ({result.events} verified)"
                    )
                )
        if broken:
            raise CommandError(f"Ledger broken in: {', '.join(broken)}")
