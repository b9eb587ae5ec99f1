from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def won(amount) -> str:
    """200000 -> "200,000원" (Korean) or "200,000 won"."""
    try:
        value = int(amount)
    except (TypeError, ValueError):
        return ""
    return _("%(amount)s won") % {"amount": f"{value:,}"}


@register.filter
def youtube_thumb(video) -> str:
    # The 320×180 thumbnail: a quarter of the bytes of the model's hqdefault, enough on a phone.
    return f"https://i.ytimg.com/vi/{video.youtube_id}/mqdefault.jpg"
