"""K-Zone's pages on the zone's app host (server-rendered, Korean first, like learning's).

The hub lists the voice lines, drama scenes and choreographies with the learner's history
(a chart of their scores); each content page records in the browser (MediaRecorder, the
only pages where the Permissions-Policy lets the microphone and camera on) or takes an
uploaded file, and hands it in through the same service as the API; a take's page shows
its progress live (`ws/kzone/`, the learner's own socket), can cancel it, and shows the
result: transcript aligned word by word, timing, scores, feedback naming who wrote it, and
for dance the body parts, the beats and the overlays of the weakest moments."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from apps.accounts.permissions import has_permission
from apps.core.ratelimit import AiAddressRateThrottle, AiRateThrottle
from apps.core.security import permissions_policy

from . import charts, dancing, services
from .models import Choreography, DramaScene, Take, VoiceLine

RECORDING_POLICY_CHANGES = {"microphone": ["self"], "camera": ["self"]}


def recording_page(view):
    """The microphone and camera for this page's own origin, every other feature as the
    site's policy says (the middleware leaves a header the view set alone)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        from django.conf import settings

        response = view(request, *args, **kwargs)
        policy = {**getattr(settings, "PERMISSIONS_POLICY", {}), **RECORDING_POLICY_CHANGES}
        response.headers["Permissions-Policy"] = permissions_policy(policy)
        return response

    return wrapper


def _need(request) -> None:
    if not has_permission(request.user, "tutor:use"):
        raise PermissionDenied


def _ai_allowed(request) -> bool:
    return all(throttle().allow_request(request, None) for throttle in (AiRateThrottle, AiAddressRateThrottle))


def _errors(request, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items() if hasattr(exc, "error_dict") else [("", exc.messages)]:
        for message in errors:
            messages.error(request, f"{field}: {message}" if field and field != "__all__" else message)


def _language() -> str:
    return (get_language() or "ko")[:2]


@login_required
def hub(request):
    _need(request)
    takes = Take.objects.filter(user=request.user).select_related("voice_line", "scene", "choreography")
    return render(
        request,
        "kzone/hub.html",
        {
            "lines": services.visible_content(VoiceLine),
            "scenes": services.visible_content(DramaScene),
            "choreographies": services.visible_content(Choreography),
            "recent": takes[:20],
            "charts": {
                kind: charts.score_chart(services.history(request.user, kind))
                for kind in (Take.Kind.VOICE, Take.Kind.DRAMA, Take.Kind.DANCE)
            },
        },
    )


def _hand_in(request, kind: str, content, character: str = ""):
    upload = request.FILES.get("file")
    if upload is None:
        raise services.invalid(file=_("Record or choose a file first."))
    if not _ai_allowed(request):
        messages.error(request, _("Too many AI requests: wait a minute and try again."))
        return None
    return services.start_take(
        kind,
        content,
        actor=request.user,
        upload=upload,
        character=character,
        language=_language(),
        idempotency_key=request.POST.get("idempotency_key") or None,
    )


def _content_page(request, kind: str, content, template: str, extra: dict):
    import uuid

    status = 200
    if request.method == "POST":
        try:
            take = _hand_in(request, kind, content, character=request.POST.get("character", ""))
        except ValidationError as exc:
            _errors(request, exc)
            status = 400
        else:
            if take is not None:
                return redirect("kzone:take", pk=take.pk)
            status = 429
    history = services.history(request.user, kind, content)
    mine = Take.objects.filter(user=request.user, kind=kind).filter(**{_field(kind): content})[:20]
    context = {
        "content": content,
        "kind": kind,
        "mine": mine,
        "chart": charts.score_chart(history),
        "idempotency_key": uuid.uuid4().hex,
        "accept": "video/*" if kind == Take.Kind.DANCE else "audio/*",
        "capture": "video" if kind == Take.Kind.DANCE else "audio",
        **extra,
    }
    return render(request, template, context, status=status)


def _field(kind: str) -> str:
    return {Take.Kind.VOICE: "voice_line", Take.Kind.DRAMA: "scene", Take.Kind.DANCE: "choreography"}[kind]


def _playback(key: str) -> str:
    if not key:
        return ""
    from apps.media import services as media

    return media.playback_url(key, seconds=600)


@login_required
@recording_page
def voice_page(request, pk: int):
    _need(request)
    line = get_object_or_404(services.visible_content(VoiceLine), pk=pk)
    return _content_page(
        request, Take.Kind.VOICE, line, "kzone/voice.html", {"reference_url": _playback(line.reference_audio)}
    )


@login_required
@recording_page
def drama_page(request, pk: int):
    _need(request)
    scene = get_object_or_404(services.visible_content(DramaScene).prefetch_related("lines"), pk=pk)
    return _content_page(request, Take.Kind.DRAMA, scene, "kzone/drama.html", {"characters": scene.characters})


@login_required
@recording_page
def dance_page(request, pk: int):
    _need(request)
    choreo = get_object_or_404(services.visible_content(Choreography), pk=pk)
    return _content_page(
        request, Take.Kind.DANCE, choreo, "kzone/dance.html", {"reference_url": _playback(choreo.reference_video)}
    )


def _own_take(request, pk: int) -> Take:
    take = Take.objects.select_related("voice_line", "scene", "choreography").filter(pk=pk, user=request.user).first()
    if take is None:
        raise Http404
    return take


@login_required
def take_page(request, pk: int):
    _need(request)
    take = _own_take(request, pk)
    if request.method == "POST":
        if request.POST.get("action") == "cancel":
            services.cancel_take(take, actor=request.user)
            messages.info(request, _("The analysis was cancelled."))
        return redirect("kzone:take", pk=pk)
    result = take.result or {}
    feedback = result.get("feedback") or {}
    dance = result.get("dance") or {}
    if dance:
        dance = {
            **dance,
            "body_part_bars": charts.bars(
                [(_(dancing.PART_NAMES.get(k, k)), v) for k, v in (dance.get("parts") or {}).items() if v is not None]
            ),
            "beat_bars": charts.bars([(f"{b['start']:.1f} s", b["score"]) for b in (dance.get("beats") or [])[:32]]),
        }
    history = services.history(request.user, take.kind, take.content)
    return render(
        request,
        "kzone/take.html",
        {
            "take": take,
            "content": take.content,
            "result": result,
            "stt": result.get("stt") or {},
            "comparison": result.get("comparison") or {},
            "lines": result.get("lines") or [],
            "dance": dance,
            "feedback": feedback,
            "rule_based": feedback.get("source") == "rule_based",
            "chart": charts.score_chart(history),
            "recording_url": _playback(take.media_key) if take.kind != Take.Kind.DANCE else "",
            "video_url": _playback(take.media_key) if take.kind == Take.Kind.DANCE else "",
        },
    )


@login_required
def overlay(request, pk: int, n: int):
    """The overlay image of the take's n-th weakest segment (the learner's own take only)."""
    _need(request)
    take = _own_take(request, pk)
    segments = ((take.result or {}).get("dance") or {}).get("weakest") or []
    if not 0 <= n < len(segments) or not segments[n].get("overlay"):
        raise Http404
    from apps.media import services as media

    return HttpResponse(media.read_bytes(segments[n]["overlay"]), content_type="image/png")
