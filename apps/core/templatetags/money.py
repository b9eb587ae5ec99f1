"""Won amounts in templates, the same on every page: `{% load money %}`.

{{ 449000|won }}        -> "449,000원" (Korean) / "449,000 won"
{{ 449000|thousands }}  -> "449,000" (inside a sentence that says 원 itself)
"""

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def thousands(amount) -> str:
    try:
        return f"{int(amount):,}"
    except (TypeError, ValueError):
        return ""


@register.filter
def won(amount) -> str:
    """200000 -> "200,000원" (Korean) or "200,000 won"."""
    digits = thousands(amount)
    return _("%(amount)s won") % {"amount": digits} if digits else ""
