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


# The template code the page tags replaced (base.html's navs, home.html's card and week,
# child.html's days), rendered by Django as it was: each tag must write the same HTML.
REFERENCE_TEMPLATES = {
    "section_links": """{% load i18n %}<li><a href="{% url 'portal-home' %}"{% if section == "home" %} aria-current="page"{% endif %}>{% translate "Home" %}</a></li>
        <li><a href="{% url 'portal-invoices' %}"{% if section == "invoices" %} aria-current="page"{% endif %}>{% translate "Bills" %}</a></li>
        <li><a href="{% url 'portal-receipts' %}"{% if section == "receipts" %} aria-current="page"{% endif %}>{% translate "Receipts" %}</a></li>
        <li><a href="{% url 'portal-preferences' %}"{% if section == "preferences" %} aria-current="page"{% endif %}>{% translate "Notifications" %}</a></li>
        <li><a href="{% url 'portal-links' %}"{% if section == "links" %} aria-current="page"{% endif %}>{% translate "Link a child" %}</a></li>""",  # noqa: E501
    "kid_links": """{% for kid in kids %}<li><a href="{% url 'portal-child' kid.pk %}"{% if child and kid.pk == child.pk %} aria-current="page"{% endif %}>{{ kid.name }}</a></li>{% endfor %}""",  # noqa: E501
    "week_list": """{% load portal %}{% for day in week %}{% if day.meetings %}
    <li{% if day.is_today %} class="today"{% endif %}><span class="day">{{ day.date|date:"n/j" }} ({{ day.date|date:"D" }})</span>
      <ul class="meetings">{% for m in day.meetings %}{% meeting m %}{% endfor %}</ul></li>
    {% endif %}{% endfor %}""",  # noqa: E501
    "week_days": """{% load i18n portal %}{% for day in week %}
    <li class="{% if day.is_today %}today{% endif %}{% if not day.meetings %} empty{% endif %}">
      <span class="day">{{ day.date|date:"n/j" }} ({{ day.date|date:"D" }}){% if day.is_today %} <strong>{% translate "Today" %}</strong>{% endif %}</span>
      {% if day.meetings %}<ul class="meetings">{% for m in day.meetings %}{% meeting m %}{% endfor %}</ul>
      {% else %}<span class="muted">{% translate "No class" %}</span>{% endif %}
    </li>
    {% endfor %}""",  # noqa: E501
    "child_card": """{% load i18n portal %}<section class="card child" aria-labelledby="child-{{ card.child.pk }}">
  <h2 id="child-{{ card.child.pk }}"><a href="{% url 'portal-child' card.child.pk %}">{{ card.child.name }}</a></h2>
  <h3>{% translate "Today" %}</h3>
  {% if card.today %}
    <ul class="meetings">{% for m in card.today %}{% meeting m %}{% endfor %}</ul>
  {% else %}
    <p class="muted">{% translate "No class today." %}</p>
  {% endif %}
  <h3>{% translate "This week" %}</h3>
  <ul class="week">
    {% for day in card.week %}{% if day.meetings %}
    <li{% if day.is_today %} class="today"{% endif %}><span class="day">{{ day.date|date:"n/j" }} ({{ day.date|date:"D" }})</span>
      <ul class="meetings">{% for m in day.meetings %}{% meeting m %}{% endfor %}</ul></li>
    {% endif %}{% endfor %}
  </ul>
  {% if not card.count %}<p class="muted">{% translate "No classes this week." %}</p>{% endif %}
  <p class="actions"><a class="button" href="{% url 'portal-child' card.child.pk %}">{% translate "Attendance and schedule" %}</a>
    <a class="button secondary" href="{% url 'portal-child-feedback' card.child.pk %}">{% translate "Feedback and videos" %}</a></p>
</section>""",  # noqa: E501
}


def _reference(name: str, **context) -> str:
    from django.template import engines

    return engines["django"].from_string(REFERENCE_TEMPLATES[name]).render(context)


def _weeks_to_show():
    """Weeks of seven days: none, one and several meetings a day, today on any day or none."""
    from apps.portal.services import Day

    meetings = [Meeting(session, mark) for session, mark in itertools.islice(_cases(), 0, 400, 37)]
    monday = datetime.date(2026, 11, 30)
    for today_at in (None, 0, 3, 6):
        for pattern in ((), (0,), (0, 2, 2, 5), tuple(range(7)) * 2):
            week = [Day(monday + datetime.timedelta(days=i), i == today_at) for i in range(7)]
            for n, day in enumerate(pattern):
                week[day].meetings.append(meetings[n % len(meetings)])
            yield week


@pytest.mark.parametrize("language", ["ko", "en"])
def test_the_page_tags_write_what_their_templates_wrote(language):
    from django.urls import set_urlconf

    set_urlconf("config.urls.academy")
    try:
        with translation.override(language), timezone.override(ZoneInfo("Asia/Seoul")):
            for section in ("home", "invoices", "receipts", "preferences", "links", "child"):
                assert portal.section_links(section) == _reference("section_links", section=section)
            kids = [m.Student(pk=7, name="김민준"), m.Student(pk=12, name='<b>"A&B"</b>')]
            for child in (None, kids[0], kids[1], m.Student(pk=99, name="x")):
                assert portal.kid_links(kids, child) == _reference("kid_links", kids=kids, child=child)
            assert portal.kid_links([], None) == ""
            weeks = list(_weeks_to_show())
            for week in weeks:
                assert portal.week_list(week) == _reference("week_list", week=week)
                assert portal.week_days(week) == _reference("week_days", week=week)
                today = next((day.meetings for day in week if day.is_today), [])
                for kid in kids:
                    card = {"child": kid, "week": week, "today": today, "count": sum(len(d.meetings) for d in week)}
                    assert portal.child_card(card) == _reference("child_card", card=card)
            assert isinstance(portal.child_card(card), SafeString)
    finally:
        set_urlconf(None)
