from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import services
from .models import Domain, Plan, Tenant


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0


class TenantCreationForm(forms.ModelForm):
    domain = forms.CharField(label=_("domain"), help_text=_("e.g. academy.example.com"))
    schema_name = forms.CharField(
        label=_("schema name"), required=False, help_text=_("Leave empty to derive it from the domain.")
    )
    method = forms.ChoiceField(label=_("provisioning method"), choices=Tenant.Method.choices, initial="clone")

    class Meta:
        model = Tenant
        fields = ["name", "type", "plan"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = [c for c in self.fields["type"].choices if c[0] != "public"]

    def clean(self):
        data = super().clean()
        domain = services.normalise_domain(data.get("domain", ""))
        schema = (data.get("schema_name") or services.suggest_schema_name(domain)).strip().lower()
        try:
            services.validate_new_tenant(
                name=data.get("name", ""), tenant_type=data.get("type", ""), domain=domain, schema_name=schema
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        data["domain"], data["schema_name"] = domain, schema
        return data


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "schema_name",
        "type",
        "status",
        "plan",
        "primary_domain",
        "provisioning_method",
        "provisioning_seconds",
        "created_at",
    ]
    list_filter = ["type", "status", "plan", "is_template"]
    search_fields = ["name", "schema_name", "domains__domain"]
    readonly_fields = [
        "schema_name",
        "type",
        "status",
        "is_template",
        "created_at",
        "provisioned_at",
        "provisioning_method",
        "provisioning_seconds",
        "provisioning_error",
    ]
    inlines = [DomainInline]
    actions = ["suspend", "activate", "retry_provisioning"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = TenantCreationForm
        return super().get_form(request, obj, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ["name", "type", "plan", "domain", "schema_name", "method"]})]
        return super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def get_inlines(self, request, obj):
        return [] if obj is None else self.inlines

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        data = form.cleaned_data
        tenant = services.register_tenant(
            name=data["name"],
            tenant_type=data["type"],
            domain=data["domain"],
            schema_name=data["schema_name"],
            plan=data.get("plan"),
        )
        services.enqueue_build(tenant, method=data["method"])
        obj.pk, obj.schema_name, obj.status = tenant.pk, tenant.schema_name, tenant.status
        obj._state.adding = False
        messages.info(
            request, _("Provisioning %(name)s in the background; refresh to see its status.") % {"name": tenant.name}
        )

    @admin.display(description=_("primary domain"))
    def primary_domain(self, obj):
        domain = obj.get_primary_domain()
        return domain.domain if domain else "—"

    def _set_status(self, request, queryset, status):
        done = 0
        for tenant in queryset:
            try:
                services.set_status(tenant, status)
                done += 1
            except ValidationError as exc:
                self.message_user(request, f"{tenant}: {' '.join(exc.messages)}", messages.ERROR)
        self.message_user(request, ngettext("%d tenant updated.", "%d tenants updated.", done) % done)

    @admin.action(description=_("Suspend selected tenants"))
    def suspend(self, request, queryset):
        self._set_status(request, queryset, Tenant.Status.SUSPENDED)

    @admin.action(description=_("Activate selected tenants"))
    def activate(self, request, queryset):
        self._set_status(request, queryset, Tenant.Status.ACTIVE)

    @admin.action(description=_("Retry provisioning of failed tenants"))
    def retry_provisioning(self, request, queryset):
        failed = queryset.filter(status__in=[Tenant.Status.FAILED, Tenant.Status.PROVISIONING], is_template=False)
        for tenant in failed:
            services.enqueue_build(tenant)
        self.message_user(request, ngettext("%d tenant queued.", "%d tenants queued.", len(failed)) % len(failed))


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "monthly_price_krw", "max_users", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name"]


@admin.register(Domain)
class DomainAdmin(admin.ModelAdmin):
    list_display = ["domain", "tenant", "is_primary"]
    search_fields = ["domain", "tenant__name", "tenant__schema_name"]
    list_select_related = ["tenant"]
