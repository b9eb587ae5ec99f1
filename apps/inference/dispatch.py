"""Running one job: claim it, route it to a server (or the CPU default), store one result.

1. **Claim.** The job row is locked; a finished job is left alone (a redelivered task after
   the result was stored does nothing). The run takes a fresh `run_token`; only the run
   holding the job's current token may store a result, so two runs of one job (a task
   redelivered while the first worker still ran) can never both store one.
2. **Tenant cap.** A tenant runs at most its plan's `ai_jobs` jobs at once (a Redis
   semaphore of leases keyed by job): over it the task is sent again a little later and
   the job stays queued. It waits; it does not fail.
3. **Route.** Healthy, enabled servers of the kind whose breaker is not open, least loaded
   first (in flight / max concurrency / weight); a server is used only with one of its
   `max_concurrency` slots (a Redis semaphore shared by all workers). When every server is
   full the job waits for a slot.
4. **Retry.** On a server, timeouts, connection errors, 5xx and cut streams are retried with
   exponential backoff and jitter (tenacity), each attempt logged on the job. Each failure
   counts towards the server's breaker; when it opens, the job moves to the next server.
5. **Fall back.** With no server left, the kind's CPU default serves, and the job records it.
6. **Store.** Result, usage, backend, times; the ledger event `inference.job.finished` in the
   same transaction under an idempotency key (a job is billed once).
"""

from __future__ import annotations

import base64
import logging
import time
import uuid

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from tenacity import (
    RetryError,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from apps.media.storage import is_media_key, media_storage

from . import backends, clients, coordination, events, fleet, metrics, recent
from .jobs.models import InferenceJob

log = logging.getLogger(__name__)
Status = InferenceJob.Status


class AtCapacity(Exception):
    """The tenant runs as many jobs as its plan allows; try again later."""


def tenant_limit() -> int:
    tenant = getattr(connection, "tenant", None)
    plan = getattr(tenant, "plan", None)
    limits = (plan.limits or {}) if plan is not None else {}
    try:
        return max(int(limits.get("ai_jobs", settings.INFERENCE["TENANT_CONCURRENCY"])), 1)
    except (TypeError, ValueError):
        return int(settings.INFERENCE["TENANT_CONCURRENCY"])


# ---------------------------------------------------------------------------- claim / store


def claim(job_id: int) -> tuple[InferenceJob | None, str]:
    """Lock the job and take it for this run: (job, token), or (None, "") when there is
    nothing to do (finished, cancelled, gone). Raises AtCapacity over the tenant's cap."""
    schema = connection.schema_name
    with transaction.atomic():
        job = InferenceJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.finished:
            return None, ""
        if job.cancel_requested or coordination.cancel_requested(schema, job.pk):
            _finish(job, status=Status.CANCELLED, error="cancelled before it ran")
            return None, ""
        if not coordination.tenant_slots(schema, tenant_limit()).acquire(f"job:{job.pk}"):
            raise AtCapacity()
        now = timezone.now()
        job.run_token = uuid.uuid4().hex
        job.status = Status.RUNNING
        if job.started_at is None:
            job.started_at = now
            job.wait_ms = int((now - job.created_at).total_seconds() * 1000)
            metrics.WAIT.labels(job.kind).observe(job.wait_ms / 1000)
        job.save(update_fields=["run_token", "status", "started_at", "wait_ms"])
        events.job_changed(job)
    return job, job.run_token


def release_tenant_slot(job: InferenceJob) -> None:
    coordination.tenant_slots(connection.schema_name, tenant_limit()).release(f"job:{job.pk}")


def _finish(job: InferenceJob, *, status: str, result=None, error: str = "", usage: dict | None = None) -> None:
    """Store the outcome (inside the caller's transaction, the row locked)."""
    from apps.ledger import services as ledger

    now = timezone.now()
    usage = usage or {}
    job.status = status
    job.result = result
    job.error = error[:2000]
    job.progress = 100 if status == Status.SUCCEEDED else job.progress
    job.finished_at = now
    if job.started_at:
        job.run_ms = int((now - job.started_at).total_seconds() * 1000)
    job.tokens = int(usage.get("tokens") or 0)
    job.audio_seconds = float(usage.get("audio_seconds") or 0)
    job.frames = int(usage.get("frames") or 0)
    job.save()
    ledger.append(
        "inference.job.finished",
        subject=job,
        actor=job.requester,
        data={
            "kind": job.kind,
            "status": status,
            "backend": job.backend,
            "tokens": job.tokens,
            "audio_seconds": job.audio_seconds,
            "frames": job.frames,
            "run_ms": job.run_ms,
        },
        idempotency_key=f"inference.job.{job.pk}.finished",
    )
    transaction.on_commit(lambda: recent.record(job))
    metrics.JOBS.labels(job.kind, job.backend or "-", status).inc()
    if job.run_ms is not None and status == Status.SUCCEEDED:
        metrics.RUN.labels(job.kind, job.backend).observe(job.run_ms / 1000)
    events.job_changed(job)


def store(job_id: int, token: str, *, status: str, backend: str = "", label: str = "", attempts=None, **kw) -> bool:
    """Store the run's outcome if the run still owns the job; False if another run does."""
    with transaction.atomic():
        job = InferenceJob.objects.select_for_update().get(pk=job_id)
        if job.finished or job.run_token != token:
            log.warning("inference.job.stale_run", extra={"job": job_id})
            return False
        if backend:
            job.backend, job.backend_label = backend, str(label)[:200]
        if attempts is not None:
            job.attempts = attempts
        _finish(job, status=status, **kw)
    return True


# ---------------------------------------------------------------------------- inputs


def load_media(key: str) -> bytes:
    """A media key in the tenant's storage (per-schema folder)."""
    if not key or not is_media_key(key):
        raise clients.Rejected(f"inputs.media: not a media key: {key!r}")
    with media_storage().open(key, "rb") as handle:
        return handle.read()


def frames_of(job: InferenceJob) -> list[str]:
    keys = job.inputs.get("frames") or []
    return [base64.b64encode(load_media(key)).decode() for key in keys]


# ---------------------------------------------------------------------------- run


class Run:
    def __init__(self, job: InferenceJob, token: str):
        self.job = job
        self.token = token
        self.schema = connection.schema_name
        self.attempts: list[dict] = []
        self.stream = events.TokenStream(job)
        self._last_cancel_check = 0.0
        self._cancelled = False

    def should_stop(self) -> bool:
        now = time.monotonic()
        if now - self._last_cancel_check >= 0.05:
            self._last_cancel_check = now
            self._cancelled = coordination.cancel_requested(self.schema, self.job.pk)
        return self._cancelled

    def log_attempt(self, backend: str, outcome: str, started: float, error: str = "") -> None:
        entry = {
            "backend": backend,
            "outcome": outcome,
            "ms": round((time.perf_counter() - started) * 1000, 1),
            "at": timezone.now().isoformat(),
        }
        if error:
            entry["error"] = error[:300]
        self.attempts.append(entry)
        log.info("inference.attempt", extra={"job": self.job.pk, **entry})

    # -------------------------------------------------------------- per kind

    def call_server(self, server) -> tuple[dict, dict]:
        job = self.job
        kind = job.kind
        if kind == "llm":
            self.stream.restart()
            out = clients.chat(
                server,
                messages(job.inputs),
                params=job.params,
                on_token=self.stream.push,
                should_stop=self.should_stop,
            )
            self.stream.flush()
            return out, {"tokens": out["tokens"]}
        if kind == "stt":
            audio = load_media(job.inputs.get("media", ""))
            out = clients.transcribe(server, audio, filename=job.inputs["media"].rsplit("/", 1)[-1], params=job.params)
            return out, {"audio_seconds": out["duration"]}
        if kind == "embedding":
            out = clients.embed(server, texts(job.inputs), params=job.params)
            return out, {"tokens": out["tokens"]}
        if kind == "pose":
            out = clients.pose(server, frames_of(job), params=job.params)
            return out, {"frames": len(out["frames"])}
        raise clients.Rejected(f"kind: unknown kind {kind!r}")

    def call_default(self, backend: backends.Backend) -> tuple[dict, dict]:
        job = self.job
        kwargs: dict = {"on_token": self.stream.push, "should_stop": self.should_stop}
        inputs = dict(job.inputs)
        if job.kind == "stt":
            kwargs["audio"] = load_media(job.inputs.get("media", ""))
        if job.kind == "embedding":
            inputs["texts"] = texts(job.inputs)
        if job.kind == "pose":
            kwargs["frames"] = [load_media(key) for key in job.inputs.get("frames") or []]
        self.stream.restart()
        out = backend.run(inputs, job.params, **kwargs)
        self.stream.flush()
        usage = {
            "tokens": out.get("tokens", 0),
            "audio_seconds": out.get("duration", 0),
            "frames": len(out.get("frames") or []),
        }
        return out, usage

    def on_server(self, server) -> tuple[dict, dict] | None:
        """Try one server with retries; None if it failed (breaker counted)."""
        breaker = coordination.Breaker(server.name)
        backend = f"server:{server.name}"
        config = settings.INFERENCE
        retrying = Retrying(
            retry=retry_if_exception_type(clients.Retryable),
            stop=stop_after_attempt(int(config["ATTEMPTS"])),
            wait=wait_exponential_jitter(
                multiplier=config["BACKOFF"], max=config["BACKOFF_MAX"], jitter=config["BACKOFF"]
            ),
            reraise=False,
        )
        try:
            for attempt in retrying:
                with attempt:
                    if self.should_stop():
                        raise clients.Cancelled("cancelled")
                    if attempt.retry_state.attempt_number > 1 and breaker.state() == breaker.OPEN:
                        raise _ServerGone()  # another worker's failures opened it meanwhile
                    started = time.perf_counter()
                    try:
                        out = self.call_server(server)
                    except clients.Retryable as exc:
                        self.log_attempt(backend, "retryable", started, str(exc))
                        metrics.FAILURES.labels(self.job.kind, server.name).inc()
                        if breaker.failure():
                            self.attempts[-1]["breaker"] = "opened"
                            raise _ServerGone() from exc
                        raise
                    except clients.Rejected as exc:
                        self.log_attempt(backend, "rejected", started, str(exc))
                        raise
                    breaker.success()
                    self.log_attempt(backend, "ok", started)
                    return out
        except (RetryError, _ServerGone):
            return None
        return None

    def execute(self) -> None:
        job = self.job
        tried: set[str] = set()
        deadline = time.monotonic() + settings.INFERENCE["SLOT_WAIT"]
        try:
            while True:
                candidates = fleet.ranked(job.kind, exclude=tried)
                if not candidates:
                    break
                chosen, slot = None, None
                for _load, server in candidates:
                    slots = coordination.server_slots(server)
                    token = slots.acquire()
                    if token is None:
                        continue
                    if not coordination.Breaker(server.name).allows():
                        slots.release(token)
                        continue
                    chosen, slot = server, (slots, token)
                    break
                if chosen is None:
                    # Every usable server is at its max concurrency: wait for a slot.
                    if self.should_stop():
                        raise clients.Cancelled("cancelled")
                    if time.monotonic() > deadline:
                        raise AtCapacity()
                    time.sleep(0.02)
                    continue
                try:
                    outcome = self.on_server(chosen)
                finally:
                    slot[0].release(slot[1])
                if outcome is not None:
                    out, usage = outcome
                    self.succeed(f"server:{chosen.name}", f"{chosen.name} ({chosen.model})", out, usage)
                    return
                tried.add(chosen.name)
            backend = backends.default_for(job.kind)
            if backend is None:
                reason = "every server failed" if tried else "no server registered or healthy"
                self.fail(f"{reason} for {job.kind}, and no CPU default is installed for it")
                return
            started = time.perf_counter()
            try:
                out, usage = self.call_default(backend)
            except clients.Cancelled:
                raise
            except Exception as exc:
                self.log_attempt(backend.ident, "error", started, f"{type(exc).__name__}: {exc}")
                self.fail(f"CPU default {backend.name} failed: {type(exc).__name__}: {exc}", backend=backend)
                return
            self.log_attempt(backend.ident, "ok", started)
            self.succeed(backend.ident, backend.label, out, usage)
        except clients.Cancelled:
            self.stream.flush()
            store(job.pk, self.token, status=Status.CANCELLED, attempts=self.attempts, error="cancelled")
        except clients.Rejected as exc:
            self.fail(str(exc))

    def succeed(self, backend: str, label, out: dict, usage: dict) -> None:
        result = {**out, "backend": backend, "backend_label": str(label)}
        store(
            self.job.pk,
            self.token,
            status=Status.SUCCEEDED,
            backend=backend,
            label=label,
            attempts=self.attempts,
            result=result,
            usage=usage,
        )

    def fail(self, error: str, backend=None) -> None:
        store(
            self.job.pk,
            self.token,
            status=Status.FAILED,
            backend=backend.ident if backend else "",
            label=backend.label if backend else "",
            attempts=self.attempts,
            error=error,
        )


class _ServerGone(Exception):
    """The server's breaker opened: stop retrying it."""


def messages(inputs: dict) -> list[dict]:
    if inputs.get("messages"):
        return list(inputs["messages"])
    out = []
    if inputs.get("system"):
        out.append({"role": "system", "content": str(inputs["system"])})
    out.append({"role": "user", "content": str(inputs.get("prompt", ""))})
    return out


def texts(inputs: dict) -> list[str]:
    value = inputs.get("texts", inputs.get("text"))
    return [value] if isinstance(value, str) else list(value or [])


def execute(job_id: int) -> str:
    """Run one job in the current schema (the task's entry point). Returns what happened."""
    job, token = claim(job_id)
    if job is None:
        return "nothing to do"
    try:
        Run(job, token).execute()
    except AtCapacity:
        # Every server stayed full: back to the queue, to be sent again.
        InferenceJob.objects.filter(pk=job.pk, run_token=token, status=Status.RUNNING).update(status=Status.QUEUED)
        raise
    finally:
        release_tenant_slot(job)
    return "done"
