"""The portal's forms: every field has a label (rendered with <label for>) and help text
tied to it by aria-describedby."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.academy.models import GuardianLink
from apps.notifications.models import Channel

from .services import PORTAL_CHANNELS

NONE = ""


def _channel_choices(blank: str) -> list[tuple[str, str]]:
    return [(NONE, blank), *((c.value, c.label) for c in Channel if c in PORTAL_CHANNELS)]


class PreferenceForm(forms.Form):
    first = forms.ChoiceField(label=_("First choice"), choices=(), required=False)
    second = forms.ChoiceField(label=_("Second choice"), choices=(), required=False)
    marketing_opt_out = forms.BooleanField(
        label=_("No news or offers (marketing messages)"),
        required=False,
        help_text=_("Attendance, schedule changes and bills are still sent."),
    )
    muted = forms.BooleanField(
        label=_("No messages at all"),
        required=False,
        help_text=_("You will not be told about absences or bills. Check the portal instead."),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["first"].choices = _channel_choices(_("Academy default"))
        self.fields["second"].choices = _channel_choices(_("None"))

    def clean(self):
        data = super().clean()
        first, second = data.get("first"), data.get("second")
        if second and not first:
            self.add_error("first", _("Choose a first choice before a second one."))
        elif first and first == second:
            self.add_error("second", _("Choose a different channel, or none."))
        data["channels"] = [c for c in (first, second) if c]
        return data

    @classmethod
    def initial_for(cls, preference) -> dict:
        channels = list(preference.channels or [])
        return {
            "first": channels[0] if channels else NONE,
            "second": channels[1] if len(channels) > 1 else NONE,
            "marketing_opt_out": preference.marketing_opt_out,
            "muted": preference.muted,
        }


class LinkRequestForm(forms.Form):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    name = forms.CharField(label=_("Child's name"), max_length=100)
    birth_date = forms.DateField(
        label=_("Child's birth date"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("As the academy has it, e.g. 2015-03-02."),
    )
    relation = forms.ChoiceField(label=_("You are the child's"), choices=GuardianLink.Relation.choices)
