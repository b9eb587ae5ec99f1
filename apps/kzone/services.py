"""K-Zone's domain operations: content management, starting and cancelling takes, and what
the analysis chain stores (apps/kzone/chain.py runs the chain on the workers).

Every write takes `actor=`, runs in one transaction and appends its ledger event there; a
bad input raises a ValidationError naming the field and writes nothing. Recordings and
videos go through apps.media (bytes and ffprobe checked, per-tenant keys); a take's files
live under `kzone/audio/…`, `kzone/video/…` and `kzone/pose/…` of the tenant's storage.
"""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.services import invalid, record, unknown

from . import events
from .models import Choreography, DramaLine, DramaScene, Language, Take, VoiceLine

MEDIA_KIND = {Take.Kind.VOICE: "voice", Take.Kind.DRAMA: "voice", Take.Kind.DANCE: "video"}
FOLDER = {"voice": "audio", "video": "video"}
CONTENT_TYPES = {
    "voice": ("audio/webm", "audio/ogg", "audio/mp4", "audio/mpeg", "audio/wav", "audio/x-wav", "audio/flac"),
    "video": ("video/webm", "video/mp4", "video/quicktime", "video/ogg"),
}


# ---------------------------------------------------------------------------- content


def _text(value, field: str, limit: int) -> str:
    value = (value or "").strip() if isinstance(value, str) else ""
    if not value:
        raise invalid(**{field: _("This field is required.")})
    if len(value) > limit:
        raise invalid(**{field: _("At most %(n)d characters.") % {"n": limit}})
    return value


@transaction.atomic
def save_voice_line(line: VoiceLine | None = None, *, actor=None, **fields) -> VoiceLine:
    line = line or VoiceLine()
    for name, value in fields.items():
        setattr(line, name, value)
    line.title = _text(line.title, "title", 200)
    line.text = _text(line.text, "text", 2000)
    if line.kind not in VoiceLine.Kind.values:
        raise invalid(kind=_("Unknown type."))
    if line.language not in Language.values:
        raise invalid(language=_("Unknown language."))
    created = line.pk is None
    line.save()
    record("kzone.voice_line.saved", line, actor=actor, created=created)
    return line


@transaction.atomic
def save_scene(scene: DramaScene | None = None, *, actor=None, lines: list[dict] | None = None, **fields) -> DramaScene:
    """A scene and, when given, its whole script: [{"character", "text", "direction"}, …] in order."""
    scene = scene or DramaScene()
    for name, value in fields.items():
        setattr(scene, name, value)
    scene.title = _text(scene.title, "title", 200)
    created = scene.pk is None
    scene.save()
    if lines is not None:
        if not lines:
            raise invalid(lines=_("A scene needs at least one line."))
        scene.lines.all().delete()
        for i, row in enumerate(lines, start=1):
            DramaLine.objects.create(
                scene=scene,
                order=i,
                character=_text(row.get("character"), f"lines[{i - 1}].character", 60),
                text=_text(row.get("text"), f"lines[{i - 1}].text", 1000),
                direction=(row.get("direction") or "")[:200],
            )
    record("kzone.scene.saved", scene, actor=actor, created=created)
    return scene


@transaction.atomic
def save_choreography(choreo: Choreography | None = None, *, actor=None, **fields) -> Choreography:
    choreo = choreo or Choreography()
    previous_video = choreo.reference_video
    for name, value in fields.items():
        setattr(choreo, name, value)
    choreo.title = _text(choreo.title, "title", 200)
    if choreo.bpm is not None and not 30 <= choreo.bpm <= 300:
        raise invalid(bpm=_("Between 30 and 300 beats per minute."))
    if choreo.reference_video != previous_video:
        # A new reference: its keypoints are analysed again (once), on the pose queue.
        choreo.pose_key, choreo.pose_status, choreo.pose_error = "", Choreography.PoseStatus.NONE, ""
    created = choreo.pk is None
    choreo.save()
    record("kzone.choreography.saved", choreo, actor=actor, created=created)
    if choreo.reference_video and choreo.pose_status == Choreography.PoseStatus.NONE:
        from . import tasks

        tasks.analyse_reference.delay_on_commit(choreo.pk)
    return choreo


def check_upload(media_kind: str, upload) -> None:
    """apps.media's checks of a file (its size limit, its bytes, libavformat's probe) without
    storing it, for a form that must refuse before it saves anything."""
    import shutil
    import tempfile

    from apps.media import inspect
    from apps.media import services as media

    size = getattr(upload, "size", None)
    if size is not None and size > media.LIMITS[media_kind]:
        raise invalid(file=_("At most %(mb)d MB.") % {"mb": media.LIMITS[media_kind] // (1024 * 1024)})
    with tempfile.NamedTemporaryFile(prefix="mc-kzone-") as tmp:
        upload.seek(0)
        shutil.copyfileobj(upload, tmp)
        tmp.flush()
        try:
            inspect.inspect_file(media_kind, tmp.name, size=tmp.tell(), key="reference")
        except inspect.Refused as exc:
            raise invalid(file=str(exc)) from None
    upload.seek(0)


def attach_reference(content, upload, *, actor=None):
    """Store an uploaded reference recording (voice line) or video (choreography) through
    apps.media, and point the content at it."""
    from apps.media import services as media

    if isinstance(content, VoiceLine):
        key = f"kzone/audio/line-{content.pk}/reference-{uuid.uuid4().hex[:12]}"
        obj = media.store_upload("voice", upload, key=key, user=actor)
        return save_voice_line(content, actor=actor, reference_audio=obj.key, reference_seconds=obj.duration_seconds)
    key = f"kzone/video/choreo-{content.pk}/reference-{uuid.uuid4().hex[:12]}"
    obj = media.store_upload("video", upload, key=key, user=actor)
    return save_choreography(content, actor=actor, reference_video=obj.key, duration=obj.duration_seconds)


# ---------------------------------------------------------------------------- takes


def visible_content(model):
    return model.objects.filter(published=True)


def _content_folder(kind: str, content) -> str:
    prefix = {Take.Kind.VOICE: "line", Take.Kind.DRAMA: "scene", Take.Kind.DANCE: "choreo"}[kind]
    return f"kzone/{FOLDER[MEDIA_KIND[kind]]}/{prefix}-{content.pk}/"


def upload_prefix(kind: str, content, user) -> str:
    """Where a learner's uploads for this content go: their id in the key, so a key names
    its owner and one learner can never hand in another's recording."""
    return f"{_content_folder(kind, content)}u{user.pk}-"


def new_media_key(kind: str, content, user) -> str:
    return f"{upload_prefix(kind, content, user)}{uuid.uuid4().hex}"


def presign(kind: str, content, *, actor, content_type: str) -> dict:
    """A presigned PUT for a learner's direct upload (apps.media): {key, url, method, headers, …}."""
    from apps.media import services as media

    # The type declared here only signs the PUT; the bytes are checked when the upload is
    # confirmed (start_take), whatever was declared.
    media_kind = MEDIA_KIND[kind]
    key = new_media_key(kind, content, actor)
    answer = media.presign_upload(media_kind, key, content_type=content_type, user=actor)
    return {"key": key, **answer}


def _field_errors(exc: ValidationError, field: str) -> ValidationError:
    """apps.media names its own fields (file, key); here they are the request's."""
    if hasattr(exc, "error_dict"):
        return ValidationError({field: [e for errors in exc.error_dict.values() for e in errors]})
    return ValidationError({field: exc.error_list})


def _store_recording(kind: str, content, *, actor, upload=None, media_key: str | None = None) -> str:
    from apps.media import services as media

    media_kind = MEDIA_KIND[kind]
    if upload is not None:
        key = new_media_key(kind, content, actor)
        try:
            obj = media.store_upload(media_kind, upload, key=key, user=actor)
        except ValidationError as exc:
            raise _field_errors(exc, "file") from exc
        return obj.key
    if not isinstance(media_key, str) or not media_key.startswith(upload_prefix(kind, content, actor)):
        raise unknown(media_key=_("No upload of yours for this content has that key."))
    try:
        obj = media.confirm_upload(media_kind, media_key, user=actor)
    except ValidationError as exc:
        raise _field_errors(exc, "media_key") from exc
    return obj.key


def _language(value: str | None) -> str:
    return value if value in Language.values else Language.KOREAN


def start_take(
    kind: str,
    content,
    *,
    actor,
    upload=None,
    media_key: str | None = None,
    character: str = "",
    language: str | None = None,
    idempotency_key: str | None = None,
) -> Take:
    """A learner hands in a recording (or a video) of `content`; the analysis chain starts
    after commit. Either `upload` (a file, stored through apps.media) or `media_key` (a
    direct upload made with `presign`, confirmed here). Idempotent by key per learner."""
    if idempotency_key:
        existing = Take.objects.filter(idempotency_key=f"{actor.pk}:{idempotency_key}").first()
        if existing is not None:
            return existing
    if kind == Take.Kind.DRAMA and character not in content.characters:
        raise unknown(character=_("The scene has no such character."))
    if kind == Take.Kind.DANCE and not content.reference_video:
        raise invalid(choreography=_("This choreography has no reference video yet."))
    key = _store_recording(kind, content, actor=actor, upload=upload, media_key=media_key)
    with transaction.atomic():
        take = Take.objects.create(
            kind=kind,
            user=actor,
            voice_line=content if kind == Take.Kind.VOICE else None,
            scene=content if kind == Take.Kind.DRAMA else None,
            character=character if kind == Take.Kind.DRAMA else "",
            choreography=content if kind == Take.Kind.DANCE else None,
            media_key=key,
            language=_language(language),
            idempotency_key=f"{actor.pk}:{idempotency_key}" if idempotency_key else None,
        )
        record("kzone.take.submitted", take, actor=actor, take_kind=kind, content=content.pk)
        events.take_changed(take)
        from . import tasks

        first = tasks.dance if kind == Take.Kind.DANCE else tasks.transcribe
        first.delay_on_commit(take.pk)
    return take


@transaction.atomic
def cancel_take(take: Take, *, actor) -> Take:
    """Cancel a take: it stops at once for the learner (no result will be stored), and its
    running AI job stops at its next check. A finished take is left as it is."""
    from apps.inference import services as ai
    from apps.inference.jobs.models import InferenceJob

    take = Take.objects.select_for_update().get(pk=take.pk)
    if take.finished:
        return take
    take.cancel_requested = True
    take.status = Take.Status.CANCELLED
    take.error = "cancelled"
    take.finished_at = timezone.now()
    take.save(update_fields=["cancel_requested", "status", "error", "finished_at"])
    for job in InferenceJob.objects.filter(pk__in=_job_ids(take)).exclude(status__in=InferenceJob.FINISHED):
        ai.cancel_job(job, actor=actor)
    record("kzone.take.cancelled", take, actor=actor)
    events.take_changed(take)
    return take


def _job_ids(take: Take) -> list[int]:
    ids = []
    for value in (take.jobs or {}).values():
        ids.extend(value if isinstance(value, list) else [value])
    return [i for i in ids if isinstance(i, int)]


# ---------------------------------------------------------------------------- what the chain stores


def advance(take_id: int, *, stage: str, progress: int, jobs: dict | None = None, result: dict | None = None):
    """The chain reached `stage`: None if the take is gone or finished (cancelled), so the
    chain stops there."""
    with transaction.atomic():
        take = Take.objects.select_for_update().filter(pk=take_id).first()
        if take is None or take.finished:
            return None
        take.status = Take.Status.RUNNING
        take.stage = stage
        take.progress = max(take.progress, progress)
        if jobs:
            take.jobs = {**(take.jobs or {}), **jobs}
        if result is not None:
            take.result = {**(take.result or {}), **result}
        take.save(update_fields=["status", "stage", "progress", "jobs", "result"])
        events.take_changed(take)
    return take


@transaction.atomic
def finish(take_id: int, *, score: float | None, result: dict) -> Take | None:
    take = Take.objects.select_for_update().filter(pk=take_id).first()
    if take is None or take.finished:
        return None
    take.status = Take.Status.SUCCEEDED
    take.stage = "done"
    take.progress = 100
    take.score = score
    take.result = {**(take.result or {}), **result}
    take.finished_at = timezone.now()
    take.save()
    record("kzone.take.analysed", take, actor=None, take_kind=take.kind, score=score)
    events.take_changed(take)
    return take


@transaction.atomic
def fail(take_id: int, error: str) -> Take | None:
    take = Take.objects.select_for_update().filter(pk=take_id).first()
    if take is None or take.finished:
        return None
    take.status = Take.Status.FAILED
    take.error = error[:2000]
    take.finished_at = timezone.now()
    take.save(update_fields=["status", "error", "finished_at"])
    record("kzone.take.failed", take, actor=None, error=error[:300])
    events.take_changed(take)
    return take


def history(user, kind: str, content=None):
    """A learner's finished takes of one kind (optionally of one content), oldest first."""
    rows = Take.objects.filter(user=user, kind=kind, status=Take.Status.SUCCEEDED)
    if content is not None:
        field = {Take.Kind.VOICE: "voice_line", Take.Kind.DRAMA: "scene", Take.Kind.DANCE: "choreography"}[kind]
        rows = rows.filter(**{field: content})
    return rows.order_by("created_at", "id")
