"""The fleet's service API for every vertical (the foundation never imports a vertical;
verticals call these):

    from apps.inference import services as ai

    job = ai.submit_job(kind="llm", inputs={"prompt": review_text}, requester=user,
                        feature="stores.reply_draft", params={"max_tokens": 300})
    # -> InferenceJob, queued; its task is sent when the transaction commits. Progress and
    #    tokens reach the requester's sockets on ws/inference/; job.result when finished.

    vectors = ai.run_sync(kind="embedding", inputs={"texts": ["..."]}, feature="search")
    # -> the result dict, computed in this process (same routing, breakers and CPU
    #    default), for short calls inside a request. Raises JobFailed.

    ai.cancel_job(job, actor=user)

    job = ai.record_job(kind="llm", inputs=..., requester=user, idempotency_key=...)
    dispatch.execute(job.pk)   # inside the caller's own task; raises dispatch.AtCapacity

Inputs by kind (a ValidationError names the bad field, and nothing is written):
- llm:       {"prompt": str} or {"messages": [{"role", "content"}, ...]}, optional "system"
- embedding: {"texts": [str, ...]} (or "text": str); params {"mode": "query"|"passage"}
- stt:       {"media": "<key in the tenant's storage>"}; params {"language": "ko"}
- pose:      {"frames": ["<media key of an image>", ...]}

Every result says who produced it: result["backend"] ("server:<name>" or "cpu:<name>") and
result["backend_label"], to be shown with it.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import connection, transaction

from apps.media.storage import is_media_key, media_storage

from . import coordination, events
from .jobs.models import InferenceJob
from .models import Kind

MAX_TEXTS = 256
MAX_TEXT_CHARS = 20_000
MAX_FRAMES = 600


class JobFailed(Exception):
    def __init__(self, job: InferenceJob):
        super().__init__(f"{job.kind} job {job.pk} {job.status}: {job.error}")
        self.job = job


def _text(value, field: str, limit: int = MAX_TEXT_CHARS) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError({field: "a non-empty string is required"})
    if len(value) > limit:
        raise ValidationError({field: f"at most {limit} characters"})
    return value


def validate(kind: str, inputs, params) -> None:
    if kind not in Kind.values:
        raise ValidationError({"kind": f"one of {', '.join(Kind.values)}"})
    if not isinstance(inputs, dict):
        raise ValidationError({"inputs": "an object is required"})
    if params is not None and not isinstance(params, dict):
        raise ValidationError({"params": "an object is required"})
    if kind == "llm":
        if inputs.get("messages") is not None:
            messages = inputs["messages"]
            if not isinstance(messages, list) or not messages:
                raise ValidationError({"inputs.messages": "a non-empty list is required"})
            for i, message in enumerate(messages):
                if not isinstance(message, dict) or message.get("role") not in ("system", "user", "assistant"):
                    raise ValidationError({f"inputs.messages[{i}].role": "system, user or assistant"})
                _text(message.get("content"), f"inputs.messages[{i}].content")
        else:
            _text(inputs.get("prompt"), "inputs.prompt")
    elif kind == "embedding":
        value = inputs.get("texts", inputs.get("text"))
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not items:
            raise ValidationError({"inputs.texts": "a non-empty list of strings is required"})
        if len(items) > MAX_TEXTS:
            raise ValidationError({"inputs.texts": f"at most {MAX_TEXTS} texts"})
        for i, item in enumerate(items):
            _text(item, f"inputs.texts[{i}]", 8000)
    elif kind == "stt":
        _media(inputs.get("media"), "inputs.media")
    elif kind == "pose":
        frames = inputs.get("frames")
        if not isinstance(frames, list) or not frames:
            raise ValidationError({"inputs.frames": "a non-empty list of media keys is required"})
        if len(frames) > MAX_FRAMES:
            raise ValidationError({"inputs.frames": f"at most {MAX_FRAMES} frames"})
        for i, key in enumerate(frames):
            _media(key, f"inputs.frames[{i}]")


def _media(key, field: str) -> None:
    if not isinstance(key, str) or not key or ".." in key or key.startswith("/"):
        raise ValidationError({field: "a media key in this tenant's storage is required"})
    # Only keys the media storage hands out name media: never an upload's unchecked incoming
    # bytes (`_incoming/…`) nor anything outside the tenant's prefix.
    if not is_media_key(key) or not media_storage().exists(key):
        raise ValidationError({field: ValidationError(f"no such media: {key}", code="does_not_exist")})


def task_for(kind: str):
    from . import tasks

    return {"llm": tasks.llm_run, "stt": tasks.stt_run, "pose": tasks.pose_run, "embedding": tasks.embed_run}[kind]


def _create(*, kind, inputs, requester, feature, params, idempotency_key) -> tuple[InferenceJob, bool]:
    from apps.ledger import services as ledger

    validate(kind, inputs, params)
    if idempotency_key:
        existing = InferenceJob.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing, False
    requester = requester if getattr(requester, "is_authenticated", False) else None
    job = InferenceJob.objects.create(
        kind=kind,
        inputs=inputs,
        params=params or {},
        requester=requester,
        feature=feature[:80],
        idempotency_key=idempotency_key or None,
    )
    ledger.append(
        "inference.job.submitted",
        subject=job,
        actor=requester,
        data={"kind": kind, "feature": job.feature},
    )
    return job, True


@transaction.atomic
def submit_job(
    *,
    kind: str,
    inputs: dict,
    requester=None,
    feature: str = "",
    params: dict | None = None,
    idempotency_key: str | None = None,
) -> InferenceJob:
    """Queue a job; its task goes to the kind's queue after commit. Idempotent by key."""
    job, created = _create(
        kind=kind, inputs=inputs, requester=requester, feature=feature, params=params, idempotency_key=idempotency_key
    )
    if created:
        task_for(kind).apply_async_on_commit((job.pk,))
        events.job_changed(job)
    return job


@transaction.atomic
def record_job(
    *,
    kind: str,
    inputs: dict,
    requester=None,
    feature: str = "",
    params: dict | None = None,
    idempotency_key: str | None = None,
) -> InferenceJob:
    """Record a job without queueing it, for a vertical's own task that runs it there and
    then (`dispatch.execute(job.pk)`) because it needs the result in the same process
    (apps.problems: rubric feedback). Idempotent by key, so a retried task finds its job
    again instead of making a second one; the requester's sockets hear it like any job."""
    job, created = _create(
        kind=kind, inputs=inputs, requester=requester, feature=feature, params=params, idempotency_key=idempotency_key
    )
    if created:
        events.job_changed(job)
    return job


def run_sync(*, kind: str, inputs: dict, requester=None, feature: str = "", params: dict | None = None) -> dict:
    """Run a short job here and now (no queue) and return its result; the job is recorded
    like any other. Raises JobFailed if it failed, dispatch.AtCapacity over the tenant cap."""
    from . import dispatch

    with transaction.atomic():
        job, _ = _create(
            kind=kind, inputs=inputs, requester=requester, feature=feature, params=params, idempotency_key=None
        )
    dispatch.execute(job.pk)
    job.refresh_from_db()
    if job.status != InferenceJob.Status.SUCCEEDED:
        raise JobFailed(job)
    return job.result


@transaction.atomic
def cancel_job(job: InferenceJob, *, actor=None) -> InferenceJob:
    """Cancel a job: a queued one at once, a running one at its next check (between two
    streamed tokens, between retries). Cancelling a finished job changes nothing."""
    from . import dispatch

    job = InferenceJob.objects.select_for_update().get(pk=job.pk)
    if job.finished:
        return job
    job.cancel_requested = True
    job.save(update_fields=["cancel_requested"])
    coordination.request_cancel(connection.schema_name, job.pk)
    if job.status == InferenceJob.Status.QUEUED:
        dispatch._finish(job, status=InferenceJob.Status.CANCELLED, error="cancelled")
    return job
