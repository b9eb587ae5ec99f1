"""The fleet's recent jobs across tenants, for the operator admin: a capped Redis list of
summaries (schema, id, kind, status, backend, times; never inputs or results)."""

from __future__ import annotations

import json

from django.db import connection
from django_redis import get_redis_connection

from .coordination import key

KEEP = 200


def record(job) -> None:
    entry = {
        "schema": connection.schema_name,
        "job": job.pk,
        "kind": job.kind,
        "feature": job.feature,
        "status": job.status,
        "backend": job.backend,
        "wait_ms": job.wait_ms,
        "run_ms": job.run_ms,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }
    redis = get_redis_connection("default")
    with redis.pipeline() as pipe:
        pipe.lpush(key("recent"), json.dumps(entry))
        pipe.ltrim(key("recent"), 0, KEEP - 1)
        pipe.execute()


def read(limit: int = 20) -> list[dict]:
    return [json.loads(raw) for raw in get_redis_connection("default").lrange(key("recent"), 0, limit - 1)]
