import time
import uuid

from django.core.cache import cache
from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_context

from apps.core.tasks import HEARTBEAT_KEY, tenant_heartbeat
from apps.tenancy.models import Tenant


class Command(BaseCommand):
    help = "Send a heartbeat task to each tenant (or one) and wait until a worker has run it in that tenant's schema."

    def add_arguments(self, parser):
        parser.add_argument("--schema", help="Only this tenant.")
        parser.add_argument("--timeout", type=float, default=30)

    def handle(self, *args, **options):
        tenants = Tenant.objects.filter(status=Tenant.Status.ACTIVE, is_template=False)
        if options["schema"]:
            tenants = tenants.filter(schema_name=options["schema"])
        if not tenants:
            raise CommandError("No such active tenant.")
        waiting = {}
        for tenant in tenants:
            token = uuid.uuid4().hex
            with schema_context(tenant.schema_name):
                tenant_heartbeat.delay(token)
            waiting[tenant.schema_name] = token
        deadline = time.monotonic() + options["timeout"]
        while waiting and time.monotonic() < deadline:
            for schema, token in list(waiting.items()):
                with schema_context(schema):
                    record = cache.get(f"{HEARTBEAT_KEY}:{token}")
                if record:
                    ok = record["schema"] == record["db_schema"] == schema
                    style = self.style.SUCCESS if ok else self.style.ERROR
                    self.stdout.write(style(f"{schema}: ran in schema {record['db_schema']} at {record['at']}"))
                    del waiting[schema]
            time.sleep(0.2)
        if waiting:
            raise CommandError(f"No worker ran the probe for: {', '.join(sorted(waiting))}")
