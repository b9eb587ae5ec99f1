"""Structured logs: one structlog configuration for every process (web, worker, beat,
commands), with the standard library's loggers (Django, Celery, uvicorn, libraries)
rendered by the same processors.

`configure()` is called from the settings module, so the format is fixed before anything
logs. JSON (one object per line on stderr) in production and tests; a readable console
format in local development (`LOG_FORMAT=console`).

Context travels in structlog's contextvars: the request middleware binds the request id
and tenant for the duration of a request, the Celery signals bind the task and tenant for
the duration of a task, and every log line emitted meanwhile — through structlog or the
standard library — carries them.
"""

from __future__ import annotations

import structlog
from django.utils.functional import empty

_SHARED: list = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.add_log_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def configure(*, json: bool, level: str = "INFO") -> dict:
    """Configure structlog and return the LOGGING dict that routes the standard library
    through it."""
    structlog.configure(
        processors=[
            *_SHARED,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    renderer = (
        [structlog.processors.format_exc_info, structlog.processors.JSONRenderer(ensure_ascii=False)]
        if json
        else [structlog.dev.ConsoleRenderer(colors=False)]
    )
    handler = {"class": "logging.StreamHandler", "formatter": "structured"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "structured": {
                "()": structlog.stdlib.ProcessorFormatter,
                "processors": [structlog.stdlib.ProcessorFormatter.remove_processors_meta, *renderer],
                "foreign_pre_chain": [*_SHARED, structlog.stdlib.ExtraAdder(allow=["status_code"])],
            }
        },
        "handlers": {"console": handler},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # One line per query is noise, and parameters may be personal data.
            "django.db.backends": {"level": "WARNING"},
            # httpx logs every request URL at INFO; URLs can carry tokens (Telegram's bot token).
            "httpx": {"level": "WARNING"},
            # uvicorn configures its own handlers before Django starts; send them through ours.
            # Its access log is off (--no-access-log): the request middleware logs each request.
            "uvicorn": {"handlers": ["console"], "level": level, "propagate": False},
            "uvicorn.error": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": True},
        },
    }


# ---------------------------------------------------------------------------- requests


def incoming_request_id(request) -> str:
    """The request id: the one a request-id middleware set, else a well-formed
    X-Request-ID from the client or proxy, else a new one."""
    request_id = getattr(request, "request_id", None)
    if request_id:
        return str(request_id)
    from apps.core.request_id import request_id_from  # one rule for what a sane id is

    return request_id_from(request.META.get("HTTP_X_REQUEST_ID"))


def _user_id(request) -> int | None:
    """The user's id if authentication already ran; the log line never forces a
    session lookup of its own."""
    user = request.__dict__.get("user")
    if user is None:
        return None
    wrapped = getattr(user, "_wrapped", user)
    if wrapped is None or wrapped is empty:  # a SimpleLazyObject nobody evaluated
        return None
    return wrapped.pk if getattr(wrapped, "is_authenticated", False) else None


def request_log_fields(request, request_id: str) -> dict:
    """What a request's log line says about it (read after the response)."""
    tenant = getattr(request, "tenant", None)
    return {
        # A request-id middleware may have replaced the id on the way in.
        "request_id": str(getattr(request, "request_id", None) or request_id),
        "tenant": tenant.schema_name if tenant is not None else None,
        "tenant_type": tenant.type if tenant is not None else None,
        "user_id": _user_id(request),
        "method": request.method,
        "path": request.path,
    }
