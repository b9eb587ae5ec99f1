from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin
from django_tenants.utils import schema_exists


class TenantType(models.TextChoices):
    PUBLIC = "public", _("Platform")
    ACADEMY = "academy", _("Academy")
    ZONE = "zone", _("Learning zone")
    STORE = "store", _("Store")
    CLUB = "club", _("Club")


class Plan(models.Model):
    """What a tenant pays for and the limits that come with it."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    monthly_price_krw = models.BigIntegerField(_("monthly price (KRW)"), default=0)
    max_users = models.PositiveIntegerField(
        _("maximum users"), null=True, blank=True, help_text=_("Empty means unlimited.")
    )
    limits = models.JSONField(
        _("other limits"),
        default=dict,
        blank=True,
        help_text=_('Per-type limits, e.g. {"students": 1000, "stores": 3, "tables": 10}.'),
    )
    is_active = models.BooleanField(_("offered"), default=True)

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        ordering = ["monthly_price_krw", "code"]

    def __str__(self) -> str:
        return self.name


class Tenant(TenantMixin):
    """One business, in one PostgreSQL schema. Template rows (is_template) are the
    per-type schemas new tenants are cloned from; they have no domain and serve nobody."""

    class Status(models.TextChoices):
        PROVISIONING = "provisioning", _("Provisioning")
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        FAILED = "failed", _("Provisioning failed")

    class Method(models.TextChoices):
        CLONE = "clone", _("Cloned from template")
        MIGRATE = "migrate", _("Migrated from scratch")

    name = models.CharField(_("name"), max_length=200)
    type = models.CharField(_("type"), max_length=20, choices=TenantType.choices)
    plan = models.ForeignKey(
        Plan, verbose_name=_("plan"), null=True, blank=True, on_delete=models.PROTECT, related_name="tenants"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PROVISIONING, db_index=True
    )
    is_template = models.BooleanField(_("template schema"), default=False, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    provisioned_at = models.DateTimeField(_("provisioned"), null=True, blank=True)
    provisioning_method = models.CharField(_("provisioning method"), max_length=10, choices=Method.choices, blank=True)
    provisioning_seconds = models.FloatField(_("provisioning seconds"), null=True, blank=True)
    provisioning_error = models.TextField(_("provisioning error"), blank=True)

    # Schemas are built by apps.tenancy.services (in Celery or a command), never as a
    # side effect of saving the row inside a web request.
    auto_create_schema = False
    auto_drop_schema = False

    class Meta:
        verbose_name = _("tenant")
        verbose_name_plural = _("tenants")
        ordering = ["type", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.schema_name})"

    @property
    def is_public(self) -> bool:
        return self.schema_name == "public"

    @property
    def serves_requests(self) -> bool:
        return self.status == self.Status.ACTIVE and not self.is_template

    def get_base_schema(self):
        # A template is built by migrating; it must never try to clone itself.
        if self.is_template:
            return False
        return super().get_base_schema()

    def create_schema(self, check_if_exists=False, sync_schema=True, verbosity=1):
        from .schema_clone import align_names_with_template

        base = self.get_base_schema()
        cloning = bool(base) and schema_exists(base) and not schema_exists(self.schema_name)
        created = super().create_schema(check_if_exists, sync_schema, verbosity)
        if cloning:
            align_names_with_template(base, self.schema_name)
        return created

    def channel_group(self, name: str) -> str:
        """A channel-layer group name that can only ever reach this tenant's sockets."""
        return f"{self.schema_name}.{name}"


class Domain(DomainMixin):
    class Meta:
        verbose_name = _("domain")
        verbose_name_plural = _("domains")

    def __str__(self) -> str:
        return self.domain


def template_schema_name(tenant_type: str) -> str:
    return settings.TENANT_TYPES[tenant_type]["BASE_SCHEMA"]
