from django import template

from apps.core.templatetags.money import won

register = template.Library()
register.filter("won", won)  # the same "449,000원" as the payment pages (apps.core)


@register.filter
def youtube_thumb(video) -> str:
    # The 320×180 thumbnail: a quarter of the bytes of the model's hqdefault, enough on a phone.
    return f"https://i.ytimg.com/vi/{video.youtube_id}/mqdefault.jpg"
