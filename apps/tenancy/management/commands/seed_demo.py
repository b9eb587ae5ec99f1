import os
from importlib import import_module
from importlib.util import find_spec

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_context, tenant_context

from apps.tenancy import services
from apps.tenancy.models import Domain, Plan, Tenant

DEMO_TENANTS = [
    # (type, schema, name, domain, plan)
    ("academy", "academy", "온리쌤 아카데미", "academy.localhost", "standard"),
    # Seed 003's learning zones, each on its own domain with www./app./api./admin. hosts;
    # K-Zone answers on two domains (EXTRA_DOMAINS).
    ("zone", "univ", "UnivPrepAI", "univprepai.localhost", "standard"),
    ("zone", "college", "CollegePrepAI", "collegeprepai.localhost", "standard"),
    ("zone", "skill", "SkillPrepAI", "skillprepai.localhost", "standard"),
    ("zone", "medi", "MediPrepAI", "mediprepai.localhost", "standard"),
    ("zone", "major", "MajorPrepAI", "majorprepai.localhost", "standard"),
    ("zone", "kzone", "K-Zone", "my-ktube.localhost", "standard"),
    ("zone", "mpc", "MPC Study", "mpcstudy.localhost", "standard"),
    ("zone", "dreamseed", "DreamSeedAI", "dreamseedai.localhost", "standard"),
    ("store", "store", "우리가게 도우미", "store.localhost", "free"),
    ("club", "club", "MegaCity Club", "club.localhost", "standard"),
]
# schema → more domains of the same tenant
EXTRA_DOMAINS = {"kzone": ["my-ktube.ai.localhost"]}
PLANS = [
    ("free", "Free", 0, 5),
    ("standard", "Standard", 99_000, 50),
    ("pro", "Pro", 290_000, None),
]


def demo_password() -> str:
    return os.environ.get("DEMO_PASSWORD", "Megacity!2026")


def ensure_superuser(username: str, email: str, password: str, display_name: str):
    from django.contrib.auth import get_user_model

    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=username,
        defaults={"email": email, "is_staff": True, "is_superuser": True, "display_name": display_name},
    )
    if created:
        user.set_password(password)
        user.save()
    return user, created


class Command(BaseCommand):
    help = (
        "Create (or bring up to date) the demo platform: an operator on localhost and one tenant "
        "of each type with a staff login. Safe to run again; prints every URL and login."
    )

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8000)))
        parser.add_argument("--force", action="store_true", help="Allow on a non-DEBUG deployment.")

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError("seed_demo creates known passwords; use --force outside development.")
        password = demo_password()
        port = options["port"]
        services.ensure_public_tenant()
        with schema_context("public"):
            for code, name, price, max_users in PLANS:
                Plan.objects.update_or_create(
                    code=code, defaults={"name": name, "monthly_price_krw": price, "max_users": max_users}
                )
            ensure_superuser("operator", "operator@megacity.local", password, "Platform operator")
        rows = [("platform", "operator", f"http://{settings.PLATFORM_HOSTS[0]}:{port}/admin/")]

        for tenant_type, schema, name, domain, plan in DEMO_TENANTS:
            tenant = self.ensure_tenant(tenant_type, schema, name, domain, plan)
            with tenant_context(tenant):
                ensure_superuser("admin", f"admin@{domain}", password, f"{name} admin")
                rows.append((tenant_type, "admin", f"http://{domain}:{port}/admin/"))
                for login, path in self.seed_apps(tenant):
                    rows.append((tenant_type, login, self.url(domain, port, path)))

        self.stdout.write(self.style.SUCCESS("\nMegaCity demo is ready.\n"))
        self.stdout.write(f"  {'where':<10} {'login':<22} url")
        for where, login, url in rows:
            self.stdout.write(f"  {where:<10} {login:<22} {url}")
        self.stdout.write(f"\n  password for every login above: {password}")
        self.stdout.write(f"  API docs on each host: /api/docs/    health: http://localhost:{port}/health/ready")
        if settings.SANDBOX_ENABLED:
            self.stdout.write(
                f"  sandboxes: messages sent to Kakao/Telegram land in http://localhost:{port}/_sandbox/notifications/\n"
            )
        return None

    @staticmethod
    def url(domain: str, port: int, path: str) -> str:
        """A demo's path, or `@role/path` for the role host of a type served on several
        (apps.tenancy.host_roles: `@app/` is http://app.<domain>:<port>/)."""
        if path.startswith("@"):
            role, _sep, rest = path[1:].partition("/")
            return f"http://{role}.{domain}:{port}/{rest}"
        return f"http://{domain}:{port}{path}"

    def ensure_tenant(self, tenant_type, schema, name, domain, plan) -> Tenant:
        with schema_context("public"):
            tenant = Tenant.objects.filter(schema_name=schema).first()
            if tenant is None:
                self.stdout.write(f"Provisioning {tenant_type} tenant {name} on {domain} …")
                tenant = services.provision_tenant(
                    name=name, tenant_type=tenant_type, domain=domain, schema_name=schema, plan=plan
                )
                self.extra_domains(tenant, schema)
                return tenant
            self.extra_domains(tenant, schema)
            if not Domain.objects.filter(domain=domain).exists():
                Domain.objects.create(domain=domain, tenant=tenant, is_primary=not tenant.domains.exists())
            services.ensure_role_hosts(tenant, domain)
            if tenant.status != Tenant.Status.ACTIVE:
                tenant = services.build_schema(tenant)
            return tenant

    @staticmethod
    def extra_domains(tenant: Tenant, schema: str) -> None:
        for extra in EXTRA_DOMAINS.get(schema, []):
            Domain.objects.get_or_create(domain=extra, defaults={"tenant": tenant, "is_primary": False})
            services.ensure_role_hosts(tenant, extra)

    def seed_apps(self, tenant: Tenant):
        """Each app of the tenant's type may ship `demo.py` with `seed(tenant)` returning
        the (login, path) pairs it created, for the summary."""
        for app in settings.TENANT_TYPES[tenant.type]["APPS"]:
            if app.startswith("apps.") and find_spec(f"{app}.demo"):
                module = import_module(f"{app}.demo")
                yield from module.seed(tenant) or []
