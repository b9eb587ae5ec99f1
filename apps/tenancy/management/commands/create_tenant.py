from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from apps.tenancy import services
from apps.tenancy.models import Tenant


class Command(BaseCommand):
    help = "Create a tenant of a given type, reachable on a domain; its schema is cloned from the type's template."

    def add_arguments(self, parser):
        parser.add_argument("--type", required=True, choices=services.tenant_types(), dest="tenant_type")
        parser.add_argument("--name", required=True)
        parser.add_argument("--domain", required=True, help="Host name that reaches the tenant.")
        parser.add_argument("--schema", dest="schema_name", help="Schema name; derived from the domain if omitted.")
        parser.add_argument("--plan", help="Plan code.")
        parser.add_argument("--method", choices=Tenant.Method.values, default=Tenant.Method.CLONE)
        parser.add_argument(
            "--async", dest="asynchronous", action="store_true", help="Build the schema in a Celery worker."
        )

    def handle(self, *args, **options):
        try:
            tenant = services.provision_tenant(
                name=options["name"],
                tenant_type=options["tenant_type"],
                domain=options["domain"],
                schema_name=options["schema_name"],
                plan=options["plan"],
                method=options["method"],
                asynchronous=options["asynchronous"],
            )
        except ValidationError as exc:
            raise CommandError(
                "; ".join(f"{field}: {' '.join(messages)}" for field, messages in exc.message_dict.items())
            ) from exc
        if options["asynchronous"]:
            self.stdout.write(f"Queued {tenant.schema_name}; its status is '{tenant.status}' until a worker builds it.")
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Created {tenant.type} tenant {tenant.name!r} in schema {tenant.schema_name} "
                    f"({tenant.provisioning_method}, {tenant.provisioning_seconds:.2f} s) "
                    f"at http://{options['domain']}/"
                )
            )
