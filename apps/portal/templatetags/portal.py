from django import template
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import time as time_filter
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.timezone import template_localtime
from django.utils.translation import gettext

from apps.core.templatetags.money import won

register = template.Library()
_ABSENT_MARK = SafeString('<span aria-hidden="true">✕ </span>')
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
    one for each was a large share of the page's CPU. Times as the `time:"H:i"` filter
    writes them (a check-in, stored in UTC, in the current time zone)."""
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


@register.simple_tag
def attendance_row(mark) -> SafeString:
    """One row of a child's attendance table (up to 60 a page): a tag for the same reason as
    `meeting`, with the same filters the template used (`date`, `time`, in the current
    language and time zone)."""
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
