import html
from functools import lru_cache

from django import template
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.safestring import SafeString
from django.utils.timezone import template_localtime
from django.utils.translation import get_language, gettext

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


@register.simple_tag
def meetings(items) -> SafeString:
    """`meeting` for each of a list, in one tag (a loop of template nodes costs more)."""
    return SafeString("".join(meeting(m) for m in items))


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


# The portal's sections, as base.html's nav lists them: (section, URL name, label).
_SECTIONS = (
    ("home", "portal-home", "Home"),
    ("invoices", "portal-invoices", "Bills"),
    ("receipts", "portal-receipts", "Receipts"),
    ("preferences", "portal-preferences", "Notifications"),
    ("links", "portal-links", "Link a child"),
)


@register.simple_tag
def section_links(section: str) -> SafeString:
    """The list items of base.html's sections nav, the current one marked: the same links
    and labels on every page of a language, so they are built once per language, URLconf
    and script prefix (what `reverse` and `gettext` depend on) and not from ~30 template
    nodes on each page."""
    return SafeString(
        "\n        ".join(
            f'<li><a href="{href}"{_CURRENT if name == section else ""}>{label}</a></li>'
            for name, href, label in _section_items(get_language(), get_urlconf(), get_script_prefix())
        )
    )


_CURRENT = ' aria-current="page"'


@lru_cache(maxsize=64)
def _section_items(language: str, urlconf, prefix: str) -> tuple[tuple[str, str, str], ...]:
    # The arguments are the cache key: reverse() and gettext() read them from the thread.
    return tuple((name, _esc(reverse(url)), _esc(gettext(label))) for name, url, label in _SECTIONS)


@register.simple_tag
def kid_links(kids, child=None) -> SafeString:
    """The list items of base.html's children nav, the page's child marked (a tag: as
    `section_links`)."""
    current = child.pk if child else None
    return SafeString(
        "".join(
            f'<li><a href="{_esc(reverse("portal-child", args=[kid.pk]))}"'
            f"{_CURRENT if kid.pk == current else ''}>{_esc(kid.name)}</a></li>"
            for kid in kids
        )
    )


def _day_label(day) -> str:
    # The `date:"n/j"` and `date:"D"` filters: 12/7 (Mon), the weekday in the current language.
    return f"{day.month}/{day.day} ({_esc(WEEKDAYS_ABBR[day.weekday()])})"


@register.simple_tag
def week_list(week) -> SafeString:
    """The home's week of one child (apps.portal.services.Day), the days with a meeting as
    list items: a tag, as `meeting`, for the seven days of each child on every home."""
    return SafeString(
        "".join(
            f'\n    <li{_TODAY_CLASS if day.is_today else ""}><span class="day">{_day_label(day.date)}</span>'
            f'\n      <ul class="meetings">{meetings(day.meetings)}</ul></li>\n    '
            for day in week
            if day.meetings
        )
    )


_TODAY_CLASS = ' class="today"'


@register.simple_tag
def week_days(week) -> SafeString:
    """The child page's week, Monday to Sunday, each day a list item with its meetings or
    "No class" (a tag, as `week_list`)."""
    today = _esc(gettext("Today"))
    no_class = _esc(gettext("No class"))
    items = []
    for day in week:
        classes = ("today" if day.is_today else "") + ("" if day.meetings else " empty")
        strong = f" <strong>{today}</strong>" if day.is_today else ""
        if day.meetings:
            body = f'<ul class="meetings">{meetings(day.meetings)}</ul>\n      '
        else:
            body = f'<span class="muted">{no_class}</span>'
        items.append(
            f'\n    <li class="{classes}">\n      <span class="day">{_day_label(day.date)}{strong}</span>'
            f"\n      {body}\n    </li>\n    "
        )
    return SafeString("".join(items))


@register.simple_tag
def child_card(card) -> SafeString:
    """One child's card on the home (views.home's `cards`): today's meetings, the week's, and
    the links to the child's pages. A tag, as `meeting`: the home shows one for each child,
    and rendering its ~25 template nodes (three `url`s, five `translate`s) for each was a
    large share of the page's CPU. The same HTML as the template it replaced."""
    kid = card["child"]
    pk = int(kid.pk)
    child_url = _esc(reverse("portal-child", args=[pk]))
    if card["today"]:
        today = f'<ul class="meetings">{meetings(card["today"])}</ul>'
    else:
        today = f'<p class="muted">{_esc(gettext("No class today."))}</p>'
    none_this_week = "" if card["count"] else f'<p class="muted">{_esc(gettext("No classes this week."))}</p>'
    return SafeString(
        f'<section class="card child" aria-labelledby="child-{pk}">'
        f'\n  <h2 id="child-{pk}"><a href="{child_url}">{_esc(kid.name)}</a></h2>'
        f"\n  <h3>{_esc(gettext('Today'))}</h3>"
        f"\n  \n    {today}\n  "
        f"\n  <h3>{_esc(gettext('This week'))}</h3>"
        f'\n  <ul class="week">\n    {week_list(card["week"])}\n  </ul>'
        f"\n  {none_this_week}"
        f'\n  <p class="actions"><a class="button" href="{child_url}">{_esc(gettext("Attendance and schedule"))}</a>'
        f'\n    <a class="button secondary" href="{_esc(reverse("portal-child-feedback", args=[pk]))}">'
        f"{_esc(gettext('Feedback and videos'))}</a></p>"
        "\n</section>"
    )
