"""The portal's `meeting` and `attendance_row` tags against the `format_html` versions they
replaced (kept here as the reference): the same HTML for every status, cancelled meetings,
rooms, check-in times, names to escape, in Korean and English and across the date line."""

import datetime
import itertools
from zoneinfo import ZoneInfo

import pytest
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import time as time_filter
from django.utils import timezone, translation
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.timezone import template_localtime
from django.utils.translation import gettext

from apps.academy import models as m
from apps.portal.services import Meeting
from apps.portal.templatetags import portal

_ABSENT_MARK = SafeString('<span aria-hidden="true">✕ </span>')


def reference_meeting(m) -> SafeString:
    session, mark = m.session, m.attendance
    classes = "meeting"
    if m.cancelled:
        classes += " cancelled"
    if mark:
        classes += f" mark-{mark.status}"
    what = session.klass.name
    if session.klass.room:
        what = format_html("{} · {}", what, session.klass.room)
    if m.cancelled:
        badge = format_html('<span class="badge badge-off">{}</span>', gettext("Cancelled"))
    elif mark:
        checked_in = f" {time_filter(template_localtime(mark.checked_in_at), 'H:i')}" if mark.checked_in_at else ""
        badge = format_html(
            '<span class="badge badge-{}">{}{}</span>', mark.status, mark.get_status_display(), checked_in
        )
    else:
        badge = ""
    return format_html(
        '<li class="{}"><span class="time">{}–{}</span> <span class="what">{}</span> {}</li>',
        classes,
        _hm(session.starts_at),
        _hm(session.ends_at),
        what,
        badge,
    )


def _hm(value) -> str:
    return "" if value is None else f"{value:%H:%M}"


def reference_attendance_row(mark) -> SafeString:
    day = mark.session.date
    absent = _ABSENT_MARK if mark.status == "absent" else ""
    checked_in = ""
    if mark.checked_in_at:
        checked_in = format_html(
            ' <span class="muted">{}</span>', time_filter(template_localtime(mark.checked_in_at), "H:i")
        )
    return format_html(
        '<tr class="mark-{}"><td>{} ({})</td><td>{}</td><td><span class="badge badge-{}">{}{}</span>{}</td></tr>',
        mark.status,
        date_filter(day, "n/j"),
        date_filter(day, "D"),
        mark.session.klass.name,
        mark.status,
        absent,
        mark.get_status_display(),
        checked_in,
    )


CLASSES = [("선수반", ""), ("실전반", "B1"), ('<b>"A&B"</b>', "<i>'room'</i>")]
STATUSES = [*m.Attendance.Status.values, "unknown<status>"]
CHECK_INS = [
    None,
    datetime.datetime(2026, 12, 6, 14, 59, tzinfo=datetime.UTC),  # 23:59 in Seoul
    datetime.datetime(2026, 12, 6, 15, 0, 30, tzinfo=datetime.UTC),  # 00:00 the next day in Seoul
    datetime.datetime(2026, 1, 1, 0, 5, tzinfo=datetime.UTC),
]
DAYS = [datetime.date(2026, 12, 1) + datetime.timedelta(days=n) for n in range(7)] + [datetime.date(2027, 10, 31)]


def _cases():
    for (name, room), status, at, day, cancelled in itertools.product(
        CLASSES, [None, *STATUSES], CHECK_INS, DAYS[:2] + DAYS[-1:], (False, True)
    ):
        klass = m.Class(name=name, room=room)
        session = m.Session(
            klass=klass,
            date=day,
            starts_at=datetime.time(16, 0),
            ends_at=datetime.time(17, 30),
            status=m.Session.Status.CANCELLED if cancelled else m.Session.Status.SCHEDULED,
        )
        mark = None if status is None else m.Attendance(session=session, status=status, checked_in_at=at)
        yield session, mark


@pytest.mark.parametrize("language", ["ko", "en"])
@pytest.mark.parametrize("zone", ["Asia/Seoul", "UTC"])
def test_the_tags_write_what_format_html_wrote(language, zone):
    count = 0
    with translation.override(language), timezone.override(ZoneInfo(zone)):
        for session, mark in _cases():
            item = Meeting(session, mark)
            assert portal.meeting(item) == reference_meeting(item)
            assert isinstance(portal.meeting(item), SafeString)
            if mark is not None:
                assert portal.attendance_row(mark) == reference_attendance_row(mark)
                assert isinstance(portal.attendance_row(mark), SafeString)
            count += 1
        for day in DAYS:  # every weekday's abbreviation
            mark = m.Attendance(session=m.Session(klass=m.Class(name="x"), date=day), status="present")
            assert portal.attendance_row(mark) == reference_attendance_row(mark)
    assert count > 100
