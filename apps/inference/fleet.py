"""The registry's operations: servers declared in the environment, probes, routing.

Servers come from the operator admin or from `INFERENCE_SERVERS` (a JSON list, for docker
and Kubernetes), e.g.

    INFERENCE_SERVERS='[{"name": "vllm-1", "kind": "llm", "base_url": "http://vllm-1:8000",
                         "model": "Qwen/Qwen2.5-7B-Instruct", "api_key_env": "VLLM_API_KEY",
                         "max_concurrency": 16, "weight": 2}]'

Declared servers are written to the registry (source "env") by every probe round and by
`manage.py inference_servers --sync`; removing one from the variable disables its row.
"""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from . import clients, coordination
from .models import Kind, ModelServer

log = logging.getLogger(__name__)
FIELDS = ("kind", "base_url", "model", "api_key_env", "max_concurrency", "weight", "enabled")


def declared_servers(raw: str | None = None) -> list[dict]:
    """The servers of INFERENCE_SERVERS, checked; a ValueError names the bad entry and field."""
    raw = settings.INFERENCE["SERVERS"] if raw is None else raw
    if not raw or not raw.strip():
        return []
    try:
        entries = json.loads(raw)
    except ValueError as exc:
        raise ValueError(f"INFERENCE_SERVERS is not JSON: {exc}") from exc
    if not isinstance(entries, list):
        raise ValueError("INFERENCE_SERVERS: expected a JSON list of servers")
    out = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise ValueError(f"INFERENCE_SERVERS[{index}]: expected an object")
        for required in ("name", "kind", "base_url", "model"):
            if not entry.get(required):
                raise ValueError(f"INFERENCE_SERVERS[{index}].{required}: required")
        unknown = set(entry) - {"name", *FIELDS}
        if unknown:
            raise ValueError(f"INFERENCE_SERVERS[{index}]: unknown fields {sorted(unknown)}")
        server = ModelServer(**{**entry, "source": ModelServer.Source.ENV})
        try:
            server.full_clean(validate_unique=False)
        except ValidationError as exc:
            field, errors = next(iter(exc.message_dict.items()))
            raise ValueError(f"INFERENCE_SERVERS[{index}].{field}: {' '.join(errors)}") from exc
        out.append({"name": server.name, **{f: getattr(server, f) for f in FIELDS}})
    return out


@transaction.atomic
def sync_declared(*, actor=None) -> list[ModelServer]:
    """Write INFERENCE_SERVERS to the registry; env rows no longer declared are disabled."""
    with schema_context("public"):
        declared = declared_servers()
        rows = []
        for entry in declared:
            name = entry.pop("name")
            server, _ = ModelServer.objects.update_or_create(
                name=name, defaults={**entry, "source": ModelServer.Source.ENV}
            )
            rows.append(server)
        ModelServer.objects.filter(source=ModelServer.Source.ENV).exclude(name__in=[s.name for s in rows]).update(
            enabled=False
        )
        return rows


def servers(kind: str) -> list[ModelServer]:
    """Enabled servers of a kind that are not known to be down (never probed counts as up)."""
    with schema_context("public"):
        return list(ModelServer.objects.filter(kind=kind, enabled=True).exclude(healthy=False))


def ranked(kind: str, exclude: set[str] = frozenset()) -> list[tuple[float, ModelServer]]:
    """Servers to try, least loaded first: requests in flight over max concurrency, divided
    by weight. Servers whose breaker is open are left out."""
    out = []
    for server in servers(kind):
        if server.name in exclude or coordination.Breaker(server.name).state() == coordination.Breaker.OPEN:
            continue
        load = coordination.server_slots(server).in_use() / server.max_concurrency / server.weight
        out.append((load, server))
    out.sort(key=lambda pair: (pair[0], pair[1].name))
    return out


def save_server(server: ModelServer, *, actor=None) -> ModelServer:
    """Add or change a server from the operator admin (checked; its breaker starts closed)."""
    with schema_context("public"), transaction.atomic():
        server.full_clean()
        server.save()
        coordination.Breaker(server.name).reset()
    return server


def reset_breaker(server: ModelServer, *, actor=None) -> None:
    coordination.Breaker(server.name).reset()
    log.info("inference.breaker.reset", extra={"server": server.name, "actor": str(actor or "")})


def probe_all(names: list[str] | None = None) -> dict[str, bool]:
    """Probe every enabled server and record its status and latency (beat, every 30 s)."""
    from . import metrics

    try:
        sync_declared()
    except ValueError as exc:
        log.error("inference.servers.invalid", extra={"error": str(exc)})
    results = {}
    with schema_context("public"):
        rows = ModelServer.objects.filter(enabled=True)
        if names is not None:
            rows = rows.filter(name__in=names)
        for server in rows:
            healthy, latency, error, served = clients.probe(server)
            ModelServer.objects.filter(pk=server.pk).update(
                healthy=healthy,
                last_probe_at=timezone.now(),
                last_latency_ms=round(latency, 1),
                last_error=error[:500],
                models_seen=served[:20],
            )
            if healthy and not server.healthy:
                # Back after being down: let it take requests again at once.
                coordination.Breaker(server.name).reset()
            metrics.SERVER_UP.labels(server.kind, server.name).set(1 if healthy else 0)
            results[server.name] = healthy
    return results


def overview() -> list[dict]:
    """Per kind: servers (health, breaker, in flight), the CPU default, and the state."""
    from . import backends

    out = []
    with schema_context("public"):
        rows = list(ModelServer.objects.all())
    for kind, label in Kind.choices:
        kind_servers = []
        for server in (s for s in rows if s.kind == kind):
            kind_servers.append(
                {
                    "server": server,
                    "breaker": coordination.Breaker(server.name).state(),
                    "in_flight": coordination.server_slots(server).in_use(),
                }
            )
        usable = [
            s
            for s in kind_servers
            if s["server"].enabled and s["server"].healthy is not False and s["breaker"] != "open"
        ]
        default = backends.default_for(kind)
        if usable:
            state = "ok"
        elif default is not None:
            state = "degraded"
        else:
            state = "down"
        out.append({"kind": kind, "label": label, "servers": kind_servers, "default": default, "state": state})
    return out
