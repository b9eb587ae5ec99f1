"""The audit log: who did what to which record, from where, and when.

    from apps.audit.services import record
    record("data.exported", actor=request.user, resource=("academy.student", ""), request=request,
           details={"rows": 120, "format": "xlsx"})

`record()` writes in the caller's transaction: an entry describing a change commits or
rolls back with the change. Refusals are different — a refusal raised inside a
transaction rolls that transaction back, entry included — so the HTTP middleware, the
API's exception handler and the websocket consumer base call `record_denial_of()` once
the exception has left the view, and it writes the entry again if it was rolled back.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Model

from . import actions
from .models import AuditEntry
from .request_context import Origin, current_origin, origin_of_request, origin_of_scope

ACTION_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")


def _origin(request) -> Origin | None:
    if request is None:
        return current_origin()
    if isinstance(request, dict):  # an ASGI scope (websockets)
        return origin_of_scope(request)
    return origin_of_request(request)


def _request_user(request):
    if request is None:
        return None
    if isinstance(request, dict):
        return request.get("user")
    # A DRF Request authenticates lazily; reading .user on a request whose authentication
    # failed would raise again, so use what it already resolved.
    user = getattr(request, "_user", None) if hasattr(request, "_request") else None
    return user if user is not None else getattr(request, "user", None)


def _resource(resource: Model | tuple[str, Any] | None) -> tuple[str, str, str]:
    if resource is None:
        return "", "", ""
    if isinstance(resource, tuple):
        return str(resource[0]), "" if resource[1] is None else str(resource[1]), ""
    return resource._meta.label_lower, "" if resource.pk is None else str(resource.pk), str(resource)[:200]


def _canonical(details: dict | None) -> dict:
    return json.loads(json.dumps(details or {}, cls=DjangoJSONEncoder))


def record(
    action: str,
    *,
    actor=None,
    resource: Model | tuple[str, Any] | None = None,
    request=None,
    details: dict | None = None,
    resource_repr: str | None = None,
) -> AuditEntry:
    """Append one entry to the current schema's audit log and return it.

    `actor` defaults to the request's authenticated user. `resource` is a model instance
    or a `(type, id)` pair. `request` is an HttpRequest, a DRF Request or a websocket's
    ASGI scope; without one, the origin of the request being served (if any) is used.
    """
    row = entry(action, actor=actor, resource=resource, request=request, details=details, resource_repr=resource_repr)
    row.save(force_insert=True)
    return row


def entry(
    action: str,
    *,
    actor=None,
    resource: Model | tuple[str, Any] | None = None,
    request=None,
    details: dict | None = None,
    resource_repr: str | None = None,
) -> AuditEntry:
    """The entry `record()` appends, unsaved: for a hot path that writes it together with
    its own rows in one statement (apps.core.bulk.write_together), in the same transaction."""
    if not ACTION_RE.match(action or ""):
        raise ValueError(f"{action!r} is not an audit action: expected dotted lower-case words, e.g. 'role.granted'")
    if actor is None:
        actor = _request_user(request)
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    resource_type, resource_id, default_repr = _resource(resource)
    origin = _origin(request)
    return AuditEntry(
        actor=actor,
        actor_username=actor.get_username() if actor is not None else "",
        action=action,
        resource_type=resource_type[:100],
        resource_id=resource_id[:64],
        resource_repr=(resource_repr if resource_repr is not None else default_repr)[:200],
        ip=origin.ip if origin else None,
        user_agent=origin.user_agent if origin else "",
        details=_canonical(details),
    )


# ---------------------------------------------------------------------------- refusals


def record_denial(
    exception: Exception | None = None,
    *,
    actor=None,
    permission: str | None = None,
    resource: Model | tuple[str, Any] | None = None,
    request=None,
    details: dict | None = None,
) -> AuditEntry:
    """Record a refusal. When given the exception about to be raised, remember the entry
    on it so `record_denial_of` can restore it if a rollback takes it away."""
    origin = _origin(request)
    payload = {
        "actor": actor if actor is not None else _request_user(request),
        "resource": resource,
        "details": {
            **({"permission": permission} if permission else {}),
            **({"path": origin.path, "method": origin.method} if origin and origin.path else {}),
            **(details or {}),
        },
    }
    entry = record(actions.PERMISSION_DENIED, request=request, **payload)
    if exception is not None:
        exception.audit_entry_id = entry.pk
        exception.audit_payload = payload
        exception.audit_origin = origin
    return entry


def record_denial_of(exception: Exception, *, request=None) -> None:
    """Make sure a refusal that reached an entry point is in the log exactly once."""
    entry_id = getattr(exception, "audit_entry_id", None)
    if entry_id is not None:
        if AuditEntry.objects.filter(pk=entry_id).exists():
            return
        # Rolled back with the transaction it was raised in: write it again, now outside.
        entry = record(actions.PERMISSION_DENIED, request=request, **exception.audit_payload)
        exception.audit_entry_id = entry.pk
        return
    reason = str(exception) if str(exception) else type(exception).__name__
    details = {"reason": reason[:200]}
    code = getattr(exception, "default_code", None)
    if code and code != "permission_denied":
        details["code"] = code
    permission = getattr(request, "denied_permission", None) if request is not None else None
    record_denial(exception, permission=permission, request=request, details=details)
