"""Request observability: the request log line, the HTTP metrics, and `/metrics`."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import structlog
from django.conf import settings
from django.db import connection
from django.http import HttpResponse
from sentry_sdk.integrations.logging import ignore_logger

from . import metrics
from .logs import incoming_request_id, request_log_fields

logger = structlog.get_logger("megacity.request")
# A 5xx request line is logged at ERROR; Sentry already has the exception itself (Django
# integration), so the line must not become a second, message-only event.
ignore_logger("megacity.request")

# Probes and scrapes arrive every few seconds; they are logged at DEBUG only.
_QUIET_PREFIXES = ("/health/", "/metrics")


def view_label(request) -> str:
    """The route's name (`api:student-list`, `admin:index`), never the raw path, so the
    number of label values stays bounded."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        path = request.path_info
        if path.startswith("/health/"):
            return "health"
        if path.rstrip("/") == "/metrics":
            return "metrics"
        return "<unresolved>"
    return match.view_name or match.route or match._func_path


class _QueryCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


class RequestObservabilityMiddleware:
    """The outermost middleware: times every request, counts its database queries, then
    writes one log line and the HTTP metrics.

    The log line has the request id, tenant schema and type, user id, method, path (never
    the query string), status and latency — no bodies, headers, e-mail addresses or phone
    numbers."""

    def __init__(self, get_response: Callable):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        request_id = incoming_request_id(request)
        if "HTTP_X_REQUEST_ID" not in request.META:
            # A request-id middleware further in reads the header, so it keeps this id.
            request.META["HTTP_X_REQUEST_ID"] = request_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        queries = _QueryCounter()
        status = 500
        try:
            with connection.execute_wrapper(queries):
                response = self.get_response(request)
            status = response.status_code
            return response
        finally:
            # Django turns view errors into 500 responses before they reach us; an
            # exception here is a failure of the handler itself, still counted as a 500.
            self._record(request, request_id, status, time.perf_counter() - started, queries.count)
            # The context stays bound until the handler is done (request_finished): Django
            # logs a 4xx/5xx warning after the middlewares have returned.

    def _record(self, request, request_id: str, status: int, seconds: float, queries: int) -> None:
        fields = request_log_fields(request, request_id)
        view = view_label(request)
        tenant_type = fields["tenant_type"] or "none"
        metrics.HTTP_LATENCY.labels(view, tenant_type, request.method).observe(seconds)
        metrics.HTTP_REQUESTS.labels(view, tenant_type, request.method, f"{status // 100}xx").inc()
        metrics.DB_QUERIES.labels(view, tenant_type).observe(queries)
        if status >= 500:
            metrics.HTTP_ERRORS.labels(view, tenant_type).inc()
        quiet = request.path.startswith(_QUIET_PREFIXES)
        level = logging.DEBUG if quiet else (logging.ERROR if status >= 500 else logging.INFO)
        logger.log(
            level,
            "request",
            **fields,
            view=view,
            status=status,
            latency_ms=round(seconds * 1000, 1),
            db_queries=queries,
        )


def clear_log_context(**kwargs) -> None:
    """request_finished: the request's context ends with its response."""
    structlog.contextvars.clear_contextvars()


class TenantLogContextMiddleware:
    """Right after the tenant middleware: every log line written while the request is
    served carries the tenant."""

    def __init__(self, get_response: Callable):
        self.get_response = get_response

    def __call__(self, request):
        tenant = getattr(request, "tenant", None)
        if tenant is not None:
            structlog.contextvars.bind_contextvars(tenant=tenant.schema_name, tenant_type=tenant.type)
        return self.get_response(request)


class MetricsEndpointMiddleware:
    """`GET /metrics` on any host, before tenant routing (like the health checks), so
    Prometheus can scrape each instance by its address. Bearer token METRICS_TOKEN; with
    no token configured the endpoint does not exist."""

    def __init__(self, get_response: Callable):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.rstrip("/") != "/metrics" or not settings.METRICS_TOKEN:
            return self.get_response(request)
        status = metrics.token_status(request.META.get("HTTP_AUTHORIZATION", ""))
        if status == 401:
            response = HttpResponse("metrics: bearer token required\n", status=401, content_type="text/plain")
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
        if status == 403:
            return HttpResponse("metrics: wrong token\n", status=403, content_type="text/plain")
        return HttpResponse(metrics.exposition(), content_type=metrics.CONTENT_TYPE_LATEST)
