"""Which schemas each entry of CELERY_BEAT_SCHEDULE reaches (apps.tenancy.beat): the jobs
that work on the platform as a whole run once, in public; per-type jobs in every tenant of
their types. The entries go through tenant-schemas-celery's own conversion first, as beat
does at start-up (it stamps `_all_tenants_only` on each of them)."""

from __future__ import annotations

from types import SimpleNamespace

from django.conf import settings

from apps.tenancy.beat import TenantTypeAwareScheduler
from apps.tenancy.models import Tenant


def reached(name: str) -> set[str]:
    converted = TenantTypeAwareScheduler._tenant_aware_beat_schedule_to_dict(None, settings.CELERY_BEAT_SCHEDULE)
    (entry,) = [e for key, e in converted.items() if key.split("@")[0] == name]
    return set(TenantTypeAwareScheduler.schemas_for(TenantTypeAwareScheduler, SimpleNamespace(**entry)))


def test_platform_jobs_run_once_in_public(tenants, db):
    for name in ("backups-daily", "audit-retention", "inference-probe"):
        assert reached(name) == {"public"}, name


def test_per_type_jobs_reach_every_tenant_of_their_types_only(tenants, db):
    clubs = set(
        Tenant.objects.filter(type="club", status="active", is_template=False).values_list("schema_name", flat=True)
    )
    assert tenants["club"].schema in clubs
    assert reached("club-archive-hands") == clubs
    everyone = reached("tenant-heartbeat")
    assert {tenants[t].schema for t in ("academy", "zone", "store", "club")} <= everyone
    assert "public" not in everyone
