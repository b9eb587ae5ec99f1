import html

from django import template
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.safestring import SafeString
from django.utils.timezone import template_localtime
from django.utils.translation import gettext

from apps.academy.models import Attendance, Session
from apps.core.templatetags.money import won

register = template.Library()
_ABSENT_MARK = SafeString('<span aria-hidden="true">✕ </span>')
_CANCELLED = Session.Status.CANCELLED
_STATUS_LABELS = dict(Attendance.Status.choices)  # lazy: translated when shown
register.filter("won", won)  # the same "449,000원" as the payment pages (apps.core)


@register.filter
def youtube_thumb(video) -> str:
    # The 320×180 thumbnail: a quarter of the bytes of the model's hqdefault, enough on a phone.
    return f"https://i.ytimg.com/vi/{video.youtube_id}/mqdefault.jpg"


@register.simple_tag
def meeting(m) -> SafeString:
    """One class meeting (apps.portal.services.Meeting) as its list item: time, class, room
    and the child's mark. A tag rather than an included template: the home shows each of the
    week's meetings, ~20 on a family's page, and Django rendering an include's nodes one by
    one for each was a large share of the page's CPU. Written with `html.escape` and
    f-strings, what `format_html` wrote (which escapes each value again through
    `conditional_escape` and Django's lazy-string checks, ~3× the cost); times as the
    `time:"H:i"` filter writes them (a check-in, stored in UTC, in the current time zone).
    tests/portal/test_tags.py compares both tags with their `format_html` versions."""
    session, mark = m.session, m.attendance
    klass = session.klass
    cancelled = session.status == _CANCELLED
    classes = "meeting cancelled" if cancelled else "meeting"
    if mark:
        classes += f" mark-{mark.status}"
    what = _esc(klass.name)
    if klass.room:
        what = f"{what} · {_esc(klass.room)}"
    if cancelled:
        badge = f'<span class="badge badge-off">{_esc(gettext("Cancelled"))}</span>'
    elif mark:
        checked_in = f" {template_localtime(mark.checked_in_at):%H:%M}" if mark.checked_in_at else ""
        badge = f'<span class="badge badge-{_esc(mark.status)}">{_esc(_status_label(mark.status))}{checked_in}</span>'
    else:
        badge = ""
    return SafeString(
        f'<li class="{_esc(classes)}"><span class="time">{_hm(session.starts_at)}–{_hm(session.ends_at)}</span>'
        f' <span class="what">{what}</span> {badge}</li>'
    )


def _hm(value) -> str:
    return "" if value is None else f"{value:%H:%M}"


def _esc(value) -> str:
    # django.utils.html.escape without the SafeString wrapping (the same html.escape).
    return html.escape(str(value))


def _status_label(status: str) -> str:
    # Attendance.get_status_display(), in the current language, without the model's generic
    # choices look-up (it rebuilds a hashable dict of the choices on every call).
    label = _STATUS_LABELS.get(status)
    return status if label is None else str(label)


@register.simple_tag
def attendance_row(mark) -> SafeString:
    """One row of a child's attendance table (up to 60 a page): a tag for the same reason as
    `meeting`, written as the `date` and `time` filters the template used would (`n/j`, the
    current language's abbreviated weekday `D`, `H:i` in the current time zone)."""
    day = mark.session.date
    status = _esc(mark.status)
    absent = _ABSENT_MARK if mark.status == "absent" else ""
    checked_in = ""
    if mark.checked_in_at:
        checked_in = f' <span class="muted">{template_localtime(mark.checked_in_at):%H:%M}</span>'
    return SafeString(
        f'<tr class="mark-{status}"><td>{day.month}/{day.day} ({_esc(WEEKDAYS_ABBR[day.weekday()])})</td>'
        f"<td>{_esc(mark.session.klass.name)}</td>"
        f'<td><span class="badge badge-{status}">{absent}{_esc(_status_label(mark.status))}</span>'
        f"{checked_in}</td></tr>"
    )
