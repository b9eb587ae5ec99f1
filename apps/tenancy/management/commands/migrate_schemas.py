from django.core.management.commands import makemigrations
from django_tenants.management.commands.migrate_schemas import MigrateSchemasCommand

from apps.tenancy import services


class Command(MigrateSchemasCommand):
    help = (
        "Migrates the public schema and every tenant schema (templates included), then "
        "makes sure the platform tenant and a current template schema per tenant type exist."
    )
    # pgtrigger swaps in its own autodetector for makemigrations; Django checks that
    # migrate uses the same one.
    autodetector = makemigrations.Command.autodetector

    def handle(self, *args, **options):
        super().handle(*args, **options)
        if options.get("fake") or options.get("plan") or options.get("check_unapplied") or options.get("app_label"):
            return
        if options.get("schema_name"):
            # One schema was asked for (this is also how a new schema is built).
            return
        if self.sync_public:
            services.ensure_public_tenant()
        if self.sync_tenant:
            for template in services.ensure_templates():
                if options.get("verbosity", 1) >= 1:
                    self.stdout.write(f"template {template.schema_name} ({template.type}) is current")
