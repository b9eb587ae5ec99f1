"""Feedback (피드백) and video records."""

from __future__ import annotations

import re
from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from apps.core.services import invalid, record

from ..models import Attendance, Feedback, Session, Student, Video

YOUTUBE = re.compile(r"(?:youtube\.com/(?:watch\?(?:.*&)?v=|embed/|shorts/|live/)|youtu\.be/)([A-Za-z0-9_-]{11})")


@transaction.atomic
def give_feedback(
    session: Session,
    student: Student,
    *,
    text: str,
    effort=None,
    skill=None,
    attitude=None,
    coach=None,
    visible=True,
    actor=None,
) -> Feedback:
    if not (text or "").strip():
        raise invalid(text=_("Write the feedback."))
    for name, value in (("effort", effort), ("skill", skill), ("attitude", attitude)):
        if value is not None and not (isinstance(value, int) and 1 <= value <= 5):
            raise invalid(**{name: _("A rating is a whole number from 1 to 5.")})
    if not Attendance.objects.filter(session=session, student=student).exists():
        raise invalid(student=_("%(student)s has no attendance in this session.") % {"student": student.name})
    feedback, created = Feedback.objects.update_or_create(
        session=session,
        student=student,
        defaults={
            "text": text.strip(),
            "effort": effort,
            "skill": skill,
            "attitude": attitude,
            "coach": coach or session.klass.coach,
            "visible_to_guardians": visible,
        },
    )
    record(
        "feedback.given" if created else "feedback.updated",
        student,
        actor,
        session=session.pk,
        ratings=[effort, skill, attitude],
    )
    from . import vindex

    vindex.schedule([student.pk])
    return feedback


def youtube_id(url: str) -> str:
    match = YOUTUBE.search(url or "")
    if not match:
        raise invalid(url=_("Not a YouTube video address."))
    return match.group(1)


@transaction.atomic
def add_video(
    student: Student,
    *,
    url: str,
    title: str,
    kind: str,
    duration_seconds: int | None = None,
    recorded_at: datetime | None = None,
    tags=(),
    description: str = "",
    actor=None,
) -> Video:
    if kind not in Video.Kind.values:
        raise invalid(kind=_("Choose training, match, skill_drill or highlight."))
    if not (title or "").strip():
        raise invalid(title=_("Give the video a title."))
    if duration_seconds is not None and duration_seconds < 0:
        raise invalid(duration_seconds=_("The duration cannot be negative."))
    video = Video.objects.create(
        student=student,
        url=url,
        youtube_id=youtube_id(url),
        title=title.strip(),
        kind=kind,
        duration_seconds=duration_seconds,
        recorded_at=recorded_at,
        tags=[t.strip() for t in tags if t.strip()][:20],
        description=description,
    )
    record("video.added", student, actor, video=video.pk, video_kind=kind, youtube_id=video.youtube_id)
    return video
