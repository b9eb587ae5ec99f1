"""Operator admin (public schema): the registry with each server's health, breaker and
requests in flight, the queues of the GPU workers and the fleet's recent jobs. Tenants'
admins show their own AI jobs, read-only."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from . import coordination, fleet, recent
from .jobs.models import InferenceJob
from .models import ModelServer

GPU_QUEUES = ("gpu.llm", "gpu.stt", "gpu.pose", "gpu.embed")


@admin.register(ModelServer)
class ModelServerAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "kind",
        "base_url",
        "model",
        "enabled",
        "source",
        "healthy",
        "last_latency_ms",
        "last_probe_at",
        "breaker",
        "in_flight",
    ]
    list_filter = ["kind", "enabled", "healthy", "source"]
    search_fields = ["name", "model", "base_url"]
    readonly_fields = [
        "source",
        "healthy",
        "last_probe_at",
        "last_latency_ms",
        "last_error",
        "models_seen",
        "created_at",
    ]
    actions = ["probe_now", "reset_breakers"]

    @admin.display(description=_("breaker"))
    def breaker(self, obj):
        return coordination.Breaker(obj.name).state()

    @admin.display(description=_("in flight"))
    def in_flight(self, obj):
        return f"{coordination.server_slots(obj).in_use()}/{obj.max_concurrency}"

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.source == ModelServer.Source.ENV:
            # Declared in the environment: the variable is the source of truth.
            return [f.name for f in ModelServer._meta.fields if f.name != "id"]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        fleet.save_server(obj, actor=request.user)

    @admin.action(description=_("Probe the selected servers now"))
    def probe_now(self, request, queryset):
        results = fleet.probe_all(names=list(queryset.values_list("name", flat=True)))
        healthy = sum(1 for ok in results.values() if ok)
        self.message_user(request, _("%(healthy)d of %(total)d healthy.") % {"healthy": healthy, "total": len(results)})

    @admin.action(description=_("Close the breakers of the selected servers"))
    def reset_breakers(self, request, queryset):
        for server in queryset:
            fleet.reset_breaker(server, actor=request.user)
        self.message_user(request, _("Breakers closed."), messages.SUCCESS)

    def changelist_view(self, request, extra_context=None):
        from apps.ops.metrics import queue_lengths

        try:
            depths = {q: n for q, n in queue_lengths().items() if q in GPU_QUEUES}
        except Exception:  # the broker is down: the page still shows the registry
            depths = {}
        extra = {"fleet": fleet.overview(), "queue_depths": depths, "recent_jobs": recent.read(20)}
        return super().changelist_view(request, {**(extra_context or {}), **extra})


@admin.register(InferenceJob)
class InferenceJobAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "feature", "requester", "status", "backend_label", "created_at", "wait_ms", "run_ms"]
    list_filter = ["kind", "status", "backend"]
    search_fields = ["feature", "requester__username"]
    readonly_fields = [f.name for f in InferenceJob._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
